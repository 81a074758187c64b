package dev.ledger.core.chain;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;

/**
 * The C2SP signed-note format (c2sp.org/signed-note), the envelope of C2SP {@code tlog-checkpoint}s that Go's sumdb,
 * Sigstore and Tessera use, with Ed25519 keys (algorithm byte 0x01).
 * <ul>
 *   <li>A verifier key is {@code <name>+<key hash>+<base64(0x01 ‖ 32-byte public key)>}, a signer key
 *       {@code PRIVATE+KEY+<name>+<key hash>+<base64(0x01 ‖ 32-byte seed)>}; the key hash is the first four bytes of
 *       SHA-256({@code name ‖ "\n" ‖ 0x01 ‖ public key}), as eight lower-case hex digits.</li>
 *   <li>A note is its text (non-empty, UTF-8, ending in a newline), a blank line, then one line per signature:
 *       {@code "— " <name> " " base64(key hash ‖ 64-byte signature of the text)}.</li>
 * </ul>
 * Written from the specification; {@code SignedNoteTest} reproduces the published vectors of Go's
 * {@code golang.org/x/mod/sumdb/note} tests.
 */
public final class SignedNote {

    /** Ed25519, the only algorithm this ledger signs with. */
    static final byte ED25519 = 0x01;
    private static final String SIGNATURE_PREFIX = "\u2014 ";
    private static final byte[] X509_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    private static final byte[] PKCS8_PREFIX = HexFormat.of().parseHex("302e020100300506032b657004220420");

    private SignedNote() {
    }

    /** A key that verifies notes signed under {@code name}. */
    public record VerifierKey(String name, byte[] publicKey) {
        public VerifierKey {
            requireName(name);
            if (publicKey == null || publicKey.length != 32) {
                throw new IllegalArgumentException("an Ed25519 public key is 32 bytes");
            }
            publicKey = publicKey.clone();
        }

        /** The key hash: the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ key), big-endian. */
        public int keyHash() {
            return SignedNote.keyHash(name, publicKey);
        }

        /** The verifier key's text form, {@code name+hash+base64}. */
        public String encoded() {
            return name + "+" + hex(keyHash()) + "+" + Base64.getEncoder().encodeToString(withAlgorithm(publicKey));
        }

        /** Refuses a name a key cannot have (empty, '+', spaces, control characters). */
        static void requireNameOf(String name) {
            requireName(name);
        }

        PublicKey javaKey() throws GeneralSecurityException {
            return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(concat(X509_PREFIX, publicKey)));
        }
    }

    /** A key that signs notes under {@code name}; {@link #toString()} never shows the seed. */
    public static final class SignerKey {
        private final String name;
        private final byte[] seed;
        private final VerifierKey verifier;

        private SignerKey(String name, byte[] seed) {
            requireName(name);
            this.name = name;
            this.seed = seed.clone();
            this.verifier = new VerifierKey(name, publicOf(seed));
        }

        /** A signer of {@code name} from a 32-byte Ed25519 seed (RFC 8032 private key). */
        public static SignerKey of(String name, byte[] seed) {
            if (seed == null || seed.length != 32) {
                throw new IllegalArgumentException("an Ed25519 private key (seed) is 32 bytes");
            }
            return new SignerKey(name, seed);
        }

        public String name() {
            return name;
        }

        public VerifierKey verifier() {
            return verifier;
        }

        /** The signer key's text form, {@code PRIVATE+KEY+name+hash+base64}: a secret. */
        public String encoded() {
            return "PRIVATE+KEY+" + name + "+" + hex(verifier.keyHash()) + "+" + Base64.getEncoder().encodeToString(withAlgorithm(seed));
        }

        byte[] sign(byte[] message) {
            try {
                PrivateKey key = KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(concat(PKCS8_PREFIX, seed)));
                Signature s = Signature.getInstance("Ed25519");
                s.initSign(key);
                s.update(message);
                return s.sign();
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("Ed25519 signing is not available", e);
            }
        }

        @Override
        public String toString() {
            return "SignerKey[" + verifier.encoded() + "]";
        }
    }

    /** Parses a verifier key; a malformed one, or one whose hash does not match its name and key, is refused. */
    public static VerifierKey verifierKey(String text) {
        // the base64 key may itself hold '+': only the first two split
        String[] parts = text == null ? new String[0] : text.split("\\+", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException("a verifier key is name+hash+key");
        }
        byte[] key = algorithmKey(parts[2]);
        VerifierKey v = new VerifierKey(parts[0], key);
        if (!parts[1].equals(hex(v.keyHash()))) {
            throw new IllegalArgumentException("the verifier key's hash does not match its name and key");
        }
        return v;
    }

    /** Parses a signer key {@code PRIVATE+KEY+name+hash+base64}; its hash must match the key it holds. */
    public static SignerKey signerKey(String text) {
        String[] parts = text == null ? new String[0] : text.split("\\+", 5);
        if (parts.length != 5 || !parts[0].equals("PRIVATE") || !parts[1].equals("KEY")) {
            throw new IllegalArgumentException("a signer key is PRIVATE+KEY+name+hash+key");
        }
        SignerKey s = SignerKey.of(parts[2], algorithmKey(parts[4]));
        if (!parts[3].equals(hex(s.verifier().keyHash()))) {
            throw new IllegalArgumentException("the signer key's hash does not match its name and key");
        }
        return s;
    }

    /** The note: {@code text}, a blank line and one signature line per signer, in the order given. */
    public static String sign(String text, SignerKey... signers) {
        requireText(text);
        if (signers.length == 0) {
            throw new IllegalArgumentException("a note needs at least one signature");
        }
        StringBuilder note = new StringBuilder(text).append('\n');
        byte[] message = text.getBytes(StandardCharsets.UTF_8);
        for (SignerKey s : signers) {
            byte[] sig = concat(intBytes(s.verifier().keyHash()), s.sign(message));
            note.append(SIGNATURE_PREFIX).append(s.name()).append(' ').append(Base64.getEncoder().encodeToString(sig)).append('\n');
        }
        return note.toString();
    }

    /** A signature line of a note: the signer's name, its key hash and the 64-byte signature. */
    public record NoteSignature(String name, int keyHash, byte[] signature) {
    }

    /** A note taken apart: its text and its signature lines (not yet verified). */
    public record Parsed(String text, List<NoteSignature> signatures) {
    }

    /** Splits a note into its text and signature lines; a note not in the format is refused. */
    public static Parsed parse(String note) {
        if (note == null || !note.endsWith("\n")) {
            throw new IllegalArgumentException("a note ends with a newline");
        }
        int split = note.lastIndexOf("\n\n");
        if (split < 0) {
            throw new IllegalArgumentException("a note has a blank line between its text and its signatures");
        }
        String text = note.substring(0, split + 1);
        requireText(text);
        List<NoteSignature> sigs = new ArrayList<>();
        for (String line : note.substring(split + 2).split("\n")) {
            if (!line.startsWith(SIGNATURE_PREFIX)) {
                throw new IllegalArgumentException("a signature line starts with an em dash and a space");
            }
            String rest = line.substring(SIGNATURE_PREFIX.length());
            int space = rest.lastIndexOf(' ');
            if (space <= 0) {
                throw new IllegalArgumentException("a signature line is a name and a signature");
            }
            String name = rest.substring(0, space);
            requireName(name);
            byte[] raw;
            try {
                raw = Base64Text.decode(rest.substring(space + 1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a signature is base64");
            }
            if (raw.length < 5) {
                throw new IllegalArgumentException("a signature holds a key hash and the signature");
            }
            int hash = intOf(raw, 0);
            sigs.add(new NoteSignature(name, hash, Arrays.copyOfRange(raw, 4, raw.length)));
        }
        if (sigs.isEmpty()) {
            throw new IllegalArgumentException("a note has at least one signature");
        }
        return new Parsed(text, List.copyOf(sigs));
    }

    /**
     * Whether {@code note} carries a valid signature by {@code key} (its name and key hash, and an Ed25519 signature of
     * the text that verifies). Signatures by other keys are ignored, as the format wants.
     */
    public static boolean verifiedBy(String note, VerifierKey key) {
        Parsed p = parse(note);
        byte[] message = p.text().getBytes(StandardCharsets.UTF_8);
        for (NoteSignature s : p.signatures()) {
            if (s.name().equals(key.name()) && s.keyHash() == key.keyHash() && s.signature().length == 64) {
                try {
                    Signature v = Signature.getInstance("Ed25519");
                    v.initVerify(key.javaKey());
                    v.update(message);
                    if (v.verify(s.signature())) {
                        return true;
                    }
                } catch (GeneralSecurityException e) {
                    return false;
                }
            }
        }
        return false;
    }

    static int keyHash(String name, byte[] publicKey) {
        return keyHash(name, ED25519, publicKey);
    }

    /** SHA-256(name ‖ "\n" ‖ type ‖ key)[:4], big-endian: the key hash of a key of signature type {@code type}. */
    static int keyHash(String name, byte type, byte[] publicKey) {
        return intOf(Sha256.of(name.getBytes(StandardCharsets.UTF_8), new byte[] {'\n', type}, publicKey), 0);
    }

    static int intOf(byte[] b, int at) {
        return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
    }

    /** The Ed25519 public key of a seed (RFC 8032 key generation, through the JDK's generator fed the seed). */
    private static byte[] publicOf(byte[] seed) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
            g.initialize(NamedParameterSpec.ED25519, new SecureRandom() {
                @Override
                public void nextBytes(byte[] bytes) {
                    System.arraycopy(seed, 0, bytes, 0, Math.min(seed.length, bytes.length));
                }
            });
            KeyPair pair = g.generateKeyPair();
            byte[] x509 = pair.getPublic().getEncoded();
            return Arrays.copyOfRange(x509, x509.length - 32, x509.length);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("Ed25519 is not available", e);
        }
    }

    private static byte[] algorithmKey(String base64) {
        byte[] raw;
        try {
            raw = Base64Text.decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("a key is base64");
        }
        if (raw.length != 33 || raw[0] != ED25519) {
            throw new IllegalArgumentException("only Ed25519 keys (algorithm 0x01, 32 bytes) are known");
        }
        return Arrays.copyOfRange(raw, 1, raw.length);
    }

    private static void requireName(String name) {
        if (name == null || name.isEmpty() || name.contains("+")) {
            throw new IllegalArgumentException("a key name is non-empty and holds no '+'");
        }
        for (int i = 0; i < name.length(); ) {
            int c = name.codePointAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c) || Character.isSpaceChar(c)) {
                throw new IllegalArgumentException("a key name holds no space or control character");
            }
            i += Character.charCount(c);
        }
    }

    private static void requireText(String text) {
        if (text == null || text.isEmpty() || !text.endsWith("\n")) {
            throw new IllegalArgumentException("a note's text is non-empty and ends with a newline");
        }
        if (text.indexOf('\0') >= 0 || text.contains("\r")) {
            throw new IllegalArgumentException("a note's text holds no NUL or carriage return");
        }
    }

    private static byte[] withAlgorithm(byte[] key) {
        return concat(new byte[] {ED25519}, key);
    }

    static byte[] intBytes(int v) {
        return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }

    private static String hex(int v) {
        return Hex.of(intBytes(v));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
