-- Entries the Kafka publisher could not publish for a reason of their own (Kafka refused the record itself, e.g. too
-- large for the topic), set aside so that publication goes on for every other entry. Listed by
-- GET /v1/admin/publication/parked and counted by the gauge ledger_publication_parked. The entry itself stays in the
-- chain untouched; a row here only says it is not on the topic.
create table publication_parked (
    tenant_id    varchar(255) collate "C" not null,
    sequence     bigint       not null,
    event_id     varchar(255) collate "C" not null,
    record_bytes bigint       not null,
    reason       varchar(255) not null,
    parked_at    timestamptz  not null default now(),
    primary key (tenant_id, sequence)
);

grant select, insert on publication_parked to ledger_app;
grant select on publication_parked to ledger_auditor;
