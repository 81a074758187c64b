package dev.ledger.core.chain;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.Signature;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

/**
 * Witness cosignatures in the C2SP {@code tlog-cosignature} Ed25519 form ({@code cosignature/v1}): a signed-note
 * signature line {@code — <cosigner name> base64(key ID ‖ u64 timestamp ‖ Ed25519 signature)} whose signature covers
 * {@code "cosignature/v1\ntime <timestamp>\n"} followed by the checkpoint's note text. The key ID is the first four
 * bytes of SHA-256({@code name ‖ "\n" ‖ 0x04 ‖ public key}), and a cosigner's verifier key is written like a note
 * verifier key with signature type 0x04 ({@code name+hash+base64(0x04 ‖ key)}). A cosignature states that, at its
 * time, the checkpoint was the largest consistent tree the witness had seen for that origin.
 */
public final class Cosignature {

    /** The signature type byte of Ed25519 cosignature/v1 keys. */
    static final byte ED25519_COSIGNATURE_V1 = 0x04;
    private static final String PREFIX = "\u2014 ";

    private Cosignature() {
    }

    /** A cosigner's public key under its name. */
    public record CosignerKey(String name, byte[] publicKey) {
        public CosignerKey {
            SignedNote.VerifierKey.requireNameOf(name);
            if (publicKey == null || publicKey.length != 32) {
                throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
            }
            publicKey = publicKey.clone();
        }

        @Override
        public byte[] publicKey() {
            return publicKey.clone();
        }

        /** SHA-256(name ‖ "\n" ‖ 0x04 ‖ key)[:4], big-endian. */
        public int keyId() {
            return SignedNote.keyHash(name, ED25519_COSIGNATURE_V1, publicKey);
        }

        /** {@code name+hash+base64(0x04 ‖ key)}: what a log operator puts in its witness policy. */
        public String encoded() {
            byte[] typed = new byte[33];
            typed[0] = ED25519_COSIGNATURE_V1;
            System.arraycopy(publicKey, 0, typed, 1, 32);
            return name + "+" + Hex.of(SignedNote.intBytes(keyId())) + "+" + Base64.getEncoder().encodeToString(typed);
        }

        /** Parses {@code name+hash+base64(0x04 ‖ key)}; a key of another type, or whose hash does not match, is refused. */
        public static CosignerKey parse(String text) {
            String[] parts = text == null ? new String[0] : text.split("\\+", 3);
            if (parts.length != 3 || parts[1].length() != 8) {
                throw new IllegalArgumentException("a cosigner key is name+hash+base64");
            }
            byte[] raw;
            try {
                raw = Base64Text.decode(parts[2]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a cosigner key's key is base64");
            }
            if (raw.length != 33 || raw[0] != ED25519_COSIGNATURE_V1) {
                throw new IllegalArgumentException("only Ed25519 cosignature/v1 keys (type 0x04, 32 bytes) are known");
            }
            CosignerKey key = new CosignerKey(parts[0], Arrays.copyOfRange(raw, 1, 33));
            if (!Hex.of(SignedNote.intBytes(key.keyId())).equals(parts[1])) {
                throw new IllegalArgumentException("the cosigner key's hash does not match its name and key");
            }
            return key;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof CosignerKey k && name.equals(k.name) && Arrays.equals(publicKey, k.publicKey);
        }

        @Override
        public int hashCode() {
            return name.hashCode() * 31 + Arrays.hashCode(publicKey);
        }

        @Override
        public String toString() {
            return encoded();
        }
    }

    /** A witness's signing key: a 32-byte Ed25519 seed under a name; {@link #toString()} never shows the seed. */
    public static final class Cosigner {
        private final SignedNote.SignerKey signer;
        private final CosignerKey key;

        private Cosigner(String name, byte[] seed) {
            this.signer = SignedNote.SignerKey.of(name, seed);
            this.key = new CosignerKey(name, signer.verifier().publicKey());
        }

        public static Cosigner of(String name, byte[] seed) {
            return new Cosigner(name, seed);
        }

        public CosignerKey key() {
            return key;
        }

        /** The cosignature line (ending in a newline) of the checkpoint whose note text is {@code text}, at {@code timestamp}. */
        public String cosign(String text, long timestamp) {
            if (timestamp <= 0) {
                throw new IllegalArgumentException("a cosignature's timestamp is a positive POSIX time");
            }
            byte[] sig = signer.sign(message(text, timestamp));
            byte[] raw = new byte[4 + 8 + sig.length];
            System.arraycopy(SignedNote.intBytes(key.keyId()), 0, raw, 0, 4);
            for (int i = 0; i < 8; i++) {
                raw[4 + i] = (byte) (timestamp >>> (56 - 8 * i));
            }
            System.arraycopy(sig, 0, raw, 12, sig.length);
            return PREFIX + key.name() + " " + Base64.getEncoder().encodeToString(raw) + "\n";
        }

        @Override
        public String toString() {
            return "Cosigner[" + key.encoded() + "]";
        }
    }

    /**
     * The timestamp of {@code line} when it is a cosignature by {@code key} of the checkpoint whose note text is
     * {@code text} (name, key ID and signature all hold), else empty. A line by another key is simply not one of
     * {@code key}'s.
     */
    public static Optional<Long> verify(String text, String line, CosignerKey key) {
        String body = line.endsWith("\n") ? line.substring(0, line.length() - 1) : line;
        if (!body.startsWith(PREFIX + key.name() + " ")) {
            return Optional.empty();
        }
        byte[] raw;
        try {
            raw = Base64Text.decode(body.substring(PREFIX.length() + key.name().length() + 1));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (raw.length != 4 + 8 + 64 || SignedNote.intOf(raw, 0) != key.keyId()) {
            return Optional.empty();
        }
        long timestamp = 0;
        for (int i = 0; i < 8; i++) {
            timestamp = timestamp << 8 | (raw[4 + i] & 0xff);
        }
        if (timestamp <= 0) {
            return Optional.empty();
        }
        try {
            Signature v = Signature.getInstance("Ed25519");
            v.initVerify(new SignedNote.VerifierKey(key.name(), key.publicKey()).javaKey());
            v.update(message(text, timestamp));
            return v.verify(raw, 12, 64) ? Optional.of(timestamp) : Optional.empty();
        } catch (GeneralSecurityException e) {
            return Optional.empty();
        }
    }

    /** The timestamp a cosignature's base64 carries (bytes 4..11), without checking the signature. */
    public static long timestampOf(String base64) {
        byte[] raw = Base64Text.decode(base64);
        if (raw.length != 4 + 8 + 64) {
            throw new IllegalArgumentException("an Ed25519 cosignature is a key ID, a timestamp and a 64-byte signature");
        }
        long timestamp = 0;
        for (int i = 0; i < 8; i++) {
            timestamp = timestamp << 8 | (raw[4 + i] & 0xff);
        }
        return timestamp;
    }

    /** {@code cosignature/v1\ntime <timestamp>\n} followed by the checkpoint's note text. */
    static byte[] message(String text, long timestamp) {
        if (text == null || !text.endsWith("\n")) {
            throw new IllegalArgumentException("a checkpoint's note text ends with a newline");
        }
        return ("cosignature/v1\ntime " + timestamp + "\n" + text).getBytes(StandardCharsets.UTF_8);
    }
}
