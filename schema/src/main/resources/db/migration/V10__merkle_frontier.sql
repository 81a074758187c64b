-- Each tenant's RFC 6962 Merkle tree, kept so that checkpoints and proofs never re-read the whole chain.
-- merkle_frontier: the tree's frontier (compact range of [0, size)) at each size it was extended to, e.g. every
-- checkpoint's: the roots of the perfect subtrees [0, size) is made of, largest first, one per set bit of size,
-- concatenated (32 bytes each). The next checkpoint resumes from the latest one and reads only the entries after it.
create table merkle_frontier (
    tenant_id varchar(64) collate "C" not null,
    size      bigint      not null check (size >= 0),
    frontier  bytea       not null,
    primary key (tenant_id, size)
);

-- merkle_node: the root of each completed perfect subtree of 2^level leaves, level 10 and above (one row per 1,024
-- entries, about two in all), at position = first leaf / 2^level. A proof reads O(log n) of these plus at most a few
-- blocks of 1,024 entry hashes.
create table merkle_node (
    tenant_id varchar(64) collate "C" not null,
    level     smallint    not null check (level between 1 and 63),
    position  bigint      not null check (position >= 0),
    hash      bytea       not null check (octet_length(hash) = 32),
    primary key (tenant_id, level, position)
);

-- derived from history, but what later checkpoints are signed over: append-only like history
create trigger merkle_frontier_append_only before update or delete on merkle_frontier
    for each row execute function ledger_refuse_change();
create trigger merkle_frontier_no_truncate before truncate on merkle_frontier
    for each statement execute function ledger_refuse_change();
create trigger merkle_node_append_only before update or delete on merkle_node
    for each row execute function ledger_refuse_change();
create trigger merkle_node_no_truncate before truncate on merkle_node
    for each statement execute function ledger_refuse_change();

grant select, insert on merkle_frontier, merkle_node to ledger_app;
grant select on merkle_frontier, merkle_node to ledger_auditor;
