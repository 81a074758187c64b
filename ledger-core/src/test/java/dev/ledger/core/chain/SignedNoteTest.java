package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * The C2SP signed-note format against the published vectors of Go's golang.org/x/mod/sumdb/note tests
 * (note_test.go: TestNewVerifier, TestNewSigner, TestSign): the same keys, and the same signed note byte for byte
 * (Ed25519 signatures are deterministic).
 */
class SignedNoteTest {

    static final String VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    static final String SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    static final String TEXT = "If you think cryptography is the answer to your problem,\n"
            + "then you don't know what your problem is.\n";
    static final String SIGNED = TEXT + "\n"
            + "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

    @Test
    void thePublishedKeysAreReadAndTheSignerKeyDerivesThePublishedVerifierKey() {
        SignedNote.VerifierKey v = SignedNote.verifierKey(VKEY);
        assertThat(v.name()).isEqualTo("PeterNeumann");
        assertThat(v.keyHash()).isEqualTo(0xc74f20a3);
        assertThat(v.encoded()).isEqualTo(VKEY);
        SignedNote.SignerKey s = SignedNote.signerKey(SKEY);
        assertThat(s.verifier().encoded()).isEqualTo(VKEY);
        assertThat(s.encoded()).isEqualTo(SKEY);
        assertThat(s.toString()).doesNotContain("AYEKFALVFGyNhPJEMzD1QIDr");
    }

    @Test
    void aManglingOfTheVerifierKeyIsRefused() {
        byte[] b = VKEY.getBytes();
        for (int i = 0; i < b.length; i++) {
            b[i]++;
            String mangled = new String(b);
            assertThatThrownBy(() -> SignedNote.verifierKey(mangled)).as(mangled).isInstanceOf(IllegalArgumentException.class);
            b[i]--;
        }
        for (int j = 1; j < VKEY.length(); j++) {
            String cut = VKEY.substring(0, j);
            assertThatThrownBy(() -> SignedNote.verifierKey(cut)).as(cut).isInstanceOf(IllegalArgumentException.class);
        }
        // Go's two: a key of the wrong length and an unknown algorithm, each with its hash adjusted
        assertThatThrownBy(() -> SignedNote.verifierKey("PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SignedNote.verifierKey("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void signingThePublishedTextGivesThePublishedNoteWhichVerifies() {
        assertThat(SignedNote.sign(TEXT, SignedNote.signerKey(SKEY))).isEqualTo(SIGNED);
        SignedNote.VerifierKey v = SignedNote.verifierKey(VKEY);
        assertThat(SignedNote.verifiedBy(SIGNED, v)).isTrue();
        // another text under the same signature, or the signature changed, does not verify
        assertThat(SignedNote.verifiedBy(SIGNED.replace("answer", "Answer"), v)).isFalse();
        assertThat(SignedNote.verifiedBy(SIGNED.replace("x08go/", "x08go+"), v)).isFalse();
        // nor does the note for a key of another name
        SignedNote.SignerKey other = SignedNote.SignerKey.of("EnochRoot", new byte[32]);
        assertThat(SignedNote.verifiedBy(SIGNED, other.verifier())).isFalse();
        // a second signature is added on its own line, and each key finds its own
        String both = SignedNote.sign(TEXT, SignedNote.signerKey(SKEY), other);
        assertThat(both).startsWith(SIGNED);
        assertThat(SignedNote.verifiedBy(both, v)).isTrue();
        assertThat(SignedNote.verifiedBy(both, other.verifier())).isTrue();
    }

    @Test
    void malformedNotesAreRefused() {
        SignedNote.SignerKey s = SignedNote.signerKey(SKEY);
        assertThatThrownBy(() -> SignedNote.sign("abc", s)).hasMessageContaining("ends with a newline");
        assertThatThrownBy(() -> SignedNote.parse(TEXT)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SignedNote.parse(TEXT + "\n- PeterNeumann x08go=\n")).hasMessageContaining("em dash");
        assertThatThrownBy(() -> SignedNote.SignerKey.of("a+b", new byte[32])).hasMessageContaining("'+'");
    }
}
