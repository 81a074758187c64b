-- ledger-api logs in as its own role (a member of ledger_app, created by the DBA: README "External PostgreSQL"),
-- never as the owner. It may read the migration history, so that a start without the owner's connection
-- (LEDGER_MIGRATION_DATABASE_URL unset) can still check that the schema is up to date; it cannot change it.
-- Later migrations grant their own tables to ledger_app by name.
do $$
begin
    if exists (select 1 from pg_tables where schemaname = current_schema() and tablename = 'flyway_schema_history') then
        execute 'grant select on flyway_schema_history to ledger_app';
    end if;
end
$$;
