package dev.ledger.follower;

import java.security.MessageDigest;

/**
 * Where a record of a tenant's chain falls against the position a follower verified up to: the next entry, a
 * redelivery of a passed one (dedupe on tenant and sequence), a second record of a passed sequence with another hash
 * (a fork), or one ahead of its predecessor (held until the predecessor arrives or the gap wait ends).
 */
public enum Arrival {
    NEXT, DUPLICATE, FORK, AHEAD;

    /**
     * {@code lastSequence}/{@code lastHash}: the tenant's verified position (0 and anything before its first entry);
     * {@code recent}: the hashes of its latest entries; {@code sequence}/{@code hash}: the record's.
     */
    public static Arrival of(long lastSequence, byte[] lastHash, RecentHashes recent, long sequence, byte[] hash) {
        if (sequence == lastSequence + 1) {
            return NEXT;
        }
        if (sequence > lastSequence) {
            return AHEAD;
        }
        boolean contradicts = sequence == lastSequence
                ? lastHash != null && !MessageDigest.isEqual(lastHash, hash)
                : recent.contradicts(sequence, hash, lastSequence);
        return contradicts ? FORK : DUPLICATE;
    }
}
