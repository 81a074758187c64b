package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Cosignatures against the C2SP tlog-cosignature spec (Ed25519, cosignature/v1) and the published values of
 * transparency-dev/formats' note tests (a witness's verifier key and a cosignature's timestamp); the signature is
 * checked here with java.security over the message as the spec writes it, not through Cosignature.
 */
class CosignatureTest {

    private static final String TEXT = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    @Test
    void aPublishedWitnessKeyParsesAndItsKeyIdIsRecomputed() {
        // transparency-dev/formats note/note_cosigv1_test.go: "works: native algEd25519CosignatureV1 verifier"
        String vkey = "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2";
        Cosignature.CosignerKey key = Cosignature.CosignerKey.parse(vkey);
        assertThat(key.name()).isEqualTo("remora.n621.de");
        assertThat(key.encoded()).isEqualTo(vkey);
        assertThat(HexFormat.of().formatHex(ByteArrays.first4(sha256Unchecked("remora.n621.de\n".getBytes(StandardCharsets.UTF_8),
                new byte[] {0x04}, key.publicKey())))).isEqualTo("da77ade7");
        // a note key (type 0x01) of the same bytes, or a wrong hash, is not a cosigner key
        assertThatThrownBy(() -> Cosignature.CosignerKey.parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Cosignature.CosignerKey.parse("remora.n621.de+da77ade8+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"))
                .hasMessageContaining("hash");
    }

    @Test
    void aPublishedCosignatureCarriesItsTimestamp() {
        // transparency-dev/formats note/note_cosigv1_test.go TestCoSigV1Timestamp "works": time.Unix(1727964367, 0)
        assertThat(Cosignature.timestampOf("ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA=="))
                .isEqualTo(1727964367L);
        // "wrong type of signature": a plain note signature is no cosignature
        assertThatThrownBy(() -> Cosignature.timestampOf("eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY="))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCosignatureVerifiesAsTheSpecWritesItAndNothingElseDoes() throws Exception {
        byte[] seed = new byte[32];
        Arrays.fill(seed, (byte) 7);
        Cosignature.Cosigner witness = Cosignature.Cosigner.of("witness.example.com/w1", seed);
        String line = witness.cosign(TEXT, 1679315147L);

        // the line as the spec reads it: "— name base64(keyID ‖ u64 timestamp ‖ sig)", the signature over
        // "cosignature/v1\ntime 1679315147\n" + the note text, with key ID SHA-256(name ‖ "\n" ‖ 0x04 ‖ key)[:4]
        assertThat(line).startsWith("\u2014 witness.example.com/w1 ").endsWith("\n");
        byte[] raw = Base64.getDecoder().decode(line.substring("\u2014 witness.example.com/w1 ".length(), line.length() - 1));
        assertThat(raw).hasSize(76);
        byte[] publicKey = witness.key().publicKey();
        assertThat(Arrays.copyOfRange(raw, 0, 4)).isEqualTo(ByteArrays.first4(sha256("witness.example.com/w1\n".getBytes(StandardCharsets.UTF_8),
                new byte[] {0x04}, publicKey)));
        assertThat(Arrays.copyOfRange(raw, 4, 12)).isEqualTo(new byte[] {0, 0, 0, 0, 0x64, 0x18, 0x50, (byte) 0xcb});
        Signature v = Signature.getInstance("Ed25519");
        v.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(
                concat(HexFormat.of().parseHex("302a300506032b6570032100"), publicKey))));
        v.update(("cosignature/v1\ntime 1679315147\n" + TEXT).getBytes(StandardCharsets.UTF_8));
        assertThat(v.verify(Arrays.copyOfRange(raw, 12, 76))).isTrue();

        assertThat(Cosignature.verify(TEXT, line, witness.key())).contains(1679315147L);
        assertThat(Cosignature.verify(TEXT.replace("20852163", "20852164"), line, witness.key())).isEmpty();
        Cosignature.Cosigner other = Cosignature.Cosigner.of("witness.example.com/w1", new byte[32]);
        assertThat(Cosignature.verify(TEXT, line, other.key())).isEmpty();
        // the same key as a plain note signer signs something else: its note signature is no cosignature
        String note = SignedNote.sign(TEXT, SignedNote.SignerKey.of("witness.example.com/w1", seed));
        String noteLine = note.substring(note.indexOf('\u2014'));
        assertThat(Cosignature.verify(TEXT, noteLine, witness.key())).isEmpty();
        assertThat(witness.toString()).doesNotContain(Base64.getEncoder().encodeToString(seed));
    }

    private static byte[] sha256Unchecked(byte[]... parts) {
        try {
            return sha256(parts);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha256(byte[]... parts) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        for (byte[] p : parts) {
            md.update(p);
        }
        return md.digest();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static final class ByteArrays {
        static byte[] first4(byte[] b) {
            return Arrays.copyOf(b, 4);
        }
    }
}
