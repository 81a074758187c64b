-- The meter-reader logs in as its own role (meter_reader, created by the DBA: README "External PostgreSQL"), a member
-- of meter_reader_app: it reads and writes its own tables and reads its migration history, and has no grant at all on
-- the ledger's tables (the event store, keys, checkpoints). Migrations run as the owner (LEDGER_MIGRATION_DATABASE_URL).
-- Granted by name prefix, so the worker tables of every earlier migration are covered; later migrations grant their
-- own tables to meter_reader_app.
do $$
declare
    t record;
begin
    if not exists (select 1 from pg_roles where rolname = 'meter_reader_app') then
        create role meter_reader_app nologin;
    end if;
    for t in select tablename from pg_tables
             where schemaname = current_schema() and tablename like 'meter\_reader\_%' loop
        execute format('revoke all on table %I from public', t.tablename);
        execute format('grant select, insert, update, delete on table %I to meter_reader_app', t.tablename);
    end loop;
    if exists (select 1 from pg_tables where schemaname = current_schema() and tablename = 'flyway_meter_reader_history') then
        execute 'grant select on flyway_meter_reader_history to meter_reader_app';
    end if;
end
$$;
