-- Witness cosignatures of the deployment's log of checkpoints (V21), like checkpoint_cosignature for tenants' (V19):
-- each witness in LEDGER_WITNESSES gets the log's head with a consistency proof from the largest size it cosigned, so
-- a leaf removed from the log is refused by every witness that saw it. Refusals are kept, never changed.
create table checkpoint_log_cosignature (
    size        bigint       not null check (size > 0),
    witness     varchar(255) collate "C" not null,
    root_hash   bytea        not null check (octet_length(root_hash) = 32),
    cosigned_at bigint       not null check (cosigned_at > 0),
    line        text         not null,
    received_at timestamptz  not null default now(),
    primary key (witness, size)
);

create table checkpoint_log_refusal (
    size       bigint       not null check (size > 0),
    witness    varchar(255) collate "C" not null,
    root_hash  bytea        not null check (octet_length(root_hash) = 32),
    status     integer      not null,
    reason     text         not null,
    refused_at timestamptz  not null default now(),
    primary key (witness, size)
);

create trigger checkpoint_log_cosignature_append_only before update or delete on checkpoint_log_cosignature
    for each row execute function ledger_refuse_change();
create trigger checkpoint_log_cosignature_no_truncate before truncate on checkpoint_log_cosignature
    for each statement execute function ledger_refuse_change();
create trigger checkpoint_log_refusal_append_only before update or delete on checkpoint_log_refusal
    for each row execute function ledger_refuse_change();
create trigger checkpoint_log_refusal_no_truncate before truncate on checkpoint_log_refusal
    for each statement execute function ledger_refuse_change();

grant select, insert on checkpoint_log_cosignature, checkpoint_log_refusal to ledger_app;
grant select on checkpoint_log_cosignature, checkpoint_log_refusal to ledger_auditor;
