/**
 * What every worker that follows the tenants' chains on {@code ledger.entries} shares: where a record falls against
 * a tenant's verified position ({@link dev.ledger.follower.Arrival}: dedupe on tenant and sequence, forks), the
 * hashes of the latest entries ({@link dev.ledger.follower.RecentHashes}), the bounded hold of entries ahead of a gap
 * ({@link dev.ledger.follower.GapHold}), the Kafka consumer settings, the lag gauge and the probe server. Link and hash
 * verification is ledger-core's ({@code ChainVerifier}, {@code EntryReader}); a worker adds only what it does with a
 * verified entry.
 */
package dev.ledger.follower;
