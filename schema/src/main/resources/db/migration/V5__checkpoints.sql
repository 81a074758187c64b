-- Signed checkpoints (RFC 6962 root over a tenant's first `size` entry hashes, Ed25519-signed) and every public
-- key that ever signed one, so that rotating the signing key keeps old checkpoints verifiable.
create table checkpoint_key (
    key_id     varchar(32)  collate "C" primary key,
    algorithm  varchar(16)  not null,
    public_key varchar(200) not null,
    created_at timestamptz  not null default now()
);

create table checkpoint (
    tenant_id varchar(64)  collate "C" not null,
    size      bigint       not null check (size >= 0),
    root_hash bytea        not null check (octet_length(root_hash) = 32),
    issued_at varchar(40)  not null,
    key_id    varchar(32)  collate "C" not null references checkpoint_key (key_id),
    signature bytea        not null,
    primary key (tenant_id, size)
);

create trigger checkpoint_append_only before update or delete on checkpoint
    for each row execute function ledger_refuse_change();
create trigger checkpoint_no_truncate before truncate on checkpoint
    for each statement execute function ledger_refuse_change();
create trigger checkpoint_key_append_only before update or delete on checkpoint_key
    for each row execute function ledger_refuse_change();

grant select, insert on checkpoint, checkpoint_key to ledger_app;
grant select on checkpoint, checkpoint_key to ledger_auditor;
