package dev.ledger.meter;

import java.time.Instant;

/**
 * One tenant as the meter-reader bills it: its windows' closing boundary, its customer, its Merkle frontier and pending
 * checkpoint; and, read only, where the chain follower stands in its chain ({@code lastSequence}, a break).
 */
final class TenantPosition {

    final String tenantId;
    long lastSequence;
    Instant lastRecordedAt;
    String stripeCustomerId;
    Long brokenSequence;
    String brokenReason;
    Integer partition;
    /** Every window of this tenant ending at or before this instant is closed (null: none yet). */
    Instant closedThrough;
    /** {@link #closedThrough} as stored before this poll: windows need closing only once it moved past it. */
    Instant closedThroughStored;
    String tenantName;
    boolean customerWanted;
    /** Units the current batch added to this tenant's windows, not yet handed to the batch. */
    final Units units = new Units();
    /** The Merkle tree of entries 1..lastSequence; null when this position predates it (not witnessed). */
    MerkleFrontier frontier = new MerkleFrontier();
    /** A signed checkpoint ahead of lastSequence (size and root), checked on reaching it; null when none. */
    Long checkpointSize;
    byte[] checkpointRoot;
    /** The largest size whose signed root the chain matched. */
    Long witnessedSize;

    TenantPosition(String tenantId) {
        this.tenantId = tenantId;
        this.lastSequence = 0;
    }

    boolean broken() {
        return brokenSequence != null;
    }

    /** Where a tenant's units go: (tenant, meter, window start in epoch seconds, units). */
    @FunctionalInterface
    interface UnitsSink {
        void add(String tenantId, String meter, long windowStart, long quantity);
    }

    /**
     * Units summed per (meter, window) in two slots before they reach the batch's map: a tenant's consecutive entries
     * nearly always fall in the same window of one of a few meters, so this spares a map update per entry.
     */
    final class Units {
        private final String[] meter = new String[2];
        private final long[] start = new long[2];
        private final long[] sum = new long[2];
        private int nextVictim;

        void add(String m, long windowStart, long quantity, UnitsSink sink) {
            for (int i = 0; i < 2; i++) {
                if (meter[i] != null && start[i] == windowStart && meter[i].equals(m)) {
                    sum[i] = saturatedSum(sum[i], quantity);
                    return;
                }
            }
            int slot = meter[0] == null ? 0 : meter[1] == null ? 1 : nextVictim;
            if (meter[slot] != null) {
                sink.add(tenantId, meter[slot], start[slot], sum[slot]);
                nextVictim = 1 - slot;
            }
            meter[slot] = m;
            start[slot] = windowStart;
            sum[slot] = quantity;
        }

        void flush(UnitsSink sink) {
            for (int i = 0; i < 2; i++) {
                if (meter[i] != null) {
                    sink.add(tenantId, meter[i], start[i], sum[i]);
                    meter[i] = null;
                }
            }
        }
    }

    /**
     * Units added up to at most one past {@link UsageWindow#MAX_QUANTITY}: both terms are at most that, so the sum
     * cannot overflow, and a sum past the bound stays recognisable as such.
     */
    static long saturatedSum(long a, long b) {
        return Math.min(a + b, UsageWindow.MAX_QUANTITY + 1);
    }

    /** Moves the closing boundary forward to a window start (epoch seconds), never back. */
    void closeThrough(long windowStart) {
        closedThrough = UsageWindowing.passed(closedThrough, windowStart);
    }
}
