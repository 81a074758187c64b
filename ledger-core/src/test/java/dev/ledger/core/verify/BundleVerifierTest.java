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
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKeys;
import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.verify.BundleVerification.Status;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.Sha256;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleVerifierTest {

    private static final CheckpointSigner SIGNER = CheckpointSigner.generate();
    private final List<StoredEntry> chain = ChainFixture.chain(TENANT, 10);

    @TempDir
    Path dir;

    // --- an untouched export ---

    @Test
    void givenAnUntouchedExportWhenVerifiedThenItIsValidUpToItsHeadWithEveryCheckpoint() throws IOException {
        // given
        String bundle = bundle(chain, SIGNER, 5, 10);
        // when
        BundleVerification result = verifyEveryWay(bundle);
        // then
        assertThat(result.status()).isEqualTo(Status.VALID);
        assertThat(result.checked()).isEqualTo(10);
        assertThat(result.firstBrokenSequence()).isNull();
        assertThat(result.reason()).isNull();
        assertThat(result.headSequence()).isEqualTo(10);
        assertThat(result.headHash()).isEqualTo(Hex.of(chain.get(9).hash()));
        assertThat(result.checkpointsVerified()).isEqualTo(2);
        assertThat(result.detail()).isEqualTo("10 entries verified; 2 checkpoint(s) verified with the bundle's own keys");
    }

    @Test
    void givenAnExportWithARedactedPayloadWhenVerifiedThenTheChainStillVerifiesThroughTheRetainedDigest() throws IOException {
        // given entry 4 exported with its payload replaced by the digest the hash commits to
        List<StoredEntry> redacted = new ArrayList<>(chain);
        StoredEntry e = chain.get(3);
        redacted.set(3, new StoredEntry(e.tenantId(), e.sequence(), e.eventId(), e.type(), e.revision(), e.recordedAt(), null,
                Sha256.of(e.payload()), e.metadata(), e.prevHash(), e.hash()));
        String bundle = bundle(redacted, SIGNER, 10);
        // when
        BundleVerification result = verifyEveryWay(bundle);
        // then
        assertThat(entryLine(lines(bundle), 4).has("payload_b64")).isFalse();
        assertThat(entryLine(lines(bundle), 4).get("payload_sha256").asText()).isEqualTo(Hex.of(Sha256.of(e.payload())));
        assertThat(result.status()).isEqualTo(Status.VALID);
        assertThat(result.checkpointsVerified()).isEqualTo(1);
    }

    @Test
    void givenAnEmptyExportWhenVerifiedThenItIsValidAtTheGenesis() throws IOException {
        String bundle = BundleFixture.write(new BundleHeader(TENANT, 1, 0, "2026-11-21T18:30:00.000Z"), SIGNER, null, List.of(), List.of());
        BundleVerification result = verifyEveryWay(bundle);
        assertThat(result.status()).isEqualTo(Status.VALID);
        assertThat(result.checked()).isZero();
        assertThat(result.headSequence()).isZero();
        assertThat(result.headHash()).isEqualTo("0".repeat(64));
        assertThat(result.detail()).contains("no checkpoint was checked");
    }

    // --- each tampering, its reason and its first broken sequence ---

    @Test
    void givenAPayloadByteChangedWhenVerifiedThenHashMismatchAtThatEntry() throws IOException {
        // given
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 5, 10));
        ObjectNode seven = entryLine(lines, 7);
        byte[] payload = Base64.getDecoder().decode(seven.get("payload_b64").asText());
        payload[payload.length / 2] ^= 0x20;
        seven.put("payload_b64", Base64.getEncoder().encodeToString(payload));
        // when
        BundleVerification result = verifyEveryWay(join(lines));
        // then
        assertBroken(result, 7, Reason.hash_mismatch);
        assertThat(result.checked()).isEqualTo(6);
        assertThat(result.headSequence()).isEqualTo(6);
        assertThat(result.checkpointsVerified()).isEqualTo(1);
    }

    @Test
    void givenMetadataChangedWhenVerifiedThenHashMismatchAtThatEntry() throws IOException {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 5, 10));
        entryLine(lines, 7).put("metadata_b64", Base64.getEncoder().encodeToString("{\"actor\":\"mallory\"}".getBytes(StandardCharsets.UTF_8)));
        assertBroken(verifyEveryWay(join(lines)), 7, Reason.hash_mismatch);
    }

    @Test
    void givenAStoredHashChangedWhenVerifiedThenHashMismatchAtThatEntry() throws IOException {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 5, 10));
        entryLine(lines, 7).put("hash", "ab".repeat(32));
        assertBroken(verifyEveryWay(join(lines)), 7, Reason.hash_mismatch);
    }

    @Test
    void givenAPrevHashChangedWhenVerifiedThenBrokenLinkAtThatEntry() throws IOException {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 5, 10));
        entryLine(lines, 7).put("prev_hash", "cd".repeat(32));
        assertBroken(verifyEveryWay(join(lines)), 7, Reason.broken_link);
    }

    @Test
    void givenAnEntryDeletedWhenVerifiedThenSequenceGapAtTheMissingEntry() throws IOException {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 5, 10));
        lines.remove(entryLine(lines, 7));
        BundleVerification result = verifyEveryWay(join(lines));
        assertBroken(result, 7, Reason.sequence_gap);
        assertThat(result.detail()).isEqualTo("expected sequence 7 but found 8");
    }

    @Test
    void givenTwoEntriesSwappedWhenVerifiedThenSequenceGapAtTheFirstOfThem() throws IOException {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 5, 10));
        Collections.swap(lines, lines.indexOf(entryLine(lines, 7)), lines.indexOf(entryLine(lines, 8)));
        assertBroken(verifyEveryWay(join(lines)), 7, Reason.sequence_gap);
    }

    /**
     * A forger with write access inserts an entry after 5 and re-hashes everything after it: every link and hash
     * holds, so only a checkpoint signed over the original history can tell. The checkpoint at 10 no longer matches
     * and the one at 5 still does, so entries up to 5 are vouched for and 6 is the first broken sequence.
     */
    @Test
    void givenAnEntryInsertedAndTheChainRecomputedWhenVerifiedThenCheckpointMismatchAfterTheLastMatchingCheckpoint()
            throws IOException {
        // given
        List<Checkpoint> signedBefore = BundleFixture.checkpoints(chain, SIGNER, 5, 10);
        List<StoredEntry> forged = new ArrayList<>(chain);
        forged.add(5, ChainFixture.entry(TENANT, 6, ChainFixture.payload(TENANT, 99), chain.get(4).hash()));
        forged = ChainFixture.rechain(forged);
        String bundle = BundleFixture.write(new BundleHeader(TENANT, 1, 11, "2026-11-21T18:30:00.000Z"), SIGNER, null, signedBefore,
                forged);
        // when
        BundleVerification result = verifyEveryWay(bundle);
        // then
        assertBroken(result, 6, Reason.checkpoint_mismatch);
        assertThat(result.detail()).startsWith("the checkpoint for the first 10 entries has root_hash")
                .endsWith("entries 1..5 are vouched for by a checkpoint that verified");
        assertThat(result.checked()).isEqualTo(10);
        assertThat(result.checkpointsVerified()).isEqualTo(1);
        // and without the checkpoints the forgery is a perfectly good chain: checkpoints are what catch it
        String unsigned = BundleFixture.write(new BundleHeader(TENANT, 1, 11, "2026-11-21T18:30:00.000Z"), SIGNER, null, List.of(), forged);
        assertThat(verifyEveryWay(unsigned).status()).isEqualTo(Status.VALID);
    }

    @Test
    void givenTheTailCutOffWhenVerifiedThenCheckpointMismatchAtTheFirstMissingEntry() throws IOException {
        // given entries 8..10 removed, the header and the checkpoint at 10 left as they were
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 5, 10));
        for (long s = 8; s <= 10; s++) {
            lines.remove(entryLine(lines, s));
        }
        // when
        BundleVerification result = verifyEveryWay(join(lines));
        // then
        assertBroken(result, 8, Reason.checkpoint_mismatch);
        assertThat(result.detail()).isEqualTo(
                "a checkpoint vouches for 10 entries but the bundle holds 7: entries 8..10 are missing (the tail was cut off)");
        assertThat(result.checked()).isEqualTo(7);
        // and with the header's range cut to match, the checkpoint still catches it
        lines.get(0).put("to_sequence", 7);
        assertBroken(verifyEveryWay(join(lines)), 8, Reason.checkpoint_mismatch);
    }

    @Test
    void givenTheTailCutOffWithoutACheckpointWhenVerifiedThenOnlyTheHeaderRangeShowsTheGap() throws IOException {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER));
        lines.remove(entryLine(lines, 10));
        BundleVerification result = verifyEveryWay(join(lines));
        assertBroken(result, 10, Reason.sequence_gap);
        assertThat(result.detail()).isEqualTo("the header declares entries up to 10 but the bundle ends after 9");
    }

    @Test
    void givenACheckpointRootAlteredWhenVerifiedThenItsSignatureFailsAsACheckpointMismatch() throws IOException {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 5, 10));
        ObjectNode checkpoint10 = lines.stream().filter(l -> l.path("size").asLong() == 10).findFirst().orElseThrow();
        checkpoint10.put("root_hash", Hex.of(Sha256.of(new byte[1])));
        BundleVerification result = verifyEveryWay(join(lines));
        assertBroken(result, 6, Reason.checkpoint_mismatch);
        assertThat(result.detail()).startsWith("the signature of the checkpoint for 10 entries does not verify with key " + SIGNER.keyId());
    }

    @Test
    void givenAnEntryOfAnotherTenantWhenVerifiedThenHashMismatchAtItsPlace() throws IOException {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER));
        entryLine(lines, 3).put("tenant_id", "umbrella");
        BundleVerification result = verifyEveryWay(join(lines));
        assertBroken(result, 3, Reason.hash_mismatch);
        assertThat(result.detail()).isEqualTo("the entry at sequence 3 belongs to tenant umbrella, the bundle to acme");
    }

    // --- keys ---

    @Test
    void givenAHistoryRewrittenAndResignedWithTheForgersOwnKeyWhenVerifiedAgainstTheTrustedKeysThenCheckpointMismatch()
            throws IOException {
        // given a forger who rewrote entry 3 onwards and signed with a key of their own, shipped in the bundle
        CheckpointSigner forger = CheckpointSigner.generate();
        List<StoredEntry> forged = new ArrayList<>(chain);
        StoredEntry three = chain.get(2);
        forged.set(2, ChainFixture.entry(TENANT, 3, ChainFixture.payload(TENANT, 333), three.prevHash()));
        forged = ChainFixture.rechain(forged);
        String bundle = bundle(forged, forger, 10);
        // when checked with only the bundle's keys, it is self-consistent
        assertThat(verifyEveryWay(bundle).status()).isEqualTo(Status.VALID);
        // then against the published keys it is not
        BundleVerification result = new BundleVerifier().trustingOnly(CheckpointKeys.of(SIGNER.key()))
                .verify(new ByteArrayInputStream(bundle.getBytes(StandardCharsets.UTF_8)));
        assertBroken(result, 1, Reason.checkpoint_mismatch);
        assertThat(result.detail()).contains("which is not among the trusted keys");
    }

    @Test
    void givenCheckpointsSignedBeforeAndAfterAKeyRotationWhenVerifiedThenBothKeysVouch() throws IOException {
        // given
        CheckpointSigner next = CheckpointSigner.generate();
        List<Checkpoint> checkpoints = new ArrayList<>(BundleFixture.checkpoints(chain, SIGNER, 4));
        checkpoints.addAll(BundleFixture.checkpoints(chain, next, 10));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BundleWriter.write(out, new BundleHeader(TENANT, 1, 10, "2026-11-21T18:30:00.000Z"), List.of(SIGNER.key(), next.key()), null,
                checkpoints, chain.iterator());
        // when
        BundleVerification result = verifyEveryWay(out.toString(StandardCharsets.UTF_8));
        // then
        assertThat(result.status()).isEqualTo(Status.VALID);
        assertThat(result.checkpointsVerified()).isEqualTo(2);
    }

    // --- ranged bundles ---

    @Test
    void givenARangedExportWhenVerifiedThenItsLinksVerifyFromTheAnchorAndItsCheckpointsAreSkippedAndSaidSo() throws IOException {
        // given entries 4..10, anchored at the hash of entry 3
        String bundle = BundleFixture.write(new BundleHeader(TENANT, 4, 10, "2026-11-21T18:30:00.000Z"), SIGNER, chain.get(2).hash(),
                BundleFixture.checkpoints(chain, SIGNER, 10), chain.subList(3, 10));
        // when
        BundleVerification result = verifyEveryWay(bundle);
        // then
        assertThat(result.status()).isEqualTo(Status.VALID);
        assertThat(result.checked()).isEqualTo(7);
        assertThat(result.headSequence()).isEqualTo(10);
        assertThat(result.checkpointsSkipped()).isEqualTo(1);
        assertThat(result.detail()).isEqualTo("7 entries verified; 0 checkpoint(s) verified; 1 checkpoint(s) not checked: each covers "
                + "entries before sequence 4, which this ranged bundle does not hold");
    }

    @Test
    void givenARangedExportWithAWrongAnchorWhenVerifiedThenBrokenLinkAtItsFirstEntry() throws IOException {
        String bundle = BundleFixture.write(new BundleHeader(TENANT, 4, 10, "2026-11-21T18:30:00.000Z"), SIGNER, chain.get(1).hash(),
                List.of(), chain.subList(3, 10));
        assertBroken(verifyEveryWay(bundle), 4, Reason.broken_link);
    }

    // --- checkpoints after the entries they cover ---

    @Test
    void givenCheckpointsAfterTheEntriesWhenAFileIsVerifiedThenASecondReadingChecksThem() throws IOException {
        // given checkpoints at 3 and 7 written after all ten entries
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 3, 7));
        List<ObjectNode> checkpoints = lines.stream().filter(l -> l.path("kind").asText().equals("checkpoint")).toList();
        lines.removeAll(checkpoints);
        lines.addAll(lines.size() - 1, checkpoints); // still before the closing line
        String late = join(lines);
        // when
        BundleVerification fromFile = verifyFile(late, new BundleVerifier());
        BundleVerification fromStream = new BundleVerifier().verify(new ByteArrayInputStream(late.getBytes(StandardCharsets.UTF_8)));
        // then
        assertThat(fromFile.status()).isEqualTo(Status.VALID);
        assertThat(fromFile.checkpointsVerified()).isEqualTo(2);
        assertThat(fromStream.status()).isEqualTo(Status.VALID);
        assertThat(fromStream.checkpointsSkipped()).isEqualTo(2);
        assertThat(fromStream.detail()).contains("2 checkpoint(s) not checked: they follow the entries they cover");
    }

    @Test
    void givenARecomputedHistoryWithItsCheckpointLastWhenAFileIsVerifiedThenTheSecondReadingFindsTheMismatch() throws IOException {
        // given history rewritten from entry 4, and the original checkpoints at 2 and 6 appended at the end
        List<Checkpoint> original = BundleFixture.checkpoints(chain, SIGNER, 2, 6);
        List<StoredEntry> forged = new ArrayList<>(chain);
        forged.set(3, ChainFixture.entry(TENANT, 4, ChainFixture.payload(TENANT, 444), chain.get(2).hash()));
        forged = ChainFixture.rechain(forged);
        List<ObjectNode> lines = lines(bundle(forged, SIGNER));
        original.forEach(cp -> lines.add(lines.size() - 1, cp.toJson().put("kind", "checkpoint")));
        lines.replaceAll(l -> l.path("kind").asText().equals("checkpoint") ? kindFirst(l) : l);
        // when
        BundleVerification result = verifyFile(join(lines), new BundleVerifier());
        // then
        assertBroken(result, 3, Reason.checkpoint_mismatch);
        assertThat(result.checkpointsVerified()).isEqualTo(1);
    }

    // --- size: blocks, threads, progress ---

    @Test
    void givenThousandsOfEntriesInSmallBlocksWhenVerifiedThenBlockBoundariesChangeNothing() throws IOException {
        // given
        List<StoredEntry> many = ChainFixture.chain(TENANT, 5000);
        String valid = bundle(many, SIGNER, 1, 1000, 2048, 4999, 5000);
        List<ObjectNode> lines = lines(valid);
        entryLine(lines, 3777).put("recorded_at", "2026-11-21T10:00:00.001Z");
        String broken = join(lines);
        List<Long> progress = new ArrayList<>();
        // when
        BundleVerification ok = new BundleVerifier().withParallelism(2, 700).reportingProgress(1000, progress::add)
                .verify(new ByteArrayInputStream(valid.getBytes(StandardCharsets.UTF_8)));
        BundleVerification bad = verifyFile(broken, new BundleVerifier().withParallelism(3, 1 << 12));
        // then
        assertThat(ok.status()).isEqualTo(Status.VALID);
        assertThat(ok.checked()).isEqualTo(5000);
        assertThat(ok.checkpointsVerified()).isEqualTo(5);
        assertThat(progress).containsExactly(1000L, 2000L, 3000L, 4000L, 5000L);
        assertBroken(bad, 3777, Reason.hash_mismatch);
        assertThat(bad.checkpointsVerified()).isEqualTo(3);
    }

    @Test
    void givenCheckpointsInsideBlocksWhenTheTreeGrowsBySubtreesThenEveryBlockSizeGivesTheSameVerdicts() throws IOException {
        // given checkpoints at sizes inside blocks and on block edges, and a checkpoint signed with a key the bundle
        // does not carry at 2000, followed in the same block by a broken entry at 2003
        List<StoredEntry> many = ChainFixture.chain(TENANT, 3000);
        String valid = bundle(many, SIGNER, 1000, 2048, 2999);
        List<ObjectNode> lines = lines(bundle(many, SIGNER, 1000));
        Checkpoint foreign = BundleFixture.checkpoints(many, CheckpointSigner.generate(), 2000).get(0);
        lines.add(3, kindFirst(foreign.toJson().put("kind", "checkpoint")));
        entryLine(lines, 2003).put("recorded_at", "2026-11-21T10:00:00.001Z");
        String bad = join(lines);
        for (int blockBytes : new int[] {300, 4096, 1 << 16, 1 << 20}) {
            // when
            BundleVerification ok = verifyFile(valid, new BundleVerifier().withParallelism(2, blockBytes));
            BundleVerification broken = verifyFile(bad, new BundleVerifier().withParallelism(2, blockBytes));
            // then
            assertThat(ok.status()).as("block of %d bytes", blockBytes).isEqualTo(Status.VALID);
            assertThat(ok.checkpointsVerified()).as("block of %d bytes", blockBytes).isEqualTo(3);
            assertBroken(broken, 1001, Reason.checkpoint_mismatch);
            assertThat(broken.detail()).contains("which is not among the bundle's keys");
        }
    }

    // --- unreadable input ---

    @Test
    void givenInputThatIsNotABundleWhenVerifiedThenItIsRefusedWithTheLineAtFault() {
        List<ObjectNode> lines = lines(bundle(ChainFixture.chain(TENANT, 3000), SIGNER));
        String valid = join(lines);
        String[] raw = valid.split("\n");
        raw[2499] = "{\"kind\":\"entry\",\"sequence\":2499,";
        String truncatedLine = String.join("\n", raw) + "\n";

        assertUnreadable("", "the bundle is empty");
        assertUnreadable(String.join("\n", java.util.Arrays.copyOfRange(raw, 2, 5)) + "\n", "line 1: the first line must be the header");
        assertUnreadable(valid.replace("ledger-export/v2", "ledger-export/v9"), "line 1: not a ledger-export/v2 (or ledger-export/v1) bundle");
        assertUnreadable(truncatedLine, "line 2500: not JSON");
        assertUnreadable(valid.replace("\"kind\":\"key\"", "\"kind\":\"receipt\""), "line 2: unknown line kind \"receipt\"");
        assertUnreadable(raw[0] + "\n" + raw[2] + "\n" + raw[1] + "\n", "line 3: key lines must directly follow the header");
        assertUnreadable(valid.replace("{\"kind\":\"entry\",\"tenant_id\":\"acme\",\"sequence\":7,",
                "{\"kind\":\"entry\",\"tenant_id\":\"acme\",\"sequence\":7,\"sequence\":8,"), "line 9: not JSON: Duplicate field 'sequence'");
        String ranged = BundleFixture.write(new BundleHeader(TENANT, 4, 10, "2026-11-21T18:30:00.000Z"), SIGNER, chain.get(2).hash(),
                List.of(), chain.subList(3, 10));
        assertUnreadable(ranged.replaceFirst("\\{\"kind\":\"anchor\"[^\n]*\n", ""), "needs an anchor line");
    }

    @Test
    void givenAnEntryWrittenWithKindLastWhenVerifiedThenItIsReadAllTheSame() throws IOException {
        List<ObjectNode> lines = lines(bundle(chain, SIGNER, 10));
        ObjectNode five = entryLine(lines, 5);
        five.remove("kind");
        five.put("kind", "entry");
        assertThat(verifyEveryWay(join(lines)).status()).isEqualTo(Status.VALID);
    }

    // --- helpers ---

    /** Verifies from a stream with default settings and from a file with tiny blocks; both must agree. */
    private BundleVerification verifyEveryWay(String bundle) throws IOException {
        BundleVerification streamed = new BundleVerifier().verify(new ByteArrayInputStream(bundle.getBytes(StandardCharsets.UTF_8)));
        BundleVerification smallBlocks = verifyFile(bundle, new BundleVerifier().withParallelism(2, 300));
        assertThat(smallBlocks).isEqualTo(streamed);
        return streamed;
    }

    private BundleVerification verifyFile(String bundle, BundleVerifier verifier) throws IOException {
        Path file = Files.createTempFile(dir, "bundle", ".ndjson");
        Files.writeString(file, bundle);
        return verifier.verify(file);
    }

    private void assertUnreadable(String bundle, String message) {
        assertThatThrownBy(() -> verifyEveryWay(bundle)).as(message).isInstanceOf(BundleFormatException.class).hasMessageContaining(message);
    }

    private static void assertBroken(BundleVerification result, long sequence, Reason reason) {
        assertThat(result.status()).as(result.detail()).isEqualTo(Status.BROKEN);
        assertThat(result.reason()).as(result.detail()).isEqualTo(reason);
        assertThat(result.firstBrokenSequence()).as(result.detail()).isEqualTo(sequence);
    }

    private static ObjectNode kindFirst(ObjectNode line) {
        ObjectNode out = line.objectNode().put("kind", line.get("kind").asText());
        line.properties().forEach(e -> out.set(e.getKey(), e.getValue()));
        return out;
    }
}
