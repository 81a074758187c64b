/**
 * What every worker that follows the tenants' chains on {@code ledger.entries} shares: the durable follower
 * ({@link dev.ledger.follower.ChainFollower}: offsets, chain positions and the worker's effects in one transaction of
 * the worker's own database, rebalance and rewind, a durable hold bounded in size and time, fork and break alerts),
 * where a record falls against a tenant's verified position ({@link dev.ledger.follower.Arrival}: dedupe on tenant and
 * sequence, forks), the hashes of the latest entries ({@link dev.ledger.follower.RecentHashes}), the Kafka consumer
 * settings, the lag gauge and the probe server. Link and hash verification is ledger-core's ({@code ChainVerifier});
 * a worker adds only what it does with a verified entry.
 */
package dev.ledger.follower;
