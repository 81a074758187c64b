package dev.ledger.core.chain;

import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A checkpoint in the C2SP {@code tlog-checkpoint} form (c2sp.org/tlog-checkpoint): a {@link SignedNote} whose text
 * is three lines, the origin, the tree size in decimal and the base64 (RFC 4648 §4, padded) RFC 6962 root hash.
 * <pre>
 * ledger.example.com/tenants/acme
 * 3
 * 1TNZRBH8TY9Qq5h6bqYQTz1k45LOPn8WqAkhaiNsvhw=
 *
 * — ledger.example.com &lt;base64(key hash ‖ Ed25519 signature)&gt;
 * </pre>
 * Each tenant's chain is its own log, so the origin names the deployment and the tenant,
 * {@code <deployment origin>/tenants/<tenant_id>}; the key is named by the deployment origin alone, so one verifier key
 * per signing key serves every tenant (docs/chain.md section 4).
 */
public final class TlogCheckpoint {

    private TlogCheckpoint() {
    }

    /** The checkpoint's body: who issued it, the tree size and its root. */
    public record Body(String origin, long size, byte[] rootHash) {
        public Body {
            requireOrigin(origin);
            if (size < 0) {
                throw new IllegalArgumentException("a tree size is not negative");
            }
            rootHash = MerkleTree.requireHash(rootHash, "root hash").clone();
        }

        @Override
        public byte[] rootHash() {
            return rootHash.clone();
        }

        /** The note text: origin, size and root, each line ending in a newline. */
        public String text() {
            return origin + "\n" + size + "\n" + Base64.getEncoder().encodeToString(rootHash) + "\n";
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Body b && size == b.size && origin.equals(b.origin) && Arrays.equals(rootHash, b.rootHash);
        }

        @Override
        public int hashCode() {
            return Objects.hash(origin, size, Arrays.hashCode(rootHash));
        }
    }

    /** {@code <deployment origin>/tenants/<tenant_id>}: the origin line of a tenant's checkpoints. */
    public static String origin(String deploymentOrigin, String tenantId) {
        requireOrigin(deploymentOrigin);
        return deploymentOrigin + "/tenants/" + tenantId;
    }

    /**
     * An origin (and key name) as this ledger writes them: non-empty, no space, no control character, no '+'
     * (c2sp.org/tlog-checkpoint recommends a schema-less URL; a signed-note key name holds no '+' or space).
     */
    public static String requireOrigin(String origin) {
        if (origin == null || origin.isEmpty() || origin.contains("+") || origin.contains("\n")) {
            throw new IllegalArgumentException("an origin is non-empty and holds no '+' or newline");
        }
        origin.codePoints().forEach(c -> {
            if (Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c)) {
                throw new IllegalArgumentException("an origin holds no space or control character");
            }
        });
        return origin;
    }

    /** The signed note of {@code body}, signed by {@code signer}. */
    public static String sign(Body body, SignedNote.SignerKey signer) {
        return SignedNote.sign(body.text(), signer);
    }

    /**
     * The body of a checkpoint note that {@code key} signed. Throws IllegalArgumentException when the note is not a
     * signed note, carries no valid signature of {@code key}, or its text is not origin, size and root.
     */
    public static Body open(String note, SignedNote.VerifierKey key) {
        if (!SignedNote.verifiedBy(note, key)) {
            throw new IllegalArgumentException("the checkpoint is not signed by " + key.name() + "+" + Hex.of(hashBytes(key.keyHash())));
        }
        return body(SignedNote.parse(note).text());
    }

    /** Reads a checkpoint's text (origin, size, root, then any extension lines, which are ignored). */
    static Body body(String text) {
        String[] lines = text.split("\n", -1);
        // text ends with a newline, so the split ends with one empty string
        if (lines.length < 4 || !lines[lines.length - 1].isEmpty()) {
            throw new IllegalArgumentException("a checkpoint's text is an origin, a tree size and a root hash");
        }
        for (int i = 0; i < lines.length - 1; i++) {
            if (lines[i].isEmpty()) {
                throw new IllegalArgumentException("a checkpoint has no empty line in its text");
            }
        }
        if (!lines[1].matches("0|[1-9][0-9]{0,18}")) {
            throw new IllegalArgumentException("a checkpoint's tree size is a decimal with no leading zero");
        }
        long size;
        try {
            size = Long.parseLong(lines[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a checkpoint's tree size is too large");
        }
        byte[] root;
        try {
            root = Base64Text.decode(lines[2]);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a checkpoint's root hash is base64");
        }
        if (root.length != EntryFraming.HASH_BYTES) {
            throw new IllegalArgumentException("a checkpoint's root hash is the padded base64 of 32 bytes");
        }
        return new Body(lines[0], size, root);
    }

    private static byte[] hashBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
}
