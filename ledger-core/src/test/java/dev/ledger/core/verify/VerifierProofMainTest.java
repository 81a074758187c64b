package dev.ledger.core.verify;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.Sha256;
import dev.ledger.core.chain.TlogCheckpoint;
import dev.ledger.core.chain.TlogProof;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code verify-proof}: one C2SP tlog-proof file, checked offline against a note verifier key and the entry's hash. */
class VerifierProofMainTest {

    private static final CheckpointSigner SIGNER = CheckpointSigner.generate();
    private static final String KEY = SIGNER.key().noteVerifierKey("ledger.example.com").encoded();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final List<byte[]> entries = new ArrayList<>();

    @TempDir
    Path dir;

    @Test
    void aProofFileVerifiesForItsEntryAndOriginOnly() throws IOException {
        Path file = proofOf(4, 10);
        assertThat(run("verify-proof", file.toString(), "--key", KEY, "--entry-hash", Hex.of(entries.get(4)),
                "--origin", "ledger.example.com/tenants/acme")).as(err.toString()).isEqualTo(VerifierMain.VALID);
        assertThat(out.toString()).startsWith("VALID").contains("\"status\":\"VALID\"", "\"tree_size\":10", "\"index\":4");

        assertThat(run("verify-proof", file.toString(), "--key", KEY, "--entry-hash", Hex.of(entries.get(5)))).isEqualTo(VerifierMain.BROKEN);
        assertThat(run("verify-proof", file.toString(), "--key", KEY, "--entry-hash", Hex.of(entries.get(4)),
                "--origin", "ledger.example.com/tenants/other")).isEqualTo(VerifierMain.BROKEN);
        String otherKey = CheckpointSigner.generate().key().noteVerifierKey("ledger.example.com").encoded();
        assertThat(run("verify-proof", file.toString(), "--key", otherKey, "--entry-hash", Hex.of(entries.get(4)))).isEqualTo(VerifierMain.BROKEN);
    }

    @Test
    void aTamperedProofFileIsBrokenOrUnreadable() throws IOException {
        Path file = proofOf(4, 10);
        String text = Files.readString(file);
        // the size line of the checkpoint: 10 becomes 11
        Files.writeString(file, text.replace("\n10\n", "\n11\n"));
        assertThat(run("verify-proof", file.toString(), "--key", KEY, "--entry-hash", Hex.of(entries.get(4)))).isEqualTo(VerifierMain.BROKEN);
        Files.writeString(file, text.replace("index 4", "index 5"));
        assertThat(run("verify-proof", file.toString(), "--key", KEY, "--entry-hash", Hex.of(entries.get(4)))).isEqualTo(VerifierMain.BROKEN);
        Files.writeString(file, text.replace("c2sp.org/tlog-proof@v1", "c2sp.org/tlog-proof@v2"));
        assertThat(run("verify-proof", file.toString(), "--key", KEY, "--entry-hash", Hex.of(entries.get(4)))).isEqualTo(VerifierMain.UNUSABLE);
        assertThat(run("verify-proof", file.toString(), "--key", "nonsense", "--entry-hash", Hex.of(entries.get(4)))).isEqualTo(VerifierMain.UNUSABLE);
        assertThat(run("verify-proof", file.toString(), "--entry-hash", Hex.of(entries.get(4)))).isEqualTo(VerifierMain.UNUSABLE);
    }

    private Path proofOf(int index, int size) throws IOException {
        for (int i = 0; i < size; i++) {
            entries.add(Sha256.of(("entry " + i).getBytes(StandardCharsets.UTF_8)));
        }
        String note = TlogCheckpoint.sign(new TlogCheckpoint.Body(TlogCheckpoint.origin("ledger.example.com", "acme"), size,
                MerkleTree.root(entries)), SIGNER.noteSigner("ledger.example.com"));
        Path file = dir.resolve("acme-" + (index + 1) + ".tlog-proof");
        Files.writeString(file, new TlogProof(index, MerkleTree.inclusionProof(entries, index, size), note).encoded());
        return file;
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return VerifierMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }
}
