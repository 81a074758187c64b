package dev.ledger.core.verify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.chain.ChainFixture;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.messages.LedgerJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** Export bundles written with BundleWriter, and the line surgery a forger would do on them. */
final class BundleFixture {

    static final String TENANT = "acme";
    static final Instant ISSUED = Instant.parse("2026-11-21T18:00:00Z");

    private BundleFixture() {
    }

    static List<Checkpoint> checkpoints(List<StoredEntry> entries, CheckpointSigner signer, long... sizes) {
        List<byte[]> hashes = ChainFixture.hashes(entries);
        return Arrays.stream(sizes)
                .mapToObj(size -> signer.sign(TENANT, size, MerkleTree.root(hashes.subList(0, (int) size)), ISSUED.plusSeconds(size)))
                .toList();
    }

    /** A whole-history bundle: header 1..n, the signer's key, checkpoints at {@code sizes}, the entries. */
    static String bundle(List<StoredEntry> entries, CheckpointSigner signer, long... sizes) {
        return write(new BundleHeader(TENANT, 1, entries.size(), "2026-11-21T18:30:00.000Z"), signer, null,
                checkpoints(entries, signer, sizes), entries);
    }

    static String write(BundleHeader header, CheckpointSigner signer, byte[] anchorHash, List<Checkpoint> checkpoints,
                        List<StoredEntry> entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            BundleWriter.write(out, header, signer == null ? List.of() : List.of(signer.key()), anchorHash, checkpoints, entries.iterator());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    static List<ObjectNode> lines(String bundle) {
        List<ObjectNode> lines = new ArrayList<>();
        for (String line : bundle.split("\n")) {
            try {
                lines.add((ObjectNode) LedgerJson.mapper().readTree(line));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return lines;
    }

    static String join(List<ObjectNode> lines) {
        return lines.stream().map(BundleFixture::json).collect(Collectors.joining("\n", "", "\n"));
    }

    static String json(ObjectNode node) {
        try {
            return LedgerJson.mapper().writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The line of entry {@code sequence}. */
    static ObjectNode entryLine(List<ObjectNode> lines, long sequence) {
        return lines.stream().filter(l -> l.path("kind").asText().equals("entry") && l.path("sequence").asLong() == sequence)
                .findFirst().orElseThrow();
    }
}
