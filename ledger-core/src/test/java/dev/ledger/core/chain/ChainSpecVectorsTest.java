package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.entry.ChainFormat;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.usage.UsageRecorded;
import dev.ledger.core.verify.BundleHeader;
import dev.ledger.core.verify.BundleVerification;
import dev.ledger.core.verify.BundleVerifier;
import dev.ledger.core.verify.BundleWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The worked examples of docs/chain.md, computed here and asserted both against fixed values (so the framing cannot
 * change unnoticed) and against the document (so the document cannot drift from the code).
 */
class ChainSpecVectorsTest {

    /** Logical entry types (chain format 2), as the ledger stores them: EntryTypes' names, no Java class name. */
    static final String EVALUATION = "EvaluationRecorded";
    static final String USAGE = "UsageRecorded";
    static final byte[] PAYLOAD_1 = utf8("{\"evaluation_id\":\"ev-1\",\"terminal_state\":\"APPROVED\"}");
    static final byte[] PAYLOAD_2 = utf8("{\"evaluation_id\":\"ev-2\",\"terminal_state\":\"REJECTED\"}");
    static final byte[] PAYLOAD_3 = utf8("{\"evaluation_id\":\"ev-3\",\"terminal_state\":\"APPROVED\"}");
    static final byte[] METADATA_EMPTY = utf8("{}");
    static final byte[] METADATA_OPS = utf8("{\"actor\":\"key:ops\"}");
    /** RFC 8032 §7.1 TEST 1 key pair, in the JDK's PKCS#8 and X.509 encodings. */
    static final String PRIVATE_PKCS8 = "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g";
    static final String PUBLIC_X509 = "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";

    static final String PAYLOAD_1_SHA256 = "6c448a60b56e56919af8b417cb1f6d3bf253b745bddc70c9e7adbc808d4f65cd";
    static final String METADATA_EMPTY_SHA256 = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    static final String PAYLOAD_2_SHA256 = "4d2d925dad1cf434912afc141ad5c8990590bf3f41fb4aa4f2901d5c3dc85768";
    static final String METADATA_OPS_SHA256 = "84b92b2eecb7946088fbf291600458edf3deb0f147688c54bb2b7ce1afd7cee5";
    static final String HASH_1 = "082f6533d1dccae75a5b5021817bc407f81ea4c03e80ab86c4ee90092f127f0b";
    static final String HASH_2 = "26ec24e3a3bfea87d8b408a24b98999e81bb653b760041a39bb1ea2a1f206720";
    static final String HASH_3 = "4d5d0f1edd09a6b43b2bc07d724b4fe49266f1379b35169961e1e82e2095e51b";
    static final String LEAF_1 = "33006e8d530e389943c806f18e9e01b3122b8792d875eae463bfe5c58c92a7a3";
    static final String LEAF_2 = "bae775c1030198803ab7374923f6f4dec1fa723f3ae1d87f06effe32a8669b60";
    static final String LEAF_3 = "77a562dc3dea988cd318a636ffaa43cbd48327b38bc2f09a04d85a9d62b864a8";
    static final String ROOT_2 = "c6b45a90967badd4eef56aaa5a41a2a0584c3827043be1fbf06286451aa1beb8";
    static final String ROOT_3 = "d533594411fc4d8f50ab987a6ea6104f3d64e392ce3e7f16a809216a236cbe1c";
    static final String KEY_ID = "06e3fd8fda29bb60";
    static final String SIGNED_MESSAGE = "000000146c65646765722d636865636b706f696e742f76310000000461636d650000000800000000000000030000"
            + "0020d533594411fc4d8f50ab987a6ea6104f3d64e392ce3e7f16a809216a236cbe1c00000018323032362d31312d32315431323a30303a30302e"
            + "3030305a";
    static final String SIGNATURE = "w7Lwshst4DDwKra+GvNsdMSBKeKQjZ543CEBIbgKJcEQ7e6uqSezcaatpUyb/kuPIRQzxHAq9A5fMVB2IIMbBg==";

    private final String doc = readDoc();

    @Test
    void givenTheDocumentedEntriesWhenHashedThenTheHashesAreTheDocumentedOnes() {
        // when
        StoredEntry[] e = entries();
        // then
        assertVector(Hex.of(Sha256.of(PAYLOAD_1)), PAYLOAD_1_SHA256);
        assertVector(Hex.of(Sha256.of(METADATA_EMPTY)), METADATA_EMPTY_SHA256);
        assertVector(Hex.of(Sha256.of(PAYLOAD_2)), PAYLOAD_2_SHA256);
        assertVector(Hex.of(Sha256.of(METADATA_OPS)), METADATA_OPS_SHA256);
        assertVector(Hex.of(e[0].hash()), HASH_1);
        assertVector(Hex.of(e[1].hash()), HASH_2);
        assertVector(Hex.of(e[2].hash()), HASH_3);
    }

    @Test
    void givenTheVectorsTypesThenTheyAreTheRegisteredLogicalNamesAndTheFormatIsTheDocumentedOne() {
        assertThat(EntryTypes.nameOf(EvaluationRecorded.class)).isEqualTo(EVALUATION);
        assertThat(EntryTypes.nameOf(UsageRecorded.class)).isEqualTo(USAGE);
        assertThat(ChainFormat.ENTRY_TAG).isEqualTo("ledger-entry/v2");
        assertThat(doc).contains("chain format " + ChainFormat.VERSION).contains("\"chain_format\":" + ChainFormat.VERSION);
    }

    @Test
    void givenEntryOneWhenFramedByTheLetterOfTheSpecThenItsSha256IsItsHash() {
        // given the frame written out field by field, independently of EntryFraming
        String frame = frameOfEntryOne();
        // then
        assertVector(frame, frameOfEntryOne());
        assertThat(Hex.of(Sha256.of(Hex.parse(frame)))).isEqualTo(HASH_1);
        assertThat(doc.replaceAll("\\s+", "")).contains(frame);
    }

    @Test
    void givenTheDocumentedEntriesWhenTreedThenLeavesRootsAndProofsAreTheDocumentedOnes() {
        // given
        List<byte[]> hashes = List.of(Hex.parse(HASH_1), Hex.parse(HASH_2), Hex.parse(HASH_3));
        // then
        assertVector(Hex.of(MerkleTree.leafHash(hashes.get(0))), LEAF_1);
        assertVector(Hex.of(MerkleTree.leafHash(hashes.get(1))), LEAF_2);
        assertVector(Hex.of(MerkleTree.leafHash(hashes.get(2))), LEAF_3);
        assertVector(Hex.of(MerkleTree.root(hashes.subList(0, 2))), ROOT_2);
        assertVector(Hex.of(MerkleTree.root(hashes)), ROOT_3);
        assertThat(MerkleTree.inclusionProof(hashes, 0, 3).stream().map(Hex::of)).containsExactly(LEAF_2, LEAF_3);
        assertThat(MerkleTree.inclusionProof(hashes, 2, 3).stream().map(Hex::of)).containsExactly(ROOT_2);
        assertThat(MerkleTree.consistencyProof(hashes, 2, 3).stream().map(Hex::of)).containsExactly(LEAF_3);
        assertThat(MerkleTree.consistencyProof(hashes, 1, 3).stream().map(Hex::of)).containsExactly(LEAF_2, LEAF_3);
        assertThat(MerkleTree.verifyInclusion(hashes.get(0), 0, 3, List.of(Hex.parse(LEAF_2), Hex.parse(LEAF_3)),
                Hex.parse(ROOT_3))).isTrue();
        assertThat(MerkleTree.verifyConsistency(2, 3, Hex.parse(ROOT_2), Hex.parse(ROOT_3),
                List.of(Hex.parse(LEAF_3)))).isTrue();
    }

    @Test
    void givenTheRfc8032TestKeyWhenTheCheckpointIsSignedThenMessageKeyIdAndSignatureAreTheDocumentedOnes() {
        // given
        CheckpointSigner signer = CheckpointSigner.fromBase64(PRIVATE_PKCS8, PUBLIC_X509);
        // when
        Checkpoint cp = checkpoint(signer);
        // then
        assertVector(signer.keyId(), KEY_ID);
        assertVector(Hex.of(cp.signedMessage()), SIGNED_MESSAGE);
        assertVector(Base64.getEncoder().encodeToString(cp.signature()), SIGNATURE);
        assertThat(doc).contains(PUBLIC_X509).contains(PRIVATE_PKCS8);
        assertThat(CheckpointKeys.of(CheckpointKey.fromBase64(PUBLIC_X509)).verify(cp)).isTrue();
    }

    @Test
    void givenTheDocumentedBundleWhenVerifiedThenItIsValidAndEachOfItsLinesIsInTheDocument() throws IOException {
        // given
        String bundle = exampleBundle();
        // when
        BundleVerification result = new BundleVerifier().verify(new ByteArrayInputStream(bundle.getBytes(StandardCharsets.UTF_8)));
        // then
        assertThat(result.valid()).isTrue();
        assertThat(result.checkpointsVerified()).isEqualTo(1);
        for (String line : bundle.split("\n")) {
            assertThat(doc).as("docs/chain.md shows the example bundle line by line").contains(line);
        }
    }

    static StoredEntry[] entries() {
        StoredEntry one = entry(1, "3f1c2a4e-0b7d-4c55-9a8e-6d2f1b0c9e71", EVALUATION, "1", "2026-11-21T10:00:00.000Z", PAYLOAD_1,
                METADATA_EMPTY, EntryFraming.genesis());
        StoredEntry two = entry(2, "9b2e7d10-5c3a-4f8e-b1d4-0a6c2e8f3b57", USAGE, null, "2026-11-21T10:00:01.250Z", PAYLOAD_2,
                METADATA_OPS, one.hash());
        StoredEntry three = entry(3, "c4d5e6f7-1a2b-4c3d-8e9f-0a1b2c3d4e5f", EVALUATION, "1", "2026-11-21T10:00:02.500Z", PAYLOAD_3,
                METADATA_EMPTY, two.hash());
        return new StoredEntry[] {one, two, three};
    }

    private static StoredEntry entry(long sequence, String eventId, String type, String revision, String recordedAt, byte[] payload,
                                     byte[] metadata, byte[] prev) {
        byte[] hash = EntryFraming.hash("acme", sequence, eventId, type, revision, recordedAt, Sha256.of(payload),
                Sha256.of(metadata), prev);
        return StoredEntry.of("acme", sequence, eventId, type, revision, recordedAt, payload, metadata, prev, hash);
    }

    private static Checkpoint checkpoint(CheckpointSigner signer) {
        return signer.sign("acme", 3, Hex.parse(ROOT_3), Instant.parse("2026-11-21T12:00:00Z"));
    }

    /** The bundle of the three entries with entry 2's payload redacted, and the checkpoint over them. */
    static String exampleBundle() throws IOException {
        StoredEntry[] e = entries();
        StoredEntry two = e[1];
        StoredEntry redacted = new StoredEntry(two.tenantId(), two.sequence(), two.eventId(), two.type(), two.revision(), two.recordedAt(),
                null, Sha256.of(two.payload()), two.metadata(), two.prevHash(), two.hash());
        CheckpointSigner signer = CheckpointSigner.fromBase64(PRIVATE_PKCS8, PUBLIC_X509);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BundleWriter.write(out, new BundleHeader("acme", 1, 3, "2026-11-21T12:05:00.000Z"), List.of(signer.key()), null,
                List.of(checkpoint(signer)), List.of(e[0], redacted, e[2]).iterator());
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String frameOfEntryOne() {
        ByteBuffer f = ByteBuffer.allocate(512);
        field(f, utf8("ledger-entry/v2"));
        field(f, utf8("acme"));
        f.putInt(8).putLong(1);
        field(f, utf8("3f1c2a4e-0b7d-4c55-9a8e-6d2f1b0c9e71"));
        field(f, utf8(EVALUATION));
        field(f, utf8("1"));
        field(f, utf8("2026-11-21T10:00:00.000Z"));
        field(f, Hex.parse(PAYLOAD_1_SHA256));
        field(f, Hex.parse(METADATA_EMPTY_SHA256));
        field(f, new byte[32]);
        byte[] frame = new byte[f.position()];
        f.flip().get(frame);
        return Hex.of(frame);
    }

    private static void field(ByteBuffer f, byte[] value) {
        f.putInt(value.length).put(value);
    }

    private void assertVector(String computed, String documented) {
        assertThat(computed).isEqualTo(documented);
        assertThat(doc.replaceAll("\\s+", "")).as("docs/chain.md states %s", documented).contains(documented);
    }

    private static String readDoc() {
        try {
            return Files.readString(Path.of("..", "docs", "chain.md"));
        } catch (IOException e) {
            throw new IllegalStateException("docs/chain.md is the spec these vectors belong to", e);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
