-- Append-only by privilege as well as by trigger. The migration role (whoever runs Flyway) owns every table;
-- ledger-api works as ledger_app, which may only INSERT and SELECT recorded history; auditors get ledger_auditor.
-- On an external PostgreSQL the roles may be pre-created by an administrator (see README); then this only grants.
do $$
begin
    if not exists (select 1 from pg_roles where rolname = 'ledger_app') then
        create role ledger_app nologin;
    end if;
    if not exists (select 1 from pg_roles where rolname = 'ledger_auditor') then
        create role ledger_auditor nologin;
    end if;
end
$$;

revoke all on all tables in schema public from public;

-- recorded history: insert and read, nothing else
grant select, insert on domain_event_entry, idempotency_record to ledger_app;
grant usage on sequence domain_event_entry_global_index_seq to ledger_app;
-- projections, keys, tokens and snapshots are derived state the service maintains
grant select, insert, update on tenant, api_key to ledger_app;
grant select, insert, update, delete on token_entry, snapshot_event_entry to ledger_app;

grant select on domain_event_entry, ledger_entry, tenant to ledger_auditor;

-- the same append-only rule for the idempotency records that prove what was answered
create trigger idempotency_record_append_only
    before update or delete on idempotency_record
    for each row execute function ledger_refuse_change();
create trigger idempotency_record_no_truncate
    before truncate on idempotency_record
    for each statement execute function ledger_refuse_change();
