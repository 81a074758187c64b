-- One row per idempotency key, inserted by the append's own transaction: a uniqueness constraint, never
-- check-then-insert, decides which of two racing requests records the entry.
create table idempotency_record (
    tenant_id       varchar(64)  collate "C" not null,
    idempotency_key varchar(300) collate "C" not null,
    request_digest  bytea        not null,
    sequence        bigint       not null,
    created_at      timestamptz  not null default now(),
    primary key (tenant_id, idempotency_key)
);
