-- The invoice-worker logs in as its own role (invoice_worker, created by the DBA: README "External PostgreSQL"), a
-- member of invoice_worker_app: it reads and writes its own tables and reads its migration history, and has no grant
-- at all on the ledger's tables (the event store, keys, checkpoints). Migrations run as the owner
-- (LEDGER_MIGRATION_DATABASE_URL). Later migrations grant their own tables to invoice_worker_app.
do $$
declare
    t record;
begin
    if not exists (select 1 from pg_roles where rolname = 'invoice_worker_app') then
        create role invoice_worker_app nologin;
    end if;
    for t in select tablename from pg_tables
             where schemaname = current_schema() and tablename like 'invoice\_worker\_%' loop
        execute format('revoke all on table %I from public', t.tablename);
        execute format('grant select, insert, update, delete on table %I to invoice_worker_app', t.tablename);
    end loop;
    if exists (select 1 from pg_tables where schemaname = current_schema() and tablename = 'flyway_invoice_worker_history') then
        execute 'grant select on flyway_invoice_worker_history to invoice_worker_app';
    end if;
end
$$;
