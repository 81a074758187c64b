package dev.ledger.meter;

import java.security.MessageDigest;

/**
 * Decides when a tenant's records contradict the ledger's signed word: entries 1..N that do not hash to the Merkle
 * root a verified checkpoint of size N signed. That stops the tenant like a fork (a second record of a known sequence
 * with another hash, {@link #FORK}, which the chain follower detects). State lives in the tenant's
 * {@link TenantPosition} (stored with it); this class only decides.
 */
final class ForkDetector {

    static final String FORK = dev.ledger.follower.ChainFollower.FORK;
    static final String CHECKPOINT_MISMATCH = "checkpoint_mismatch";

    private ForkDetector() {
    }

    static boolean isForkReason(String reason) {
        return FORK.equals(reason) || CHECKPOINT_MISMATCH.equals(reason);
    }

    /**
     * Records the entry just verified as the tenant's last one ({@code lastSequence}; {@code leafHash}: its RFC 6962
     * leaf hash) in its Merkle frontier and checks
     * the pending checkpoint when the chain has reached its size. Answers why the chain contradicts the checkpoint,
     * or null.
     */
    static String recordVerified(TenantPosition t, byte[] leafHash) {
        if (t.frontier != null) {
            if (t.frontier.size() == t.lastSequence - 1) {
                t.frontier.appendLeafHash(leafHash);
            } else {
                t.frontier = null; // out of step with the chain: this tenant can no longer be witnessed
            }
        }
        if (t.frontier == null || t.checkpointSize == null || t.checkpointSize != t.lastSequence) {
            return null;
        }
        boolean holds = MessageDigest.isEqual(t.frontier.root(), t.checkpointRoot);
        long size = t.checkpointSize;
        t.checkpointSize = null;
        t.checkpointRoot = null;
        if (holds) {
            t.witnessedSize = size;
            return null;
        }
        return "entries 1.." + size + " do not hash to the root the ledger signed for that size";
    }

    /** The same check for a checkpoint whose size is the chain's position now; null when it cannot be told. */
    static Boolean holdsAtHead(TenantPosition t, long size, byte[] root) {
        if (t.frontier == null || t.frontier.size() != size || t.lastSequence != size) {
            return null;
        }
        return MessageDigest.isEqual(t.frontier.root(), root);
    }
}
