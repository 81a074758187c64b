-- The meter-reader follows the chains with chain-follower's ChainFollower, which keeps its tables the way every worker
-- has them: the consumed offsets (meter_reader_offset, column kafka_partition), the chain positions (here columns of
-- meter_reader_tenant beside the meter-reader's own: kafka_partition, last_sequence, last_hash, recent_hashes,
-- recent_from, broken_sequence, broken_reason, lost_to_retention) and the held entries (meter_reader_held_entry, with
-- each entry's hash). Renames and one new nullable column only: every stored position, offset and held entry stays.
-- lost_to_retention (was retention_gap): its first record read after records were lost to retention was ahead of it.
-- hash: null for entries held before this version (the follower reads it from the entry then).
alter table meter_reader_offset rename column partition to kafka_partition;
alter table meter_reader_tenant rename column retention_gap to lost_to_retention;
alter table meter_reader_held_entry add column hash bytea;
