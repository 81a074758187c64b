package dev.ledger.core.chain;

import java.util.Arrays;
import java.util.Objects;

/**
 * One entry exactly as stored: the fields the hash commits to, the stored payload and metadata bytes, and the
 * link (prev_hash, hash) written beside them. {@code payload} may be null when it was redacted; the chain still
 * verifies through {@code payloadDigest}.
 */
public record StoredEntry(String tenantId, long sequence, String eventId, String type, String revision, String recordedAt,
                          byte[] payload, byte[] payloadDigest, byte[] metadata, byte[] prevHash, byte[] hash) {

    public StoredEntry {
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(recordedAt, "recordedAt");
        Objects.requireNonNull(metadata, "metadata");
        if (payload == null && payloadDigest == null) {
            throw new IllegalArgumentException("an entry needs its payload or, once redacted, the payload digest");
        }
    }

    /** An entry whose payload digest is computed from the payload bytes. */
    public static StoredEntry of(String tenantId, long sequence, String eventId, String type, String revision, String recordedAt,
                                 byte[] payload, byte[] metadata, byte[] prevHash, byte[] hash) {
        return new StoredEntry(tenantId, sequence, eventId, type, revision, recordedAt, payload, null, metadata, prevHash, hash);
    }

    /** Digest of the payload bytes as stored now (or the retained digest of a redacted payload). */
    public byte[] effectivePayloadDigest() {
        return payload != null ? Sha256.of(payload) : payloadDigest;
    }

    /** The hash this entry's stored bytes commit to, with the stored prev_hash. */
    public byte[] recomputeHash() {
        return EntryFraming.hash(tenantId, sequence, eventId, type, revision, recordedAt, effectivePayloadDigest(),
                Sha256.of(metadata), prevHash);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredEntry e && sequence == e.sequence && tenantId.equals(e.tenantId) && eventId.equals(e.eventId)
                && Arrays.equals(hash, e.hash);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tenantId, sequence, eventId);
    }

    @Override
    public String toString() {
        return "StoredEntry[" + tenantId + "#" + sequence + " " + type + "]";
    }
}
