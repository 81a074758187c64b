package dev.ledger.core.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.chain.ChainFixture;
import dev.ledger.core.chain.CheckpointKeys;
import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.messages.LedgerJson;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VerifierMainTest {

    private static final CheckpointSigner SIGNER = CheckpointSigner.generate();
    private final List<StoredEntry> chain = ChainFixture.chain("acme", 10);
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    @Test
    void givenAValidBundleWhenVerifiedThenItExitsZeroWithAHumanLineAndTheJsonResult() throws IOException {
        // given
        Path bundle = file(BundleFixture.bundle(chain, SIGNER, 10));
        // when
        int status = run("verify", bundle.toString());
        // then
        assertThat(status).isZero();
        List<String> lines = stdout();
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0)).startsWith("VALID acme entries 1..10: 10 entries verified; 1 checkpoint(s) verified");
        JsonNode json = LedgerJson.mapper().readTree(lines.get(1));
        assertThat(json.get("status").asText()).isEqualTo("VALID");
        assertThat(json.get("checked").asLong()).isEqualTo(10);
        assertThat(json.get("head_sequence").asLong()).isEqualTo(10);
        assertThat(json.has("first_broken_sequence")).isFalse();
    }

    @Test
    void givenATamperedBundleWhenVerifiedThenItExitsOneNamingTheReasonAndTheFirstBrokenSequence() throws IOException {
        // given
        List<ObjectNode> lines = BundleFixture.lines(BundleFixture.bundle(chain, SIGNER, 10));
        BundleFixture.entryLine(lines, 4).put("recorded_at", "2020-01-01T00:00:00.000Z");
        Path bundle = file(BundleFixture.join(lines));
        // when
        int status = run("verify", bundle.toString());
        // then
        assertThat(status).isEqualTo(1);
        assertThat(stdout().get(0)).startsWith("BROKEN acme entries 1..10 at sequence 4 (hash_mismatch)");
        JsonNode json = LedgerJson.mapper().readTree(stdout().get(1));
        assertThat(json.get("first_broken_sequence").asLong()).isEqualTo(4);
        assertThat(json.get("reason").asText()).isEqualTo("hash_mismatch");
    }

    @Test
    void givenTrustedKeysThatDidNotSignWhenVerifiedThenTheCheckpointDoesNotVouch() throws IOException {
        Path bundle = file(BundleFixture.bundle(chain, SIGNER, 10));
        Path keys = dir.resolve("keys.json");
        Files.writeString(keys, LedgerJson.mapper().writeValueAsString(CheckpointKeys.of(CheckpointSigner.generate().key()).toJson()));
        assertThat(run("verify", bundle.toString(), "--keys", keys.toString())).isEqualTo(1);
        assertThat(stdout().get(0)).contains("checkpoint_mismatch").contains("not among the trusted keys");
    }

    @Test
    void givenUnusableInputWhenRunThenItExitsTwoWithAMessageAndNoStackTrace() throws IOException {
        assertThat(run()).isEqualTo(2);
        assertThat(stderr()).contains("usage: verify <bundle.ndjson>");
        assertThat(run("verify", dir.resolve("missing.ndjson").toString())).isEqualTo(2);
        assertThat(stderr()).contains("no such file");
        assertThat(run("verify", file("{\"kind\":\"entry\"\n").toString())).isEqualTo(2);
        assertThat(stderr()).contains("line 1: not JSON").doesNotContain("Exception").doesNotContain("\tat ");
        assertThat(out.size()).isZero();
    }

    @Test
    void givenABigBundleWhenVerifiedThenProgressGoesToStderr() throws IOException {
        // given 100,001 small entries, written straight to the file
        Path bundle = dir.resolve("big.ndjson");
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(bundle))) {
            BundleWriter writer = new BundleWriter(file).header(new BundleHeader("acme", 1, 100_001, "2026-11-21T18:30:00.000Z"));
            byte[] prev = EntryFraming.genesis();
            for (int i = 1; i <= 100_001; i++) {
                StoredEntry e = ChainFixture.entry("acme", i, ("{\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8), prev);
                writer.entry(e);
                prev = e.hash();
            }
            writer.end().flush();
        }
        // when / then
        assertThat(run("verify", bundle.toString())).isZero();
        assertThat(stderr()).contains("verified 100,000 entries (");
    }

    @Test
    void givenAnInvoicesCheckpointThatHoldsAgainstTheBundleThenItIsVerifiedWithTheBundlesOwn() throws IOException {
        Path bundle = file(BundleFixture.bundle(chain, SIGNER, 10));
        String invoice = BundleFixture.checkpoints(chain, SIGNER, 6).get(0).toMetadata();

        int status = run("verify", bundle.toString(), "--checkpoint", invoice);

        assertThat(status).as(stderr()).isZero();
        assertThat(stdout().get(0)).startsWith("VALID acme entries 1..10: 10 entries verified; 2 checkpoint(s) verified");
    }

    @Test
    void givenAnInvoicesCheckpointOfAnotherHistoryThenTheBundleIsBrokenAtTheFirstEntryItDoesNotVouchFor() throws IOException {
        Path bundle = file(BundleFixture.bundle(chain, SIGNER, 10));
        // signed by the right key, but over a root of another sixth entry: the invoice was billed on another history
        dev.ledger.core.chain.Checkpoint real = BundleFixture.checkpoints(chain, SIGNER, 6).get(0);
        byte[] otherRoot = dev.ledger.core.chain.MerkleTree.root(ChainFixture.hashes(ChainFixture.chain("acme", 7)).subList(1, 7));
        String invoice = SIGNER.sign("acme", 6, otherRoot, BundleFixture.ISSUED).toMetadata();
        assertThat(invoice).isNotEqualTo(real.toMetadata());

        int status = run("verify", bundle.toString(), "--checkpoint", invoice);

        assertThat(status).isEqualTo(1);
        JsonNode json = LedgerJson.mapper().readTree(stdout().get(1));
        assertThat(json.get("status").asText()).isEqualTo("BROKEN");
        assertThat(json.get("reason").asText()).isEqualTo("checkpoint_mismatch");
        assertThat(json.get("first_broken_sequence").asLong()).isEqualTo(1);
    }

    @Test
    void givenSomethingThatIsNotACheckpointThenTheVerifierRefusesToStart() throws IOException {
        Path bundle = file(BundleFixture.bundle(chain, SIGNER, 10));
        assertThat(run("verify", bundle.toString(), "--checkpoint", "size=6")).isEqualTo(2);
        assertThat(stderr()).contains("--checkpoint not a ledger checkpoint");
        assertThat(run("verify", bundle.toString(), "--checkpoint")).isEqualTo(2);
    }

    private int run(String... args) {
        return VerifierMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private List<String> stdout() {
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private Path file(String content) throws IOException {
        Path file = Files.createTempFile(dir, "bundle", ".ndjson");
        Files.writeString(file, content);
        return file;
    }
}
