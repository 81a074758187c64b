-- The deployment's log of checkpoints: every tenant checkpoint is also a leaf of one deployment-wide Merkle tree
-- (RFC 6962; leaf data = the tenant checkpoint's C2SP note text "<origin>/tenants/<t>\n<size>\n<base64 root>\n"),
-- with its own signed checkpoints (origin "<origin>/checkpoints"). A tenant deleted or rolled back then leaves a
-- leaf behind that no longer matches the tenant's chain, and removing the leaf changes the log's root: a monitor of
-- the log sees both, where a monitor of one tenant sees only a cut tail. Positions are gapless from 0, allocated
-- under the row lock of checkpoint_log_head in the transaction that inserts the tenant checkpoint.
create table checkpoint_log_leaf (
    position  bigint      primary key check (position >= 0),
    tenant_id varchar(64) collate "C" not null,
    size      bigint      not null check (size >= 0),
    root_hash bytea       not null check (octet_length(root_hash) = 32),
    logged_at timestamptz not null default now(),
    -- not unique (tenant_id, size): a checkpoint signed again at a size after its rows were deleted is a second leaf,
    -- the record of a fork, not something to refuse
    foreign key (tenant_id, size) references checkpoint (tenant_id, size)
);
create index checkpoint_log_leaf_tenant on checkpoint_log_leaf (tenant_id, size);

create table checkpoint_log_head (
    id   integer primary key check (id = 1),
    size bigint  not null check (size >= 0)
);

-- the checkpoints issued before this log existed, in the order they were issued
insert into checkpoint_log_leaf (position, tenant_id, size, root_hash)
select row_number() over (order by issued_at, tenant_id, size) - 1, tenant_id, size, root_hash from checkpoint;
insert into checkpoint_log_head (id, size) select 1, count(*) from checkpoint_log_leaf;

create trigger checkpoint_log_leaf_append_only before update or delete on checkpoint_log_leaf
    for each row execute function ledger_refuse_change();
create trigger checkpoint_log_leaf_no_truncate before truncate on checkpoint_log_leaf
    for each statement execute function ledger_refuse_change();
create trigger checkpoint_log_head_no_delete before delete on checkpoint_log_head
    for each row execute function ledger_refuse_change();
create trigger checkpoint_log_head_no_truncate before truncate on checkpoint_log_head
    for each statement execute function ledger_refuse_change();

grant select, insert on checkpoint_log_leaf to ledger_app;
grant select, update on checkpoint_log_head to ledger_app;
grant select on checkpoint_log_leaf, checkpoint_log_head to ledger_auditor;
