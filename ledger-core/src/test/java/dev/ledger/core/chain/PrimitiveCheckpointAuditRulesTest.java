package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.ChainVerifier.Break;
import dev.ledger.core.chain.ChainVerifier.Reason;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The rules of the one checkpoint auditor, fed entry by entry as both the API and the offline verifier feed it. */
class PrimitiveCheckpointAuditRulesTest {

    private static final String TENANT = "acme";
    private static final CheckpointSigner SIGNER = CheckpointSigner.generate();
    private final List<StoredEntry> chain = ChainFixture.chain(TENANT, 14);
    private final List<byte[]> hashes = ChainFixture.hashes(chain);

    private Checkpoint signed(long size) {
        return SIGNER.sign(TENANT, size, MerkleTree.root(hashes.subList(0, (int) size)), Instant.parse("2026-11-21T18:00:00Z"));
    }

    private CheckpointAudit audit(Checkpoint... checkpoints) {
        CheckpointAudit audit = new CheckpointAudit(TENANT, CheckpointKeys.of(SIGNER.key()), "the trusted keys");
        for (Checkpoint c : checkpoints) {
            assertThat(audit.expect(c)).isTrue();
        }
        return audit;
    }

    private static void feed(CheckpointAudit audit, List<byte[]> hashes, int n) {
        for (int i = 0; i < n; i++) {
            audit.leaf(MerkleTree.leafHash(hashes.get(i)));
        }
    }

    @Test
    void givenAChainLongerThanItsLastCheckpointWhenAuditedThenNothingIsWrong() {
        CheckpointAudit audit = audit(signed(5), signed(10));
        feed(audit, hashes, 14);
        assertThat(audit.finish("the chain")).isNull();
        assertThat(audit.verified()).isEqualTo(2);
    }

    @Test
    void givenATamperedCheckpointWhenAuditedThenTheFirstEntryNoVerifiedCheckpointVouchesFor() {
        Checkpoint ten = signed(10);
        Checkpoint forged = new Checkpoint(TENANT, 10, Sha256.of(new byte[] {1}), ten.issuedAt(), ten.keyId(), ten.signature());
        CheckpointAudit audit = audit(signed(5), forged);
        feed(audit, hashes, 14);
        Break b = audit.finish("the chain");
        assertThat(b.sequence()).isEqualTo(6);
        assertThat(b.reason()).isEqualTo(Reason.checkpoint_mismatch);
        assertThat(b.detail()).contains("does not verify").endsWith("entries 1..5 are vouched for by a checkpoint that verified");
    }

    @Test
    void givenACheckpointLargerThanTheChainWhenAuditedThenTheTailWasCutOffOnlyIfItsSignatureHolds() {
        CheckpointAudit cut = audit(signed(5), signed(14));
        feed(cut, hashes, 11);
        assertThat(cut.finish("the chain")).isEqualTo(new Break(12, Reason.checkpoint_mismatch,
                "a checkpoint vouches for 14 entries but the chain holds 11: entries 12..14 are missing (the tail was cut off)"));
        Checkpoint fourteen = signed(14);
        Checkpoint unsigned = new Checkpoint(TENANT, 20, fourteen.rootHash(), fourteen.issuedAt(), fourteen.keyId(), fourteen.signature());
        CheckpointAudit forged = audit(signed(5), signed(10), unsigned);
        feed(forged, hashes, 14);
        assertThat(forged.finish("the chain").sequence()).isEqualTo(11);
    }

    @Test
    void givenAnotherTenantsCheckpointOrAnUnknownKeyWhenAuditedThenItVouchesForNothing() {
        Checkpoint theirs = SIGNER.sign("other", 5, MerkleTree.root(hashes.subList(0, 5)), Instant.parse("2026-11-21T18:00:00Z"));
        CheckpointAudit audit = audit(theirs);
        feed(audit, hashes, 5);
        assertThat(audit.mismatch().sequence()).isEqualTo(1);
        CheckpointAudit unknown = new CheckpointAudit(TENANT, CheckpointKeys.of(), "the trusted keys");
        unknown.expect(signed(5));
        feed(unknown, hashes, 5);
        assertThat(unknown.mismatch().detail()).contains("not among the trusted keys");
    }

    @Test
    void givenAChainBreakBeforeACheckpointFailureThenTheEarlierWinsAndAtTheSameEntryTheChainsReason() {
        Break chain = new Break(7, Reason.hash_mismatch, "x");
        assertThat(CheckpointAudit.earlier(chain, null)).isEqualTo(chain);
        assertThat(CheckpointAudit.earlier(chain, new Break(6, Reason.checkpoint_mismatch, "y")).sequence()).isEqualTo(6);
        assertThat(CheckpointAudit.earlier(chain, new Break(7, Reason.checkpoint_mismatch, "y"))).isEqualTo(chain);
        assertThat(CheckpointAudit.earlier(null, new Break(6, Reason.checkpoint_mismatch, "y")).sequence()).isEqualTo(6);
    }
}
