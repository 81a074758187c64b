package dev.ledger.core.chain;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The entry hash, framing version 1 (spec and test vectors: docs/chain.md).
 *
 * <pre>
 * hash = SHA-256( field(tag) ‖ field(tenant_id) ‖ field(sequence) ‖ field(event_id) ‖ field(type) ‖ field(revision)
 *                 ‖ field(recorded_at) ‖ field(SHA-256(payload)) ‖ field(SHA-256(metadata)) ‖ field(prev_hash) )
 * field(x) = uint32 big-endian length of x ‖ x;  strings are UTF-8;  sequence is int64 big-endian;
 * tag = "ledger-entry/v1";  revision "" when absent;  prev_hash of sequence 1 = 32 zero bytes.
 * </pre>
 * Committing to the payload through its digest lets a payload be redacted later while the chain still verifies.
 */
public final class EntryFraming {

    public static final String TAG_V1 = "ledger-entry/v1";
    public static final int HASH_BYTES = 32;
    private static final byte[] TAG_BYTES = TAG_V1.getBytes(StandardCharsets.UTF_8);
    private static final byte[] GENESIS = new byte[HASH_BYTES];
    private static final HexFormat HEX = HexFormat.of();
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(EntryFraming::newDigest);

    private EntryFraming() {
    }

    /** prev_hash of a chain's first entry. */
    public static byte[] genesis() {
        return GENESIS.clone();
    }

    public static byte[] hash(String tenantId, long sequence, String eventId, String type, String revision, String recordedAt,
                              byte[] payloadDigest, byte[] metadataDigest, byte[] prevHash) {
        byte[] tenant = utf8(tenantId);
        byte[] event = utf8(eventId);
        byte[] typeBytes = utf8(type);
        byte[] rev = utf8(revision == null ? "" : revision);
        byte[] at = utf8(recordedAt);
        requireHash(payloadDigest, "payload digest");
        requireHash(metadataDigest, "metadata digest");
        requireHash(prevHash, "prev_hash");
        int size = 10 * 4 + TAG_BYTES.length + tenant.length + 8 + event.length + typeBytes.length + rev.length + at.length
                + 3 * HASH_BYTES;
        ByteBuffer frame = ByteBuffer.allocate(size);
        field(frame, TAG_BYTES);
        field(frame, tenant);
        frame.putInt(8).putLong(sequence);
        field(frame, event);
        field(frame, typeBytes);
        field(frame, rev);
        field(frame, at);
        field(frame, payloadDigest);
        field(frame, metadataDigest);
        field(frame, prevHash);
        return sha256(frame.array());
    }

    public static byte[] sha256(byte[] bytes) {
        MessageDigest digest = SHA256.get();
        digest.reset();
        return digest.digest(bytes);
    }

    public static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }

    public static byte[] unhex(String hex) {
        return HEX.parseHex(hex);
    }

    private static void field(ByteBuffer frame, byte[] value) {
        frame.putInt(value.length).put(value);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void requireHash(byte[] h, String what) {
        if (h == null || h.length != HASH_BYTES) {
            throw new IllegalArgumentException(what + " must be " + HASH_BYTES + " bytes");
        }
    }

    private static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
