package dev.ledger.core.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.messages.LedgerJson;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.EdECPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.Objects;

/**
 * A checkpoint verification key. Wire form: {@code public_key} is base64 (RFC 4648, padded) of the key's X.509
 * SubjectPublicKeyInfo encoding (44 bytes for Ed25519: {@code 302a300506032b6570032100} ‖ the 32-byte key);
 * {@code key_id} is the first 16 hex characters of SHA-256 of that encoding.
 */
public record CheckpointKey(String keyId, PublicKey publicKey) {

    public static final String ALGORITHM = "Ed25519";

    public CheckpointKey {
        Objects.requireNonNull(publicKey, "publicKey");
        if (!(publicKey instanceof EdECPublicKey ed) || !ALGORITHM.equalsIgnoreCase(ed.getParams().getName())) {
            throw new IllegalArgumentException("a checkpoint key must be an Ed25519 public key");
        }
        String derived = keyIdOf(publicKey.getEncoded());
        if (!derived.equals(keyId)) {
            throw new IllegalArgumentException("key_id " + keyId + " does not belong to this public key (its key_id is " + derived + ")");
        }
    }

    public static CheckpointKey of(PublicKey publicKey) {
        return new CheckpointKey(keyIdOf(publicKey.getEncoded()), publicKey);
    }

    /** From base64 of the X.509 encoding. */
    public static CheckpointKey fromBase64(String x509Base64) {
        try {
            byte[] encoded = Base64Text.decode(x509Base64);
            return of(KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(encoded)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a base64 X.509 Ed25519 public key", e);
        }
    }

    /** First 16 hex characters of SHA-256 of the X.509 encoding. */
    public static String keyIdOf(byte[] x509Encoded) {
        return Hex.of(Sha256.of(x509Encoded)).substring(0, 16);
    }

    public String publicKeyBase64() {
        return Base64.getEncoder().encodeToString(publicKey.getEncoded());
    }

    /** The 32-byte Ed25519 public key (RFC 8032): the last 32 bytes of the X.509 encoding. */
    public byte[] rawPublicKey() {
        byte[] x509 = publicKey.getEncoded();
        return java.util.Arrays.copyOfRange(x509, x509.length - 32, x509.length);
    }

    /** This key as a C2SP signed-note verifier key named {@code name} ({@code name+hash+base64}, {@link SignedNote}). */
    public SignedNote.VerifierKey noteVerifierKey(String name) {
        return new SignedNote.VerifierKey(name, rawPublicKey());
    }

    /** Whether the checkpoint names this key and its signature verifies with it. */
    public boolean verifies(Checkpoint checkpoint) {
        if (!keyId.equals(checkpoint.keyId())) {
            return false;
        }
        try {
            Signature verifier = Signature.getInstance(ALGORITHM);
            verifier.initVerify(publicKey);
            verifier.update(checkpoint.signedMessage());
            return verifier.verify(checkpoint.signature());
        } catch (GeneralSecurityException e) {
            // A malformed signature (wrong length, off-curve point) simply does not verify.
            return false;
        }
    }

    /** {@code {"key_id","algorithm":"Ed25519","public_key"}}, as GET /v1/checkpoint-keys and the export bundle carry it. */
    public ObjectNode toJson() {
        ObjectNode node = LedgerJson.mapper().createObjectNode();
        node.put("key_id", keyId);
        node.put("algorithm", ALGORITHM);
        node.put("public_key", publicKeyBase64());
        return node;
    }

    /** Reads {@link #toJson()}'s form, refusing another algorithm or a key_id that is not the key's own. */
    public static CheckpointKey fromJson(JsonNode n) {
        JsonNode algorithm = n.get("algorithm");
        if (algorithm != null && !ALGORITHM.equals(algorithm.asText())) {
            throw new IllegalArgumentException("unsupported checkpoint key algorithm " + algorithm.asText());
        }
        JsonNode publicKey = n.get("public_key");
        if (publicKey == null || !publicKey.isTextual()) {
            throw new IllegalArgumentException("key lacks public_key");
        }
        CheckpointKey key = fromBase64(publicKey.asText());
        JsonNode keyId = n.get("key_id");
        if (keyId != null && !key.keyId().equals(keyId.asText())) {
            throw new IllegalArgumentException("key_id " + keyId.asText() + " does not belong to its public key (its key_id is "
                    + key.keyId() + ")");
        }
        return key;
    }

    @Override
    public String toString() {
        return "CheckpointKey[" + keyId + "]";
    }
}
