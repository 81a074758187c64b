package dev.ledger.core.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.messages.LedgerJson;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * A signed statement that a tenant's first {@code size} entries have the Merkle root {@code rootHash}. The signature
 * is Ed25519 over {@link #signedMessage()}:
 *
 * <pre>
 * message = field(tag) ‖ field(tenant_id) ‖ field(size) ‖ field(root_hash) ‖ field(issued_at)
 * field(x) = uint32 big-endian length of x ‖ x;  strings UTF-8;  size int64 big-endian;  tag = "ledger-checkpoint/v1"
 * </pre>
 * {@code key_id} is not signed: it only names the key to verify with, and a wrong one fails verification.
 * On the wire {@code root_hash} is lowercase hex and {@code signature} is base64 (RFC 4648, padded).
 */
public record Checkpoint(String tenantId, long size, byte[] rootHash, String issuedAt, String keyId, byte[] signature) {

    public static final String TAG_V1 = "ledger-checkpoint/v1";
    private static final byte[] TAG_BYTES = TAG_V1.getBytes(StandardCharsets.UTF_8);

    public Checkpoint {
        Objects.requireNonNull(tenantId, "tenantId");
        Objects.requireNonNull(issuedAt, "issuedAt");
        Objects.requireNonNull(keyId, "keyId");
        Objects.requireNonNull(signature, "signature");
        if (size < 0) {
            throw new IllegalArgumentException("a checkpoint's size cannot be negative");
        }
        rootHash = MerkleTree.requireHash(rootHash, "root_hash").clone();
        signature = signature.clone();
    }

    /** The exact bytes the signature covers. */
    public byte[] signedMessage() {
        return signedMessage(tenantId, size, rootHash, issuedAt);
    }

    static byte[] signedMessage(String tenantId, long size, byte[] rootHash, String issuedAt) {
        byte[] tenant = tenantId.getBytes(StandardCharsets.UTF_8);
        byte[] at = issuedAt.getBytes(StandardCharsets.UTF_8);
        ByteBuffer message = ByteBuffer.allocate(5 * 4 + TAG_BYTES.length + tenant.length + 8 + rootHash.length + at.length);
        message.putInt(TAG_BYTES.length).put(TAG_BYTES);
        message.putInt(tenant.length).put(tenant);
        message.putInt(8).putLong(size);
        message.putInt(rootHash.length).put(rootHash);
        message.putInt(at.length).put(at);
        return message.array();
    }

    @Override
    public byte[] rootHash() {
        return rootHash.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    /** The API's and the export bundle's form: {@code tenant_id, size, root_hash (hex), issued_at, key_id, signature (base64)}. */
    public ObjectNode toJson() {
        ObjectNode node = LedgerJson.mapper().createObjectNode();
        node.put("tenant_id", tenantId);
        node.put("size", size);
        node.put("root_hash", Hex.of(rootHash));
        node.put("issued_at", issuedAt);
        node.put("key_id", keyId);
        node.put("signature", Base64.getEncoder().encodeToString(signature));
        return node;
    }

    /** Reads {@link #toJson()}'s form; throws IllegalArgumentException naming what is missing or malformed. */
    public static Checkpoint fromJson(JsonNode n) {
        JsonNode size = n.get("size");
        if (size == null || !size.canConvertToLong() || !size.isIntegralNumber()) {
            throw new IllegalArgumentException("checkpoint lacks an integer size");
        }
        try {
            return new Checkpoint(text(n, "tenant_id"), size.asLong(), Hex.parse(text(n, "root_hash")), text(n, "issued_at"),
                    text(n, "key_id"), Base64Text.decode(text(n, "signature")));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed checkpoint: " + e.getMessage(), e);
        }
    }

    /** The most a Stripe metadata value holds. */
    public static final int METADATA_MAX = 500;
    private static final String[] METADATA_FIELDS = {"tenant", "size", "root", "issued_at", "key_id", "sig"};

    /**
     * The form written into a Stripe invoice's metadata ({@code ledger_checkpoint}): one line,
     * {@code ledger-checkpoint/v1 tenant=… size=… root=<hex> issued_at=… key_id=… sig=<base64>}, at most
     * {@link #METADATA_MAX} characters (an IllegalStateException beyond, which an id of today's lengths never reaches).
     */
    public String toMetadata() {
        String m = TAG_V1 + " tenant=" + tenantId + " size=" + size + " root=" + Hex.of(rootHash) + " issued_at=" + issuedAt
                + " key_id=" + keyId + " sig=" + Base64.getEncoder().encodeToString(signature);
        if (m.length() > METADATA_MAX || tenantId.contains(" ") || keyId.contains(" ") || issuedAt.contains(" ")) {
            throw new IllegalStateException("this checkpoint does not fit a Stripe metadata value");
        }
        return m;
    }

    /** Reads {@link #toMetadata()}'s form; throws IllegalArgumentException naming what is missing or malformed. */
    public static Checkpoint fromMetadata(String metadata) {
        if (metadata == null || metadata.length() > METADATA_MAX) {
            throw new IllegalArgumentException("not a ledger checkpoint: absent or longer than " + METADATA_MAX + " characters");
        }
        String[] parts = metadata.split(" ", -1);
        if (parts.length != METADATA_FIELDS.length + 1 || !parts[0].equals(TAG_V1)) {
            throw new IllegalArgumentException("not a ledger checkpoint: expected \"" + TAG_V1 + "\" and "
                    + String.join(", ", METADATA_FIELDS));
        }
        String[] values = new String[METADATA_FIELDS.length];
        for (int i = 0; i < METADATA_FIELDS.length; i++) {
            String prefix = METADATA_FIELDS[i] + "=";
            if (!parts[i + 1].startsWith(prefix) || parts[i + 1].length() == prefix.length()) {
                throw new IllegalArgumentException("ledger checkpoint lacks " + METADATA_FIELDS[i]);
            }
            values[i] = parts[i + 1].substring(prefix.length());
        }
        if (!values[1].matches("[0-9]{1,18}")) {
            throw new IllegalArgumentException("ledger checkpoint's size is not a whole number");
        }
        try {
            return new Checkpoint(values[0], Long.parseLong(values[1]), Hex.parse(values[2]), values[3], values[4],
                    Base64Text.decode(values[5]));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("malformed ledger checkpoint: " + e.getMessage(), e);
        }
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException("checkpoint lacks " + field);
        }
        return v.asText();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Checkpoint c && size == c.size && tenantId.equals(c.tenantId) && Arrays.equals(rootHash, c.rootHash)
                && issuedAt.equals(c.issuedAt) && keyId.equals(c.keyId) && Arrays.equals(signature, c.signature);
    }

    @Override
    public int hashCode() {
        return Objects.hash(tenantId, size, Arrays.hashCode(rootHash), issuedAt, keyId);
    }

    @Override
    public String toString() {
        return "Checkpoint[" + tenantId + " size=" + size + " root=" + Hex.of(rootHash) + " at " + issuedAt + " key " + keyId + "]";
    }
}
