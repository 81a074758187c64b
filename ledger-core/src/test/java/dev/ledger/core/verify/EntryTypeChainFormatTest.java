package dev.ledger.core.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.chain.ChainFixture;
import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.entry.ChainFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bundle header names the entries' chain format; the offline verifier reads the one it knows and refuses any other. */
class EntryTypeChainFormatTest {

    private static final CheckpointSigner SIGNER = CheckpointSigner.generate();
    private final List<StoredEntry> chain = ChainFixture.chain("acme", 5);
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    @Test
    void givenABundleWhenWrittenThenItsHeaderCarriesTheChainFormatAndItVerifies() throws IOException {
        List<ObjectNode> lines = BundleFixture.lines(BundleFixture.bundle(chain, SIGNER, 5));

        assertThat(lines.get(0).path("chain_format").asInt()).isEqualTo(ChainFormat.VERSION).isEqualTo(2);
        assertThat(verify(BundleFixture.join(lines))).isZero();
    }

    @Test
    void givenABundleOfAnUnknownChainFormatWhenVerifiedThenItIsRefusedAsUnreadableNamingTheFormat() throws IOException {
        List<ObjectNode> lines = BundleFixture.lines(BundleFixture.bundle(chain, SIGNER, 5));
        lines.get(0).put("chain_format", 3);

        assertThat(verify(BundleFixture.join(lines))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown chain format 3")
                .contains("this verifier reads chain format 2 only").doesNotContain("Exception");
        assertThat(out.toString(StandardCharsets.UTF_8)).doesNotContain("VALID");
    }

    @Test
    void givenABundleWithoutAChainFormatWhenVerifiedThenItIsRefusedAsChainFormatOne() throws IOException {
        List<ObjectNode> lines = BundleFixture.lines(BundleFixture.bundle(chain, SIGNER, 5));
        lines.get(0).remove("chain_format");

        assertThat(verify(BundleFixture.join(lines))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("names no chain_format").contains("chain format 1");
    }

    @Test
    void givenAChainFormatThatIsNotANumberWhenVerifiedThenItIsRefused() throws IOException {
        List<ObjectNode> lines = BundleFixture.lines(BundleFixture.bundle(chain, SIGNER, 5));
        lines.get(0).put("chain_format", "2");

        assertThat(verify(BundleFixture.join(lines))).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown chain format \"2\"");
    }

    private int verify(String bundle) throws IOException {
        Path file = dir.resolve("bundle-" + System.nanoTime() + ".ndjson");
        Files.writeString(file, bundle);
        return VerifierMain.run(new String[] {"verify", file.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }
}
