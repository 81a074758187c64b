-- Witness cosignatures of checkpoints (C2SP tlog-witness / tlog-cosignature, Ed25519 cosignature/v1): each configured
-- witness (LEDGER_WITNESSES) is sent every tenant's latest checkpoint with a consistency proof from the largest one it
-- cosigned; the cosignature line it answers is kept here and served with the checkpoint. A witness that refuses (a
-- fork, a rollback, a checkpoint it cannot verify) leaves its answer in checkpoint_refusal: evidence, kept, never changed.
create table checkpoint_cosignature (
    tenant_id   varchar(64)  collate "C" not null,
    size        bigint       not null check (size >= 0),
    witness     varchar(255) collate "C" not null,
    cosigned_at bigint       not null check (cosigned_at > 0),
    line        text         not null,
    received_at timestamptz  not null default now(),
    primary key (tenant_id, witness, size),
    foreign key (tenant_id, size) references checkpoint (tenant_id, size)
);

create table checkpoint_refusal (
    tenant_id   varchar(64)  collate "C" not null,
    size        bigint       not null check (size >= 0),
    witness     varchar(255) collate "C" not null,
    status      integer      not null,
    reason      text         not null,
    refused_at  timestamptz  not null default now(),
    primary key (tenant_id, witness, size)
);

create trigger checkpoint_cosignature_append_only before update or delete on checkpoint_cosignature
    for each row execute function ledger_refuse_change();
create trigger checkpoint_cosignature_no_truncate before truncate on checkpoint_cosignature
    for each statement execute function ledger_refuse_change();
create trigger checkpoint_refusal_append_only before update or delete on checkpoint_refusal
    for each row execute function ledger_refuse_change();
create trigger checkpoint_refusal_no_truncate before truncate on checkpoint_refusal
    for each statement execute function ledger_refuse_change();

grant select, insert on checkpoint_cosignature, checkpoint_refusal to ledger_app;
grant select on checkpoint_cosignature, checkpoint_refusal to ledger_auditor;
