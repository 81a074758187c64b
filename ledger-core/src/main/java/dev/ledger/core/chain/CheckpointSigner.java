package dev.ledger.core.chain;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Arrays;
import java.util.Base64;

/**
 * Signs checkpoints with an Ed25519 key pair through the JDK's own provider. The key pair is stored as base64 of
 * its PKCS#8 (private) and X.509 (public) encodings; the private half never appears in {@link #toString()}.
 */
public final class CheckpointSigner {

    private static final DateTimeFormatter ISSUED_AT = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final byte[] PROBE = "ledger-checkpoint key pair probe".getBytes(StandardCharsets.UTF_8);

    private final PrivateKey privateKey;
    private final CheckpointKey key;

    private CheckpointSigner(KeyPair pair) {
        this.privateKey = pair.getPrivate();
        this.key = CheckpointKey.of(pair.getPublic());
        if (!halvesMatch()) {
            throw new IllegalArgumentException("the private key does not belong to the public key " + key.keyId());
        }
    }

    /** A fresh key pair. */
    public static CheckpointSigner generate() {
        try {
            return new CheckpointSigner(KeyPairGenerator.getInstance(CheckpointKey.ALGORITHM).generateKeyPair());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no Ed25519", e);
        }
    }

    /** Loads a key pair saved with {@link #privateKeyBase64()} and {@link CheckpointKey#publicKeyBase64()}. */
    public static CheckpointSigner fromBase64(String pkcs8Base64, String x509Base64) {
        try {
            KeyFactory factory = KeyFactory.getInstance(CheckpointKey.ALGORITHM);
            PrivateKey priv = factory.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(pkcs8Base64)));
            return new CheckpointSigner(new KeyPair(CheckpointKey.fromBase64(x509Base64).publicKey(), priv));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            // The message names neither key: it may end up in a start-up log.
            throw new IllegalArgumentException("the checkpoint signing key is not a base64 PKCS#8 / X.509 Ed25519 key pair", e);
        }
    }

    /** Base64 of the PKCS#8 encoding: a secret, for the key store only. */
    public String privateKeyBase64() {
        byte[] encoded = privateKey.getEncoded();
        try {
            return Base64.getEncoder().encodeToString(encoded);
        } finally {
            Arrays.fill(encoded, (byte) 0);
        }
    }

    public CheckpointKey key() {
        return key;
    }

    /** The PKCS#8 encoding of an Ed25519 private key as the JDK writes it (RFC 8410, version 0): this prefix, then the seed. */
    private static final byte[] PKCS8_SEED_PREFIX = {0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
            0x04, 0x22, 0x04, 0x20};

    /**
     * The same key pair as a C2SP signed-note signer named {@code name} (its seed is the 32-byte RFC 8032 private key
     * the PKCS#8 encoding ends with). The note verifier key it gives is {@link CheckpointKey#noteVerifierKey}'s.
     *
     * @throws IllegalStateException when the private key's encoding is not the plain RFC 8410 one, or its public half differs
     */
    public SignedNote.SignerKey noteSigner(String name) {
        byte[] encoded = privateKey.getEncoded();
        byte[] seed = null;
        try {
            if (encoded.length != PKCS8_SEED_PREFIX.length + 32
                    || !Arrays.equals(encoded, 0, PKCS8_SEED_PREFIX.length, PKCS8_SEED_PREFIX, 0, PKCS8_SEED_PREFIX.length)) {
                throw new IllegalStateException("the checkpoint signing key's PKCS#8 encoding is not the plain Ed25519 one");
            }
            seed = Arrays.copyOfRange(encoded, PKCS8_SEED_PREFIX.length, encoded.length);
            SignedNote.SignerKey signer = SignedNote.SignerKey.of(name, seed);
            if (!Arrays.equals(signer.verifier().publicKey(), key.noteVerifierKey(name).publicKey())) {
                throw new IllegalStateException("the note signer's public key is not the checkpoint key " + key.keyId());
            }
            return signer;
        } finally {
            Arrays.fill(encoded, (byte) 0);
            if (seed != null) {
                Arrays.fill(seed, (byte) 0);
            }
        }
    }

    public String keyId() {
        return key.keyId();
    }

    /** Signs that the tenant's first {@code size} entries have Merkle root {@code root}; issued_at is kept to the millisecond. */
    public Checkpoint sign(String tenantId, long size, byte[] root, Instant issuedAt) {
        String at = ISSUED_AT.format(issuedAt);
        byte[] message = Checkpoint.signedMessage(tenantId, size, MerkleTree.requireHash(root, "root"), at);
        return new Checkpoint(tenantId, size, root, at, key.keyId(), signature(message));
    }

    private byte[] signature(byte[] message) {
        try {
            Signature signer = Signature.getInstance(CheckpointKey.ALGORITHM);
            signer.initSign(privateKey);
            signer.update(message);
            return signer.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 signing failed", e);
        }
    }

    private boolean halvesMatch() {
        try {
            Signature verifier = Signature.getInstance(CheckpointKey.ALGORITHM);
            verifier.initVerify(key.publicKey());
            verifier.update(PROBE);
            return verifier.verify(signature(PROBE));
        } catch (GeneralSecurityException | IllegalStateException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return "CheckpointSigner[" + key.keyId() + "]";
    }
}
