-- The witness's own database (c2sp.org/tlog-witness): per log origin, the latest checkpoint it cosigned. A row is
-- created at size 0 (the empty tree, no note) by the first submission for an origin and then only ever moves forward,
-- under a row lock held across check and update (WitnessStore.addCheckpoint).
create table witness_checkpoint (
    origin       text        primary key,
    -- SHA-256 of the origin (UTF-8): the key of the monitor retrieval path GET /<hex of it>/checkpoint
    origin_hash  bytea       not null unique check (length(origin_hash) = 32),
    size         bigint      not null check (size >= 0),
    root_hash    bytea       not null check (length(root_hash) = 32),
    -- the checkpoint note as submitted (with every signature it carried); null while size is 0 and nothing was cosigned
    note         text,
    -- the log's signature lines that the witness verified, as they appeared in the note
    log_signatures text,
    -- the witness's cosignature line(s) of that checkpoint, as returned by add-checkpoint
    cosignature  text,
    cosigned_at  timestamptz,
    check ((note is null) = (cosignature is null))
);

-- Submissions that carried a valid log signature but were refused (a fork, a failed consistency proof, a size-0
-- checkpoint with another root): evidence of log misbehaviour, which the specification lets a witness keep.
create table witness_refusal (
    id          bigserial   primary key,
    origin      text        not null,
    size        bigint      not null,
    root_hash   bytea       not null,
    old_size    bigint      not null,
    reason      text        not null,
    note        text        not null,
    at          timestamptz not null
);
create index witness_refusal_origin on witness_refusal (origin, at);

-- The witness logs in as its own role (e.g. witness, created by the DBA), a member of witness_app; migrations run as
-- the owner (LEDGER_MIGRATION_DATABASE_URL). The login may read and move checkpoints and add refusals, nothing more.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'witness_app') then
        create role witness_app nologin;
    end if;
end
$$;
revoke all on table witness_checkpoint, witness_refusal from public;
grant select, insert, update on table witness_checkpoint to witness_app;
grant select, insert on table witness_refusal to witness_app;
grant usage on sequence witness_refusal_id_seq to witness_app;
do $$
begin
    if exists (select 1 from pg_tables where schemaname = current_schema() and tablename = 'flyway_witness_history') then
        execute 'grant select on flyway_witness_history to witness_app';
    end if;
end
$$;
