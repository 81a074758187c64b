-- Redaction (issue 17): an admin, or a tenant's retention policy, erases the payload bytes of an entry that may hold
-- personal data. The chain commits to SHA-256 of the payload, not to the bytes (docs/chain.md), so the entry keeps
-- verifying through the digest retained here. The redaction itself is an entry of the chain (PayloadsRedacted); this
-- table is its effect, written in the transaction that erases the payloads, and is append-only like the history.
create table entry_redaction (
    tenant_id          varchar(255) collate "C" not null,
    sequence           bigint       not null check (sequence >= 1),
    payload_sha256     bytea        not null check (octet_length(payload_sha256) = 32),
    redaction_sequence bigint       not null check (redaction_sequence > sequence),
    reason             text         not null,
    redacted_at        timestamptz  not null default now(),
    primary key (tenant_id, sequence)
);
create index entry_redaction_by_redaction on entry_redaction (tenant_id, redaction_sequence);

create trigger entry_redaction_append_only before update or delete on entry_redaction
    for each row execute function ledger_refuse_change();
create trigger entry_redaction_no_truncate before truncate on entry_redaction
    for each statement execute function ledger_refuse_change();

grant select, insert on entry_redaction to ledger_app;
grant select on entry_redaction to ledger_auditor;

-- The one change recorded history admits: a payload erased to no bytes, once, when its redaction is recorded with the
-- digest of exactly the bytes erased, by a PayloadsRedacted entry of the same chain that names that digest. The whole row is compared but the payload, so a column added later is guarded
-- too. Whoever asks: the service's role (which may update no other column) and the owner alike.
create function ledger_refuse_change_but_redaction() returns trigger language plpgsql as $$
declare
    rest domain_event_entry;
begin
    rest := new;
    rest.payload := old.payload;
    if rest is distinct from old
            or new.payload is null or octet_length(new.payload) <> 0
            or octet_length(old.payload) = 0
            or not exists (select 1 from entry_redaction r
                           where r.tenant_id = old.aggregate_identifier and r.sequence = old.sequence_number + 1
                             and r.payload_sha256 = sha256(old.payload)
                             -- and its redaction is an entry of the same chain, after it, naming this digest
                             and exists (select 1 from domain_event_entry p
                                         where p.aggregate_identifier = old.aggregate_identifier
                                           and p.sequence_number = r.redaction_sequence - 1
                                           and p.payload_type = 'PayloadsRedacted'
                                           and position(convert_to(encode(r.payload_sha256, 'hex'), 'UTF8') in p.payload) > 0)) then
        raise exception 'ledger history is append-only: % on % refused (only a recorded redaction erases a payload)',
            tg_op, tg_table_name using errcode = 'insufficient_privilege';
    end if;
    return new;
end;
$$;

drop trigger domain_event_entry_append_only on domain_event_entry;
create trigger domain_event_entry_append_only before delete on domain_event_entry
    for each row execute function ledger_refuse_change();
create trigger domain_event_entry_redaction_only before update on domain_event_entry
    for each row execute function ledger_refuse_change_but_redaction();

grant update (payload) on domain_event_entry to ledger_app;

-- The redaction entries, for the applier that finishes an erasure a stopped process left undone.
create index domain_event_entry_redactions on domain_event_entry (aggregate_identifier, sequence_number)
    where payload_type = 'PayloadsRedacted';

-- The auditor's view: a redacted entry reads as payload null with the digest its hash commits to.
create or replace view ledger_entry as
select e.aggregate_identifier    as tenant_id,
       e.sequence_number + 1     as sequence,
       e.event_identifier        as event_id,
       e.payload_type            as type,
       e.payload_revision        as revision,
       e.time_stamp              as recorded_at,
       case when r.payload_sha256 is null then e.payload end as payload,
       e.meta_data               as metadata,
       e.prev_hash,
       e.entry_hash              as hash,
       e.global_index,
       coalesce(r.payload_sha256, sha256(e.payload)) as payload_sha256,
       r.redaction_sequence
from domain_event_entry e
left join entry_redaction r on r.tenant_id = e.aggregate_identifier and r.sequence = e.sequence_number + 1;

-- Per-tenant retention: payloads of redactable entries older than this many days are redacted on a schedule. A
-- setting, not history (its changes are entries of the tenant's chain): the service replaces and clears it.
create table retention_policy (
    tenant_id                  varchar(255) collate "C" primary key,
    redact_payloads_after_days integer      not null check (redact_payloads_after_days >= 1),
    set_sequence               bigint       not null,
    updated_at                 timestamptz  not null default now()
);
grant select, insert, update, delete on retention_policy to ledger_app;
grant select on retention_policy to ledger_auditor;
