-- The meter-reader's own state. Committed in one transaction with the consumed Kafka positions,
-- so a restart resumes exactly where the last commit left off.
create table meter_reader_offset (
    topic       varchar(255) not null,
    partition   integer      not null,
    next_offset bigint       not null,
    primary key (topic, partition)
);

create table meter_reader_tenant (
    tenant_id          varchar(64) collate "C" primary key,
    last_sequence      bigint      not null,
    last_hash          bytea       not null,
    last_recorded_at   timestamptz,
    stripe_customer_id varchar(255),
    broken_sequence    bigint,
    broken_reason      varchar(64)
);

-- One row per (tenant, meter, window): summed units, then the one Stripe meter event that carries them.
create table meter_reader_window (
    tenant_id    varchar(64)  collate "C" not null,
    meter        varchar(100) collate "C" not null,
    window_start timestamptz  not null,
    window_end   timestamptz  not null,
    quantity     bigint       not null check (quantity >= 0),
    status       varchar(16)  not null,
    identifier   varchar(255) not null unique,
    attempts     integer      not null default 0,
    last_error   varchar(500),
    reported_at  timestamptz,
    primary key (tenant_id, meter, window_start)
);
create index meter_reader_window_open on meter_reader_window (status, window_end) where status <> 'WRITTEN_BACK';
