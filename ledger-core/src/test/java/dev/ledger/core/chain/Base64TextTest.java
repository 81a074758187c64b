package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/**
 * A signed note, a cosignature, a JSON checkpoint and a checkpoint key have one spelling: a second base64 spelling of
 * the same bytes (another last character whose unused low bits differ), which the JDK's decoder reads as the same
 * bytes, is refused. (Note verifier keys are 33 bytes: their base64 has no unused bits, so no second spelling.)
 */
class Base64TextTest {

    private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    /** The same bytes spelled otherwise: the lowest bit of the last character before the padding flipped. */
    static String otherSpelling(String base64) {
        int last = base64.indexOf('=') - 1;
        assertThat(last).as("padded, so its last character has unused bits").isGreaterThanOrEqualTo(0);
        char c = ALPHABET.charAt(ALPHABET.indexOf(base64.charAt(last)) ^ 1);
        String other = base64.substring(0, last) + c + base64.substring(last + 1);
        // the premise: the JDK reads both as the same bytes
        assertThat(Base64.getDecoder().decode(other)).isEqualTo(Base64.getDecoder().decode(base64));
        return other;
    }

    @Test
    void onlyTheCanonicalSpellingIsRead() {
        byte[] bytes = {1, 2, 3, 4, 5};
        String canonical = Base64.getEncoder().encodeToString(bytes);
        assertThat(Base64Text.decode(canonical)).isEqualTo(bytes);
        assertThatThrownBy(() -> Base64Text.decode(otherSpelling(canonical))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Base64Text.decode(canonical.replace("=", ""))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aNoteWhoseSignatureIsSpelledOtherwiseIsRefused() {
        String note = SignedNoteTest.SIGNED;
        String sig = note.substring(note.lastIndexOf(' ') + 1, note.length() - 1);
        String respelled = note.replace(sig, otherSpelling(sig));
        SignedNote.VerifierKey key = SignedNote.verifierKey(SignedNoteTest.VKEY);
        assertThat(SignedNote.verifiedBy(note, key)).isTrue();
        assertThatThrownBy(() -> SignedNote.verifiedBy(respelled, key)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCosignatureSpelledOtherwiseDoesNotVerify() {
        byte[] seed = new byte[32];
        Arrays.fill(seed, (byte) 9);
        Cosignature.Cosigner witness = Cosignature.Cosigner.of("witness.example.com/w2", seed);
        String text = "example.com/log\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        String line = witness.cosign(text, 1_700_000_000L);
        String base64 = line.substring(line.lastIndexOf(' ') + 1, line.length() - 1);
        String respelled = line.replace(base64, otherSpelling(base64));
        assertThat(Cosignature.verify(text, line, witness.key())).contains(1_700_000_000L);
        assertThat(Cosignature.verify(text, respelled, witness.key())).isEmpty();
    }

    @Test
    void aJsonCheckpointOrACheckpointKeySpelledOtherwiseIsRefused() {
        CheckpointSigner signer = CheckpointSigner.generate();
        Checkpoint cp = signer.sign("acme", 3, new byte[32], Instant.parse("2026-01-01T12:00:00Z"));
        var json = cp.toJson();
        assertThat(Checkpoint.fromJson(json)).isEqualTo(cp);
        String signature = json.get("signature").asText();
        json.put("signature", otherSpelling(signature));
        assertThatThrownBy(() -> Checkpoint.fromJson(json)).isInstanceOf(IllegalArgumentException.class);
        String metadata = cp.toMetadata();
        assertThat(Checkpoint.fromMetadata(metadata)).isEqualTo(cp);
        assertThatThrownBy(() -> Checkpoint.fromMetadata(metadata.replace(signature, otherSpelling(signature))))
                .isInstanceOf(IllegalArgumentException.class);
        String key = signer.key().publicKeyBase64();
        assertThat(CheckpointKey.fromBase64(key)).isEqualTo(signer.key());
        assertThatThrownBy(() -> CheckpointKey.fromBase64(otherSpelling(key))).isInstanceOf(IllegalArgumentException.class);
    }
}
