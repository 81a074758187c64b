-- The invoice projection: each Stripe invoice as the ledger's StripeEventRecorded entries show it. Stripe delivers
-- events late, more than once and out of order, so the row shows the snapshot of the event ranked highest by
-- (status rank, event created, event id): draft 0 < open 1 < uncollectible 2 < paid 3 = void 3. A maximum does not
-- depend on the order the events came in, and a stale or repeated event never moves an invoice backwards.
create table invoice_worker_invoice (
    invoice_id       varchar(255) collate "C" primary key,
    tenant_id        varchar(64)  collate "C" not null,
    customer_id      varchar(255),
    subscription_id  varchar(255),
    status           varchar(16)  not null check (status in ('draft', 'open', 'paid', 'void', 'uncollectible')),
    status_rank      smallint     not null,
    amount_due       bigint       not null,
    amount_paid      bigint       not null,
    amount_remaining bigint       not null,
    currency         varchar(3)   not null,
    period_start     timestamptz,
    period_end       timestamptz,
    stripe_created   timestamptz  not null,
    -- the event whose snapshot the row shows, and its place in the tenant's chain
    shown_event_id       varchar(255) collate "C" not null,
    shown_event_created  timestamptz  not null,
    shown_sequence       bigint       not null
);
create index invoice_worker_invoice_tenant on invoice_worker_invoice (tenant_id, period_start);

-- The lines of the snapshot shown (replaced with it).
create table invoice_worker_invoice_line (
    invoice_id   varchar(255) collate "C" not null references invoice_worker_invoice on delete cascade,
    line_id      varchar(255) collate "C" not null,
    price_id     varchar(255),
    quantity     bigint,
    amount       bigint       not null,
    currency     varchar(3)   not null,
    period_start timestamptz,
    period_end   timestamptz,
    primary key (invoice_id, line_id)
);

-- Every Stripe event that concerned an invoice, once per event id, whether or not its snapshot is the one shown.
create table invoice_worker_invoice_event (
    invoice_id  varchar(255) collate "C" not null,
    event_id    varchar(255) collate "C" not null,
    event_type  varchar(255) not null,
    created     timestamptz  not null,
    tenant_id   varchar(64)  collate "C" not null,
    sequence    bigint       not null,
    primary key (invoice_id, event_id)
);

revoke all on invoice_worker_invoice, invoice_worker_invoice_line, invoice_worker_invoice_event from public;
grant select, insert, update, delete on invoice_worker_invoice, invoice_worker_invoice_line, invoice_worker_invoice_event
    to invoice_worker_app;
