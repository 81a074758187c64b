-- The highest sequence of each chain the Kafka publisher has dealt with (published, or parked), written in the same
-- transaction as its tracking token. The reconciler compares it with each chain's head and alerts when a chain stays
-- behind. Seeded with today's heads: entries committed before this migration count as published.
create table publication_head (
    tenant_id varchar(255) collate "C" primary key,
    sequence  bigint       not null check (sequence >= 0)
);

insert into publication_head (tenant_id, sequence)
select aggregate_identifier, max(sequence_number) + 1 from domain_event_entry group by aggregate_identifier;

grant select, insert, update on publication_head to ledger_app;
grant select on publication_head to ledger_auditor;
