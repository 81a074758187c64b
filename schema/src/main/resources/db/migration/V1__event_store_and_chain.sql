-- Axon's JDBC event store in snake_case, with each entry's chain link in the same row.
-- tenant_id = aggregate_identifier; chain sequence = sequence_number + 1 (gapless per tenant).
-- UNIQUE (aggregate_identifier, sequence_number) is the chain's UNIQUE (tenant_id, sequence): a fork cannot commit.
create table domain_event_entry (
    global_index         bigserial    primary key,
    event_identifier     varchar(255) collate "C" not null unique,
    meta_data            bytea        not null,
    payload              bytea        not null,
    payload_revision     varchar(255),
    payload_type         varchar(255) not null,
    time_stamp           varchar(255) not null,
    aggregate_identifier varchar(255) collate "C" not null,
    sequence_number      bigint       not null,
    type                 varchar(255),
    prev_hash            bytea        not null check (octet_length(prev_hash) = 32),
    entry_hash           bytea        not null check (octet_length(entry_hash) = 32),
    unique (aggregate_identifier, sequence_number)
);

create table snapshot_event_entry (
    aggregate_identifier varchar(255) not null,
    sequence_number      bigint       not null,
    type                 varchar(255) not null,
    event_identifier     varchar(255) not null unique,
    meta_data            bytea,
    payload              bytea        not null,
    payload_revision     varchar(255),
    payload_type         varchar(255) not null,
    time_stamp           varchar(255) not null,
    primary key (aggregate_identifier, sequence_number, type)
);

create table token_entry (
    processor_name varchar(255) not null,
    segment        integer      not null,
    owner          varchar(255),
    timestamp      varchar(255) not null,
    token          bytea,
    token_type     varchar(255),
    primary key (processor_name, segment)
);

-- The auditor's view of the chain, in the API's vocabulary.
create view ledger_entry as
select aggregate_identifier    as tenant_id,
       sequence_number + 1     as sequence,
       event_identifier        as event_id,
       payload_type            as type,
       payload_revision        as revision,
       time_stamp              as recorded_at,
       payload,
       meta_data               as metadata,
       prev_hash,
       entry_hash              as hash,
       global_index
from domain_event_entry;

-- Append-only, enforced by the database: no UPDATE, DELETE or TRUNCATE of recorded history, whoever asks.
create function ledger_refuse_change() returns trigger language plpgsql as $$
begin
    raise exception 'ledger history is append-only: % on % refused', tg_op, tg_table_name
        using errcode = 'insufficient_privilege';
end;
$$;

create trigger domain_event_entry_append_only
    before update or delete on domain_event_entry
    for each row execute function ledger_refuse_change();
create trigger domain_event_entry_no_truncate
    before truncate on domain_event_entry
    for each statement execute function ledger_refuse_change();
