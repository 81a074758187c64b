package dev.ledger.core.verify;

import static dev.ledger.core.verify.BundleFixture.TENANT;
import static dev.ledger.core.verify.BundleFixture.bundle;
import static dev.ledger.core.verify.BundleFixture.entryLine;
import static dev.ledger.core.verify.BundleFixture.join;
import static dev.ledger.core.verify.BundleFixture.lines;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.chain.ChainFixture;
import dev.ledger.core.chain.ChainVerifier.Reason;
import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.verify.BundleVerification.Status;
import dev.ledger.core.chain.Hex;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 11 item 17: a bundle cut short is TRUNCATED (its own verdict and exit code), never mistaken for tampering. */
class ExportTruncationTest {

    private static final CheckpointSigner SIGNER = CheckpointSigner.generate();
    private final List<StoredEntry> chain = ChainFixture.chain(TENANT, 10);

    @TempDir
    Path dir;

    @Test
    void givenACompleteBundleThenItEndsWithAClosingLineNamingItsHead() {
        String bundle = bundle(chain, SIGNER, 3, 10);
        List<ObjectNode> lines = lines(bundle);
        ObjectNode end = lines.get(lines.size() - 1);
        assertThat(bundle).endsWith("\n");
        assertThat(lines.get(0).path("format").asText()).isEqualTo("ledger-export/v2");
        assertThat(end.fieldNames().next()).isEqualTo("kind");
        assertThat(end.path("kind").asText()).isEqualTo("end");
        assertThat(end.path("entries").asLong()).isEqualTo(10);
        assertThat(end.path("head_sequence").asLong()).isEqualTo(10);
        assertThat(end.path("head_hash").asText()).isEqualTo(Hex.of(chain.get(9).hash()));
    }

    @Test
    void givenABundleCutAtSeveralPointsWhenVerifiedThenEachIsTruncatedNotBroken() throws IOException {
        // given a bundle of 10 entries with checkpoints at 3, 7 and 10, cut at every kind of place
        String bundle = bundle(chain, SIGNER, 3, 7, 10);
        String[] raw = bundle.split("\n");
        int firstEntry = 5; // header, key, three checkpoints
        int endLine = raw.length - 1;
        List<Integer> cuts = new ArrayList<>();
        cuts.add(raw[0].length() / 2);                               // inside the header
        cuts.add(offsetOfLine(raw, 1));                              // after the header
        cuts.add(offsetOfLine(raw, 1) + 20);                         // inside the key
        cuts.add(offsetOfLine(raw, 3) + 30);                         // inside a checkpoint
        cuts.add(offsetOfLine(raw, firstEntry));                     // after every checkpoint, before any entry
        cuts.add(offsetOfLine(raw, firstEntry + 4) + 100);           // inside entry 5
        cuts.add(offsetOfLine(raw, firstEntry + 5));                 // after entry 5, a whole line
        cuts.add(offsetOfLine(raw, endLine));                        // after the last entry, before the closing line
        cuts.add(offsetOfLine(raw, endLine) + 12);                   // inside the closing line
        cuts.add(bundle.length() - 1);                               // everything but the last newline
        for (int cut : cuts) {
            String cutShort = bundle.substring(0, cut);
            // when
            BundleVerification result = verify(cutShort);
            // then
            assertThat(result.status()).as("cut at byte " + cut + ": " + result.detail()).isEqualTo(Status.TRUNCATED);
            assertThat(result.firstBrokenSequence()).as("cut at " + cut).isNull();
            assertThat(result.reason()).as("cut at " + cut).isNull();
            assertThat(result.detail()).as("cut at " + cut).contains("cut short");
            assertThat(cli(cutShort)).as("exit status, cut at " + cut).isEqualTo(VerifierMain.TRUNCATED);
            assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("TRUNCATED");
        }
        // and the untouched bundle is VALID
        assertThat(verify(bundle).status()).isEqualTo(Status.VALID);
        assertThat(cli(bundle)).isEqualTo(VerifierMain.VALID);
    }

    @Test
    void givenACutAfterEntryFiveWhenVerifiedThenTheResultNamesTheLastEntryReceived() throws IOException {
        String bundle = bundle(chain, SIGNER, 3, 10);
        String[] raw = bundle.split("\n");
        BundleVerification result = verify(bundle.substring(0, offsetOfLine(raw, 4 + 5)));
        assertThat(result.status()).isEqualTo(Status.TRUNCATED);
        assertThat(result.checked()).isEqualTo(5);
        assertThat(result.headSequence()).isEqualTo(5);
        assertThat(result.checkpointsVerified()).isEqualTo(1);
        assertThat(result.detail()).contains("after entry 5").contains("entries 6..10 are missing");
    }

    @Test
    void givenAChangedEntryWhenVerifiedThenItIsStillReportedAsTamperedWithItsSequence() throws IOException {
        // given entry 4's payload changed in an otherwise complete bundle
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 10));
        entryLine(lines, 4).put("payload_b64", Base64.getEncoder().encodeToString("{\"forged\":true}".getBytes(StandardCharsets.UTF_8)));
        String tampered = join(lines);
        // when
        BundleVerification result = verify(tampered);
        // then
        assertThat(result.status()).isEqualTo(Status.BROKEN);
        assertThat(result.firstBrokenSequence()).isEqualTo(4);
        assertThat(result.reason()).isEqualTo(Reason.hash_mismatch);
        assertThat(cli(tampered)).isEqualTo(VerifierMain.BROKEN);
    }

    @Test
    void givenAChangedEntryInABundleThatWasAlsoCutWhenVerifiedThenTamperingWins() throws IOException {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 10));
        entryLine(lines, 2).put("payload_b64", Base64.getEncoder().encodeToString("{}".getBytes(StandardCharsets.UTF_8)));
        String tampered = join(lines);
        BundleVerification result = verify(tampered.substring(0, tampered.length() / 2 + 7));
        assertThat(result.status()).isEqualTo(Status.BROKEN);
        assertThat(result.firstBrokenSequence()).isEqualTo(2);
    }

    @Test
    void givenTheLastEntryRemovedButTheClosingLineKeptWhenVerifiedThenItIsBrokenNotTruncated() throws IOException {
        // the writer finished (its closing line is there): a missing entry was taken out afterwards
        List<ObjectNode> lines = lines(bundle(chain, SIGNER));
        lines.remove(entryLine(lines, 10));
        BundleVerification result = verify(join(lines));
        assertThat(result.status()).isEqualTo(Status.BROKEN);
        assertThat(result.reason()).isEqualTo(Reason.sequence_gap);
        assertThat(result.firstBrokenSequence()).isEqualTo(10);
    }

    @Test
    void givenAClosingLineThatDisagreesWithTheEntriesWhenVerifiedThenItIsBroken() throws IOException {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER));
        lines.get(lines.size() - 1).put("head_hash", Hex.of(chain.get(8).hash()));
        BundleVerification result = verify(join(lines));
        assertThat(result.status()).isEqualTo(Status.BROKEN);
        assertThat(result.reason()).isEqualTo(Reason.sequence_gap);
        assertThat(result.detail()).contains("closing line");
    }

    @Test
    void givenALineAfterTheClosingLineWhenVerifiedThenTheBundleIsRefused() {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER));
        lines.add(lines.get(1).deepCopy());
        assertThatThrownBy(() -> verify(join(lines))).isInstanceOf(BundleFormatException.class)
                .hasMessageContaining("nothing may follow the closing line");
    }

    @Test
    void givenAnOldV1BundleWhenVerifiedThenItIsStillReadAndACutOneIsTruncated() throws IOException {
        // given a bundle as ledger-export/v1 wrote it: no closing line
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 10));
        lines.get(0).put("format", "ledger-export/v1");
        lines.remove(lines.size() - 1);
        String v1 = join(lines);
        // when / then
        BundleVerification whole = verify(v1);
        assertThat(whole.status()).as(whole.detail()).isEqualTo(Status.VALID);
        assertThat(whole.checkpointsVerified()).isEqualTo(1);
        String[] raw = v1.split("\n");
        BundleVerification cut = verify(v1.substring(0, offsetOfLine(raw, 3 + 6)));
        assertThat(cut.status()).isEqualTo(Status.TRUNCATED);
        assertThat(cut.detail()).contains("ledger-export/v1");
        // and a closing line in a v1 bundle is refused, not silently accepted
        lines.add(lines(bundle(chain, SIGNER)).getLast());
        assertThatThrownBy(() -> verify(join(lines))).isInstanceOf(BundleFormatException.class).hasMessageContaining("no closing line");
    }

    @Test
    void givenARangedBundleCutBeforeItsAnchorWhenVerifiedThenItIsTruncated() throws IOException {
        String ranged = BundleFixture.write(new BundleHeader(TENANT, 4, 10, "2026-11-21T18:30:00.000Z"), SIGNER, chain.get(2).hash(),
                List.of(), chain.subList(3, 10));
        String[] raw = ranged.split("\n");
        assertThat(verify(ranged).status()).isEqualTo(Status.VALID);
        assertThat(verify(ranged.substring(0, offsetOfLine(raw, 2))).status()).isEqualTo(Status.TRUNCATED);
        assertThat(verify(ranged.substring(0, offsetOfLine(raw, 5))).status()).isEqualTo(Status.TRUNCATED);
    }

    // --- helpers ---

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    /** From a stream and from a file with tiny blocks: both must agree. */
    private BundleVerification verify(String bundle) throws IOException {
        BundleVerification streamed = new BundleVerifier().verify(new ByteArrayInputStream(bundle.getBytes(StandardCharsets.UTF_8)));
        Path file = Files.createTempFile(dir, "bundle", ".ndjson");
        Files.writeString(file, bundle);
        BundleVerification fromFile = new BundleVerifier().withParallelism(2, 300).verify(file);
        assertThat(fromFile).isEqualTo(streamed);
        return streamed;
    }

    private int cli(String bundle) throws IOException {
        Path file = Files.createTempFile(dir, "cli", ".ndjson");
        Files.writeString(file, bundle);
        out.reset();
        return VerifierMain.run(new String[] {"verify", file.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    }

    /** Byte offset where line {@code index} (0-based) starts; all lines are ASCII. */
    private static int offsetOfLine(String[] raw, int index) {
        int offset = 0;
        for (int i = 0; i < index; i++) {
            offset += raw[i].length() + 1;
        }
        return offset;
    }
}
