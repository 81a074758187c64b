package dev.ledger.invoice;

import java.security.MessageDigest;

/**
 * The hashes of a tenant's latest {@value #SLOTS} verified entries, in a ring (slot (sequence − 1) mod
 * {@value #SLOTS}): what a second record of one of those sequences is compared with.
 */
final class RecentHashes {

    static final int SLOTS = 64;

    private final byte[][] ring = new byte[SLOTS][];
    private long last;

    void record(long sequence, byte[] hash) {
        ring[slot(sequence)] = hash.clone();
        last = sequence;
    }

    /** Whether this passed sequence is recorded with another hash; false when it matches or is too old to tell. */
    boolean contradicts(long sequence, byte[] hash) {
        if (sequence > last || sequence <= last - SLOTS || sequence < 1) {
            return false;
        }
        byte[] known = ring[slot(sequence)];
        return known != null && !MessageDigest.isEqual(known, hash);
    }

    private static int slot(long sequence) {
        return (int) Math.floorMod(sequence - 1, (long) SLOTS);
    }
}
