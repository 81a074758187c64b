-- Fork detection and checkpoint witnessing (issue 11, item 10).
-- recent_hashes: the hashes of the tenant's latest entries, 32 bytes each, slot (sequence - 1) % 64; recent_from: the
--   first sequence recorded there (older rows start empty). A second record of one of those sequences with another
--   hash is a fork.
-- merkle_frontier: the RFC 6962 frontier of entries 1..last_sequence (the roots of its perfect subtrees, largest
--   first); null for a tenant whose position predates it (its checkpoints cannot be witnessed).
-- checkpoint_size, checkpoint_root: a signed checkpoint ahead of last_sequence, checked when the chain reaches it;
-- witnessed_size: the largest size whose signed root the chain matched; checkpoint_fetched_at: the last fetch.
alter table meter_reader_tenant
    add column recent_hashes         bytea,
    add column recent_from           bigint,
    add column merkle_frontier       bytea,
    add column checkpoint_size       bigint,
    add column checkpoint_root       bytea,
    add column witnessed_size        bigint,
    add column checkpoint_fetched_at timestamptz;
