package dev.ledger.core.chain;

import dev.ledger.core.entry.ChainFormat;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The entry hash of chain format {@value ChainFormat#VERSION} (spec and test vectors: docs/chain.md).
 *
 * <pre>
 * hash = SHA-256( field(tag) ‖ field(tenant_id) ‖ field(sequence) ‖ field(event_id) ‖ field(type) ‖ field(revision)
 *                 ‖ field(recorded_at) ‖ field(SHA-256(payload)) ‖ field(SHA-256(metadata)) ‖ field(prev_hash) )
 * field(x) = uint32 big-endian length of x ‖ x;  strings are UTF-8;  sequence is int64 big-endian;
 * tag = "ledger-entry/v2";  revision "" when absent;  prev_hash of sequence 1 = 32 zero bytes.
 * </pre>
 * Committing to the payload through its digest lets a payload be redacted later while the chain still verifies.
 */
public final class EntryFraming {

    /** The frame's first field, naming the chain format ({@link ChainFormat#ENTRY_TAG}). */
    public static final String TAG = ChainFormat.ENTRY_TAG;
    public static final int HASH_BYTES = Sha256.BYTES;
    private static final byte[] TAG_BYTES = TAG.getBytes(StandardCharsets.UTF_8);
    private static final byte[] GENESIS = new byte[HASH_BYTES];
    /** Every verifier hashes entry after entry: one frame buffer per thread, reset by {@link Frame#tenant}. */
    private static final ThreadLocal<Frame> FRAME = ThreadLocal.withInitial(Frame::new);

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
        return FRAME.get().tenant(tenant, 0, tenant.length).sequence(sequence).eventId(event, 0, event.length)
                .type(typeBytes, 0, typeBytes.length).revision(rev, 0, rev.length).recordedAt(at, 0, at.length)
                .digests(payloadDigest, metadataDigest, prevHash).hash(Sha256.thread());
    }

    /**
     * The framing written field by field into a reusable buffer, for readers that hold the UTF-8 bytes of the fields
     * already (the offline verifier scans them out of bundle lines): the fields in the spec's order, each exactly once.
     */
    public static final class Frame {
        private byte[] buf = new byte[512];
        private int n;

        private Frame begin() {
            n = 0;
            return field(TAG_BYTES, 0, TAG_BYTES.length);
        }

        public Frame tenant(byte[] b, int off, int len) {
            return begin().field(b, off, len);
        }

        public Frame sequence(long sequence) {
            room(12);
            putInt(8);
            for (int shift = 56; shift >= 0; shift -= 8) {
                buf[n++] = (byte) (sequence >>> shift);
            }
            return this;
        }

        public Frame eventId(byte[] b, int off, int len) {
            return field(b, off, len);
        }

        public Frame type(byte[] b, int off, int len) {
            return field(b, off, len);
        }

        /** The revision's bytes, empty when absent. */
        public Frame revision(byte[] b, int off, int len) {
            return field(b, off, len);
        }

        public Frame recordedAt(byte[] b, int off, int len) {
            return field(b, off, len);
        }

        public Frame digests(byte[] payloadDigest, byte[] metadataDigest, byte[] prevHash) {
            requireHash(payloadDigest, "payload digest");
            requireHash(metadataDigest, "metadata digest");
            requireHash(prevHash, "prev_hash");
            return field(payloadDigest, 0, HASH_BYTES).field(metadataDigest, 0, HASH_BYTES).field(prevHash, 0, HASH_BYTES);
        }

        public byte[] hash(MessageDigest md) {
            md.reset();
            md.update(buf, 0, n);
            return md.digest();
        }

        private Frame field(byte[] b, int off, int len) {
            room(4 + len);
            putInt(len);
            System.arraycopy(b, off, buf, n, len);
            n += len;
            return this;
        }

        /** Big-endian, as the spec frames lengths (no ByteBuffer per field: a verifier frames ten per entry). */
        private void putInt(int v) {
            buf[n] = (byte) (v >>> 24);
            buf[n + 1] = (byte) (v >>> 16);
            buf[n + 2] = (byte) (v >>> 8);
            buf[n + 3] = (byte) v;
            n += 4;
        }

        private void room(int more) {
            if (n + more > buf.length) {
                buf = java.util.Arrays.copyOf(buf, Math.max(2 * buf.length, n + more));
            }
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void requireHash(byte[] h, String what) {
        if (h == null || h.length != HASH_BYTES) {
            throw new IllegalArgumentException(what + " must be " + HASH_BYTES + " bytes");
        }
    }
}
