package dev.ledger.core.chain;

import java.util.Arrays;

/**
 * Checks one tenant's entries as they stream past, in sequence order, holding only the previous link. Used by
 * the API's verification, the offline verifier and both workers.
 */
public final class ChainVerifier {

    /** Why a chain stopped verifying; the names are the API's {@code reason} values. */
    public enum Reason {
        hash_mismatch, broken_link, sequence_gap, checkpoint_mismatch
    }

    /** The first break found, or none. */
    public record Break(long sequence, Reason reason, String detail) {
    }

    private long lastSequence;
    private byte[] lastHash;
    private long checked;
    private Break firstBreak;

    /** Starts at the beginning of a chain. */
    public ChainVerifier() {
        this(0, EntryFraming.genesis());
    }

    /** Starts after a known entry (ranged verification, or a worker resuming). */
    public ChainVerifier(long lastSequence, byte[] lastHash) {
        this.lastSequence = lastSequence;
        this.lastHash = lastHash == null ? null : lastHash.clone();
    }

    /** Feeds the next entry; answers the first break (sticky once found). */
    public Break accept(StoredEntry entry) {
        return check(entry.sequence(), entry.prevHash(), entry.hash(), entry, null);
    }

    /**
     * Feeds the next entry whose hash was already recomputed from its stored bytes elsewhere (the offline verifier
     * hashes entries on several threads); the same checks in the same order as {@link #accept(StoredEntry)}.
     */
    public Break accept(long sequence, byte[] prevHash, byte[] storedHash, byte[] recomputedHash) {
        return check(sequence, prevHash, storedHash, null, recomputedHash);
    }

    /**
     * One step of a chain without a verifier object (a worker keeps each tenant's last link itself): the break the
     * entry at {@code sequence} makes after ({@code lastSequence}, {@code lastHash}), or null. The same checks in the
     * same order as {@link #accept}; {@code hashHolds} says whether the entry's stored bytes recompute to its hash.
     */
    public static Break next(long lastSequence, byte[] lastHash, long sequence, byte[] prevHash, boolean hashHolds) {
        Break link = linkBreak(lastSequence, lastHash, sequence, prevHash);
        return link != null || hashHolds ? link : hashMismatch(sequence);
    }

    private static Break linkBreak(long lastSequence, byte[] lastHash, long sequence, byte[] prevHash) {
        long expected = lastSequence + 1;
        if (sequence != expected) {
            return new Break(expected, Reason.sequence_gap, "expected sequence " + expected + " but found " + sequence);
        }
        if (lastHash != null && !Arrays.equals(lastHash, prevHash)) {
            return new Break(sequence, Reason.broken_link, "prev_hash does not equal the hash of entry " + lastSequence);
        }
        return null;
    }

    private static Break hashMismatch(long sequence) {
        return new Break(sequence, Reason.hash_mismatch, "the stored bytes do not hash to the stored hash");
    }

    /** The entry's hash is recomputed only once sequence and link hold, from {@code entry} unless given. */
    private Break check(long sequence, byte[] prevHash, byte[] storedHash, StoredEntry entry, byte[] recomputedHash) {
        if (firstBreak != null) {
            return firstBreak;
        }
        Break broken = linkBreak(lastSequence, lastHash, sequence, prevHash);
        if (broken == null && !Arrays.equals(recomputedHash != null ? recomputedHash : entry.recomputeHash(), storedHash)) {
            broken = hashMismatch(sequence);
        }
        if (broken != null) {
            firstBreak = broken;
            return broken;
        }
        checked++;
        lastSequence = sequence;
        lastHash = storedHash;
        return null;
    }

    public Break firstBreak() {
        return firstBreak;
    }

    public long checked() {
        return checked;
    }

    public long lastSequence() {
        return lastSequence;
    }

    public byte[] lastHash() {
        return lastHash == null ? null : lastHash.clone();
    }
}
