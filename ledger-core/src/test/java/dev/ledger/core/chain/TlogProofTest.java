package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Checkpoints as C2SP tlog-checkpoint signed notes and proofs as C2SP tlog-proof files, with the checkpoint key of
 * docs/chain.md section 4 (RFC 8032 §7.1 TEST 1).
 */
class TlogProofTest {

    static final CheckpointSigner RFC8032 = CheckpointSigner.fromBase64("MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g",
            "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    static final String ORIGIN = "ledger.example.com";

    @Test
    void theCheckpointKeyIsTheNoteKeyOfTheSameSeed() {
        SignedNote.SignerKey signer = RFC8032.noteSigner(ORIGIN);
        // RFC 8032 TEST 1: the seed 9d61b19d…7f60 has the public key d75a9801…511a
        assertThat(HexFormat.of().formatHex(signer.verifier().publicKey()))
                .isEqualTo("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
        assertThat(signer.verifier().encoded()).isEqualTo(RFC8032.key().noteVerifierKey(ORIGIN).encoded())
                // computed apart, with Python's hashlib and base64
                .isEqualTo("ledger.example.com+f43f4ff1+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea");
        assertThat(signer.toString()).doesNotContain("nWGxne");
    }

    @Test
    void aCheckpointNoteHasTheOriginSizeAndRootAndOpensWithItsKeyOnly() {
        byte[] root = MerkleTree.root(leaves(3));
        TlogCheckpoint.Body body = new TlogCheckpoint.Body(TlogCheckpoint.origin(ORIGIN, "acme"), 3, root);
        String note = TlogCheckpoint.sign(body, RFC8032.noteSigner(ORIGIN));
        assertThat(note).startsWith("ledger.example.com/tenants/acme\n3\n" + Base64.getEncoder().encodeToString(root) + "\n\n\u2014 "
                + ORIGIN + " ");
        assertThat(TlogCheckpoint.open(note, RFC8032.key().noteVerifierKey(ORIGIN))).isEqualTo(body);
        // signing is deterministic: the same checkpoint is the same note
        assertThat(TlogCheckpoint.sign(body, RFC8032.noteSigner(ORIGIN))).isEqualTo(note);
        // another key, another name for the same key, or another text, does not open it
        SignedNote.VerifierKey other = CheckpointSigner.generate().key().noteVerifierKey(ORIGIN);
        assertThatThrownBy(() -> TlogCheckpoint.open(note, other)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TlogCheckpoint.open(note, RFC8032.key().noteVerifierKey("ledger.example.org")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TlogCheckpoint.open(note.replace("\n3\n", "\n4\n"), RFC8032.key().noteVerifierKey(ORIGIN)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aCheckpointTextNotInTheFormatIsRefused() {
        String root = Base64.getEncoder().encodeToString(new byte[32]);
        for (String bad : List.of("o\n3\n", "o\n03\n" + root + "\n", "o\n-1\n" + root + "\n", "o\n3\n" + root.replace("=", "") + "\n",
                "o\n3\nAAAA\n", "\n3\n" + root + "\n", "o\n3\n" + root + "\n\nx\n", "a b\n3\n" + root + "\n")) {
            assertThatThrownBy(() -> TlogCheckpoint.body(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThat(TlogCheckpoint.body("o\n3\n" + root + "\nextension\n").size()).isEqualTo(3);
        assertThatThrownBy(() -> TlogCheckpoint.origin("a+b", "acme")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TlogCheckpoint.origin("a b", "acme")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyEntrysProofFileVerifiesAndNoOtherEntryOrChangedFileDoes() {
        List<byte[]> leaves = leaves(7);
        byte[] root = MerkleTree.root(leaves);
        String note = TlogCheckpoint.sign(new TlogCheckpoint.Body(TlogCheckpoint.origin(ORIGIN, "acme"), 7, root),
                RFC8032.noteSigner(ORIGIN));
        SignedNote.VerifierKey key = SignedNote.verifierKey(RFC8032.key().noteVerifierKey(ORIGIN).encoded());
        for (int i = 0; i < 7; i++) {
            String file = new TlogProof(i, MerkleTree.inclusionProof(leaves, i, 7), note).encoded();
            assertThat(file).startsWith("c2sp.org/tlog-proof@v1\nindex " + i + "\n").endsWith("\n\n" + note);
            TlogProof read = TlogProof.parse(file);
            assertThat(read.encoded()).isEqualTo(file);
            TlogProof.Verified v = read.verify(leaves.get(i), key, "ledger.example.com/tenants/acme");
            assertThat(v.index()).isEqualTo(i);
            assertThat(v.checkpoint().rootHash()).isEqualTo(root);
            byte[] otherEntry = leaves.get((i + 1) % 7);
            assertThatThrownBy(() -> read.verify(otherEntry, key, null)).isInstanceOf(IllegalArgumentException.class);
            byte[] ownEntry = leaves.get(i);
            assertThatThrownBy(() -> read.verify(ownEntry, key, "ledger.example.com/tenants/other"))
                    .hasMessageContaining("origin");
            // every one-byte change of the file is refused, as unreadable or as not verifying
            byte[] bytes = file.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            List<String> accepted = new ArrayList<>();
            for (int b = 0; b < bytes.length; b++) {
                byte[] changed = bytes.clone();
                changed[b] ^= 0x01;
                String mangled = new String(changed, java.nio.charset.StandardCharsets.UTF_8);
                try {
                    TlogProof.parse(mangled).verify(leaves.get(i), key, "ledger.example.com/tenants/acme");
                    accepted.add("byte " + b + ": " + mangled);
                } catch (IllegalArgumentException refused) {
                    // as it should
                }
            }
            assertThat(accepted).as("one-byte changes of the proof of %d that still verify", i).isEmpty();
        }
    }

    @Test
    void aProofFileNotInTheFormatIsRefused() {
        String note = "o\n1\n" + Base64.getEncoder().encodeToString(new byte[32]) + "\n\n\u2014 o AAAAAA==\n";
        for (String bad : List.of("", "index 0\n\n" + note, "c2sp.org/tlog-proof@v1\n\n" + note, "c2sp.org/tlog-proof@v1\nindex 01\n\n" + note,
                "c2sp.org/tlog-proof@v1\nindex 0\nAAAA\n\n" + note, "c2sp.org/tlog-proof@v1\nindex 0\n\n",
                "c2sp.org/tlog-proof@v1\nindex 0\n")) {
            assertThatThrownBy(() -> TlogProof.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        TlogProof withExtra = TlogProof.parse("c2sp.org/tlog-proof@v1\nextra AAAA\nindex 0\n\n" + note);
        assertThat(withExtra.index()).isZero();
        assertThat(withExtra.path()).isEmpty();
    }

    private static List<byte[]> leaves(int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Sha256.of(new byte[] {(byte) i}));
        }
        return out;
    }
}
