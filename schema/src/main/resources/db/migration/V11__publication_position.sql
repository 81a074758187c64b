-- Where the Kafka publisher (ledger-api EntryPublisher) stands in the store's global order, replacing the Axon tracking
-- token it kept in token_entry: every committed entry up to max_index is published (or parked), except the indexes in
-- gaps, taken by appends not committed when the publisher passed them (gaps_seen: when it first saw each). A gap is
-- read again every cycle until its entry commits or the gap timeout (three append bounds) proves it never will.
-- Written in one transaction with publication_head and publication_parked, after Kafka acknowledged the records.
create table publication_position (
    id         smallint    primary key check (id = 1),
    max_index  bigint      not null check (max_index >= 0),
    gaps       bigint[]    not null,
    gaps_seen  bigint[]    not null,
    updated_at timestamptz not null default now(),
    check (cardinality(gaps) = cardinality(gaps_seen))
);

-- Carried over from the tracking token, so that an upgrade neither publishes again nor skips anything.
with token as (
    select convert_from(token, 'UTF8')::json as j from token_entry
    where processor_name = 'kafka-publisher' and token is not null
    limit 1)
insert into publication_position (id, max_index, gaps, gaps_seen)
select 1,
       coalesce((select greatest((j ->> 'index')::bigint, 0) from token), 0),
       coalesce((select array(select g::bigint from json_array_elements_text(j -> 'gaps') g) from token), '{}'),
       coalesce((select array(select (extract(epoch from now()) * 1000)::bigint from json_array_elements_text(j -> 'gaps'))
                 from token), '{}');

delete from token_entry where processor_name = 'kafka-publisher';

grant select, update on publication_position to ledger_app;
grant select on publication_position to ledger_auditor;
