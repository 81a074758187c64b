-- The invoice-worker's own state, in its own tables (never the ledger's): where it stands on each partition and in
-- each tenant's chain, the entries waiting for a missing predecessor, and what it has billed. Offsets, positions and
-- effects change in one transaction per poll, so a restart or a rebalance resumes exactly after the last one.
create table invoice_worker_offset (
    topic          varchar(249) not null,
    kafka_partition integer     not null,
    next_offset    bigint       not null,
    primary key (topic, kafka_partition)
);

-- One row per tenant followed: the last verified link, the hashes of its latest entries (fork detection) and a break.
create table invoice_worker_chain (
    tenant_id       varchar(64) collate "C" primary key,
    kafka_partition integer,
    last_sequence   bigint      not null,
    last_hash       bytea       not null,
    recent_hashes   bytea,
    recent_from     bigint,
    broken_sequence bigint,
    broken_reason   varchar(64),
    lost_to_retention boolean   not null default false
);

-- Entries that arrived ahead of a missing sequence; held_since bounds the wait (INVOICE_WORKER_GAP_WAIT_SECONDS).
create table invoice_worker_held_entry (
    tenant_id   varchar(64) collate "C" not null,
    sequence    bigint      not null,
    hash        bytea       not null,
    entry       bytea       not null,
    held_since  timestamptz not null,
    primary key (tenant_id, sequence)
);

-- Billable units per tenant, meter and invoice period (UTC calendar month of the entry's ledger time), from the
-- entries' hashed metadata keys meter and quantity alone.
create table invoice_worker_usage (
    tenant_id    varchar(64)  collate "C" not null,
    meter        varchar(100) not null,
    period_start date         not null,
    quantity     bigint       not null,
    primary key (tenant_id, meter, period_start)
);
