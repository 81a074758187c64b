package dev.ledger.follower;

import dev.ledger.core.chain.EntryFraming;
import java.security.MessageDigest;

/**
 * The hashes of a tenant's latest {@value #SLOTS} entries, in a ring (slot (sequence − 1) mod {@value #SLOTS}):
 * what a second record of one of those sequences is compared with. {@code from} is the first sequence recorded
 * (positions stored before this existed start empty at their next entry).
 */
public final class RecentHashes {

    public static final int SLOTS = 64;
    private static final int HASH = EntryFraming.HASH_BYTES;

    private final byte[] ring = new byte[SLOTS * HASH];
    /** First sequence recorded; null: none yet. */
    private Long from;
    private long last;

    public Long from() {
        return from;
    }

    public void record(long sequence, byte[] hash) {
        if (from == null) {
            from = sequence;
        }
        last = sequence;
        System.arraycopy(hash, 0, ring, slot(sequence), HASH);
    }

    /**
     * Whether this sequence's hash is recorded and differs from {@code hash}; false when it matches or is not known
     * (older than the ring, or from before the ring existed). {@code lastSequence}: the tenant's position.
     */
    public boolean contradicts(long sequence, byte[] hash, long lastSequence) {
        if (!knows(sequence, lastSequence)) {
            return false;
        }
        int at = slot(sequence);
        return !MessageDigest.isEqual(java.util.Arrays.copyOfRange(ring, at, at + HASH), hash);
    }

    public boolean knows(long sequence, long lastSequence) {
        return from != null && sequence >= from && sequence <= lastSequence && sequence > lastSequence - SLOTS
                && lastSequence == last;
    }

    public byte[] toBytes() {
        return from == null ? null : ring.clone();
    }

    public static RecentHashes fromBytes(byte[] bytes, Long from) {
        RecentHashes r = new RecentHashes();
        if (bytes != null && from != null && bytes.length == SLOTS * HASH) {
            System.arraycopy(bytes, 0, r.ring, 0, bytes.length);
            r.from = from;
            r.last = Long.MIN_VALUE; // set by the caller through withLast
        }
        return r;
    }

    /** The position the ring was saved at (it is saved with the tenant's last sequence). */
    public RecentHashes withLast(long lastSequence) {
        if (from != null) {
            last = lastSequence;
        }
        return this;
    }

    private static int slot(long sequence) {
        return (int) Math.floorMod(sequence - 1, (long) SLOTS) * HASH;
    }
}
