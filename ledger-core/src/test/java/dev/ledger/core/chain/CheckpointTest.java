package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.core.messages.LedgerJson;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class CheckpointTest {

    private static final Instant NOON = Instant.parse("2026-11-21T12:00:00.123456Z");
    private final List<StoredEntry> chain = ChainFixture.chain("acme", 12);
    private final byte[] root = MerkleTree.root(ChainFixture.hashes(chain));

    @Test
    void givenASignerWhenItSignsTheRootThenTheCheckpointVerifiesWithItsPublicKey() {
        // given
        CheckpointSigner signer = CheckpointSigner.generate();
        // when
        Checkpoint checkpoint = signer.sign("acme", 12, root, NOON);
        // then
        assertThat(checkpoint.issuedAt()).isEqualTo("2026-11-21T12:00:00.123Z");
        assertThat(checkpoint.keyId()).isEqualTo(signer.keyId()).hasSize(16);
        assertThat(checkpoint.signature()).hasSize(64);
        assertThat(CheckpointKeys.of(signer.key()).verify(checkpoint)).isTrue();
    }

    @Test
    void givenAKeyRotationWhenTheOldCheckpointIsCheckedThenItStillVerifiesAlongsideTheNewOne() {
        // given a checkpoint signed before the rotation
        CheckpointSigner old = CheckpointSigner.generate();
        Checkpoint before = old.sign("acme", 12, root, NOON);
        // when the key is rotated and the published set keeps the old key
        CheckpointSigner current = CheckpointSigner.generate();
        Checkpoint after = current.sign("acme", 12, root, NOON.plusSeconds(3600));
        CheckpointKeys published = CheckpointKeys.of(old.key()).with(current.key());
        // then both verify, and a set that dropped the old key no longer vouches for the old checkpoint
        assertThat(published.verify(before)).isTrue();
        assertThat(published.verify(after)).isTrue();
        assertThat(CheckpointKeys.of(current.key()).verify(before)).isFalse();
        assertThat(published.keyIds()).containsExactly(old.keyId(), current.keyId());
    }

    @Test
    void givenASignedCheckpointWhenAnySignedFieldChangesThenItNoLongerVerifies() {
        // given
        CheckpointSigner signer = CheckpointSigner.generate();
        CheckpointKeys keys = CheckpointKeys.of(signer.key());
        Checkpoint cp = signer.sign("acme", 12, root, NOON);
        byte[] otherRoot = MerkleTree.root(ChainFixture.hashes(chain.subList(0, 11)));
        byte[] flipped = cp.signature();
        flipped[10] ^= 0x04;
        // when / then
        assertThat(keys.verify(new Checkpoint("acme", 11, cp.rootHash(), cp.issuedAt(), cp.keyId(), cp.signature()))).isFalse();
        assertThat(keys.verify(new Checkpoint("acme", 12, otherRoot, cp.issuedAt(), cp.keyId(), cp.signature()))).isFalse();
        assertThat(keys.verify(new Checkpoint("umbrella", 12, cp.rootHash(), cp.issuedAt(), cp.keyId(), cp.signature()))).isFalse();
        assertThat(keys.verify(new Checkpoint("acme", 12, cp.rootHash(), "2026-11-21T12:00:01.123Z", cp.keyId(), cp.signature())))
                .isFalse();
        assertThat(keys.verify(new Checkpoint("acme", 12, cp.rootHash(), cp.issuedAt(), cp.keyId(), flipped))).isFalse();
        assertThat(keys.verify(new Checkpoint("acme", 12, cp.rootHash(), cp.issuedAt(), cp.keyId(), new byte[12]))).isFalse();
        assertThat(keys.verify(new Checkpoint("acme", 12, cp.rootHash(), cp.issuedAt(), "0123456789abcdef", cp.signature())))
                .isFalse();
        assertThat(CheckpointKeys.of(CheckpointSigner.generate().key()).verify(cp)).isFalse();
    }

    @Test
    void givenASavedKeyPairWhenLoadedThenItSignsUnderTheSameKeyIdAndRefusesAMismatchedHalf() {
        // given
        CheckpointSigner signer = CheckpointSigner.generate();
        String priv = signer.privateKeyBase64();
        String pub = signer.key().publicKeyBase64();
        // when
        CheckpointSigner loaded = CheckpointSigner.fromBase64(priv, pub);
        // then
        assertThat(loaded.keyId()).isEqualTo(signer.keyId());
        assertThat(CheckpointKeys.of(signer.key()).verify(loaded.sign("acme", 12, root, NOON))).isTrue();
        assertThat(loaded.toString()).doesNotContain(priv);
        String otherPub = CheckpointSigner.generate().key().publicKeyBase64();
        assertThatThrownBy(() -> CheckpointSigner.fromBase64(priv, otherPub)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining(priv);
        assertThatThrownBy(() -> CheckpointSigner.fromBase64("bm90IGEga2V5", pub)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void givenAPublicKeyWhenEncodedThenTheKeyIdIsTheFirst16HexOfTheSha256OfItsX509Bytes() {
        // given
        CheckpointKey key = CheckpointSigner.generate().key();
        byte[] x509 = Base64.getDecoder().decode(key.publicKeyBase64());
        // then
        assertThat(x509).hasSize(44);
        assertThat(Hex.of(x509).substring(0, 24)).isEqualTo("302a300506032b6570032100");
        assertThat(key.keyId()).isEqualTo(Hex.of(Sha256.of(x509)).substring(0, 16));
        assertThat(CheckpointKey.fromJson(key.toJson())).isEqualTo(key);
        assertThatThrownBy(() -> CheckpointKey.fromJson(key.toJson().put("key_id", "0000000000000000")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CheckpointKey.fromJson(key.toJson().put("algorithm", "RSA"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void givenACheckpointWhenWrittenAsJsonAndReadBackThenItIsTheSameAndStillVerifies() throws Exception {
        // given
        CheckpointSigner signer = CheckpointSigner.generate();
        Checkpoint cp = signer.sign("acme", 12, root, NOON);
        // when
        String json = LedgerJson.mapper().writeValueAsString(cp.toJson());
        Checkpoint back = Checkpoint.fromJson(LedgerJson.mapper().readTree(json));
        CheckpointKeys keys = CheckpointKeys.fromJson(LedgerJson.mapper().readTree(
                LedgerJson.mapper().writeValueAsString(CheckpointKeys.of(signer.key()).toJson())));
        // then
        assertThat(json).startsWith("{\"tenant_id\":\"acme\",\"size\":12,\"root_hash\":\"" + Hex.of(root) + "\"");
        assertThat(back).isEqualTo(cp);
        assertThat(keys.verify(back)).isTrue();
        assertThatThrownBy(() -> Checkpoint.fromJson(cp.toJson().put("root_hash", "abcd"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Checkpoint.fromJson(cp.toJson().put("size", "12"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void givenACheckpointThenItsSignedMessageIsTheLengthPrefixedFraming() {
        // given
        Checkpoint cp = new Checkpoint("acme", 12, root, "2026-11-21T12:00:00.123Z", "0123456789abcdef", new byte[64]);
        // when
        ByteBuffer m = ByteBuffer.wrap(cp.signedMessage());
        // then
        assertThat(field(m)).isEqualTo("ledger-checkpoint/v1".getBytes(StandardCharsets.UTF_8));
        assertThat(field(m)).isEqualTo("acme".getBytes(StandardCharsets.UTF_8));
        assertThat(m.getInt()).isEqualTo(8);
        assertThat(m.getLong()).isEqualTo(12);
        assertThat(field(m)).isEqualTo(root);
        assertThat(field(m)).isEqualTo("2026-11-21T12:00:00.123Z".getBytes(StandardCharsets.UTF_8));
        assertThat(m.hasRemaining()).isFalse();
    }

    private static byte[] field(ByteBuffer m) {
        byte[] out = new byte[m.getInt()];
        m.get(out);
        return out;
    }

    @Test
    void givenASignedCheckpointWhenWrittenAsStripeMetadataThenItFitsAndReadsBackToTheSameVerifyingCheckpoint() {
        CheckpointSigner signer = CheckpointSigner.generate();
        Checkpoint cp = signer.sign("tenant-with-a-rather-long-identifier-of-sixty-four-characters-xx", 123_456_789L, root, NOON);

        String metadata = cp.toMetadata();

        assertThat(metadata).startsWith("ledger-checkpoint/v1 tenant=").hasSizeLessThanOrEqualTo(500);
        Checkpoint back = Checkpoint.fromMetadata(metadata);
        assertThat(back).isEqualTo(cp);
        assertThat(CheckpointKeys.of(signer.key()).verify(back)).isTrue();
        // a changed size reads back, and no longer verifies
        assertThat(CheckpointKeys.of(signer.key()).verify(Checkpoint.fromMetadata(metadata.replace("size=123456789", "size=123456788"))))
                .isFalse();
    }

    @Test
    void givenMetadataThatIsNotACheckpointThenItIsRefusedNamingWhatIsWrong() {
        Checkpoint cp = CheckpointSigner.generate().sign("acme", 12, root, NOON);
        String good = cp.toMetadata();
        assertThatThrownBy(() -> Checkpoint.fromMetadata(good.replace("ledger-checkpoint/v1", "ledger-checkpoint/v0")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a ledger checkpoint");
        assertThatThrownBy(() -> Checkpoint.fromMetadata(good.replace(" size=12", " size=-12")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("size");
        assertThatThrownBy(() -> Checkpoint.fromMetadata(good.replace(" root=", " root=zz")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("malformed ledger checkpoint");
        assertThatThrownBy(() -> Checkpoint.fromMetadata(good.replace(" key_id=", " key=")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lacks key_id");
        assertThatThrownBy(() -> Checkpoint.fromMetadata(good + " " + "x".repeat(500)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("500");
    }
}
