-- The finance projection (issue 15): ledger-api's read model of usage, reports to Stripe, invoices and Stripe's
-- figures, built from the tenants' chains alone (FinanceProjection), so that it can be dropped and rebuilt from the
-- event store at any time (POST /v1/admin/projections/finance/rebuild, ./ledger replay finance) and answer the same.
-- Kept beside the append, not in its transaction: a projector follows each chain by its gapless sequence.

-- How far each tenant's chain is projected: every entry with sequence <= finance_position.sequence is in the tables
-- below, in the same transaction as this row, which is locked while a chain is projected (one projector per chain).
create table finance_position (
    tenant_id  varchar(255) collate "C" primary key,
    sequence   bigint       not null check (sequence >= 0),
    updated_at timestamptz  not null default now()
);

-- Billable units by the hour of ledger time (recorded_at) in which they were recorded, read from each entry's hashed
-- meter/quantity metadata as the workers read it; reported_quantity: the usage windows reported to Stripe
-- (UsageReported), by the hour their window starts in; late_quantity: units recorded into a window after that window
-- had been reported. first/last_sequence bound the hour's billable entries in the chain (the invoice drill-down).
create table finance_usage_hour (
    tenant_id         varchar(255) collate "C" not null,
    meter             varchar(100) collate "C" not null,
    hour              timestamptz  not null,
    ledger_quantity   bigint       not null default 0 check (ledger_quantity >= 0),
    reported_quantity bigint       not null default 0 check (reported_quantity >= 0),
    late_quantity     bigint       not null default 0 check (late_quantity >= 0),
    first_sequence    bigint,
    last_sequence     bigint,
    primary key (tenant_id, meter, hour)
);
create index finance_usage_hour_by_hour on finance_usage_hour (hour);

-- Every usage window reported to Stripe, as recorded (UsageReported).
create table finance_reported_window (
    tenant_id         varchar(255) collate "C" not null,
    meter             varchar(100) collate "C" not null,
    window_start      timestamptz  not null,
    window_end        timestamptz  not null,
    quantity          bigint       not null check (quantity >= 0),
    stripe_identifier varchar(255) not null,
    sequence          bigint       not null,
    primary key (tenant_id, sequence)
);
create index finance_reported_window_by_start on finance_reported_window (tenant_id, meter, window_start);

-- Units recorded into a window after it was reported: one row per window.
create table finance_late_usage (
    tenant_id    varchar(255) collate "C" not null,
    meter        varchar(100) collate "C" not null,
    window_start timestamptz  not null,
    window_end   timestamptz  not null,
    quantity     bigint       not null check (quantity >= 0),
    primary key (tenant_id, meter, window_start)
);

-- Invoices: the snapshot of the highest-ranked Stripe event recorded for each (status rank draft < open <
-- uncollectible < paid = void, then event time, then event id: order-insensitive), and the ledger's own word on it
-- (InvoiceWitnessed: its checkpoint; InvoiceHeld: the reason).
create table finance_invoice (
    invoice_id          varchar(255) collate "C" primary key,
    tenant_id           varchar(255) collate "C" not null,
    customer_id         varchar(255),
    status              varchar(32),
    status_rank         integer,
    amount_due          bigint,
    amount_paid         bigint,
    amount_remaining    bigint,
    currency            varchar(3),
    period_start        timestamptz,
    period_end          timestamptz,
    stripe_created      timestamptz,
    shown_event_id      varchar(255),
    shown_event_created timestamptz,
    witness_period_start timestamptz,
    witness_period_end  timestamptz,
    ledger_checkpoint   text,
    checkpoint_size     bigint,
    checkpoint_root     bytea,
    witness_sequence    bigint,
    held_reason         varchar(64),
    held_detail         text,
    held_sequence       bigint
);
create index finance_invoice_by_tenant on finance_invoice (tenant_id, invoice_id);

-- Stripe's quantity of a tenant's meter in a calendar month, as last recorded in its chain: by a reconciliation run
-- (ReconciliationRecorded) or by the invoice witness (InvoiceWitnessed, InvoiceHeld, from Stripe's meter summary).
create table finance_stripe_quantity (
    tenant_id   varchar(255) collate "C" not null,
    period      date         not null,
    meter       varchar(100) collate "C" not null,
    quantity    bigint       not null check (quantity >= 0),
    source      varchar(32)  not null,
    sequence    bigint       not null,
    recorded_at timestamptz  not null,
    primary key (tenant_id, period, meter)
);

grant select, insert, update, delete on finance_position, finance_usage_hour, finance_reported_window, finance_late_usage,
    finance_invoice, finance_stripe_quantity to ledger_app;
grant select on finance_position, finance_usage_hour, finance_reported_window, finance_late_usage, finance_invoice,
    finance_stripe_quantity to ledger_auditor;
