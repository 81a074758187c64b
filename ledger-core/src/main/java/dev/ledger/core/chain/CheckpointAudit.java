package dev.ledger.core.chain;

import dev.ledger.core.chain.ChainVerifier.Break;
import dev.ledger.core.chain.ChainVerifier.Reason;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.TreeSet;

/**
 * Holds a tenant's chain, read from sequence 1, against its signed checkpoints: the one auditor of checkpoints
 * against the tree, used by {@code POST /v1/tenants/{t}/verifications} and the offline verifier (rules:
 * docs/chain.md section 6). Entries stream in as RFC 6962 leaf hashes of their stored hashes; each checkpoint is
 * checked the moment the tree reaches its size: its key must be one of the keys, its signature must verify, it must
 * be the tenant's, and its root must be the tree's.
 *
 * <p>A checkpoint that fails vouches for nothing: the first entry no verified checkpoint vouches for is the size of
 * the largest smaller checkpoint that verified, plus one. A checkpoint with a valid signature larger than the chain
 * means the tail was cut off (first missing entry). Only entries that passed the chain's own checks are fed, in
 * order, each before the checkpoints of its size are checked: the first problem met is the verdict, a break in the
 * chain at the entry itself, a checkpoint failure at the first unvouched entry ({@link #earlier}). Not thread-safe.
 */
public final class CheckpointAudit {

    private final String tenantId;
    private final CheckpointKeys keys;
    private final String whose;
    private final MerkleTree.Builder tree = new MerkleTree.Builder();
    private final PriorityQueue<Checkpoint> pending = new PriorityQueue<>(Comparator.comparingLong(Checkpoint::size));
    private final TreeSet<Long> vouched = new TreeSet<>();
    private int verified;
    private Break mismatch;

    /** {@code whose} names the keys in a refusal, e.g. "the trusted keys". */
    public CheckpointAudit(String tenantId, CheckpointKeys keys, String whose) {
        this.tenantId = Objects.requireNonNull(tenantId, "tenantId");
        this.keys = Objects.requireNonNull(keys, "keys");
        this.whose = Objects.requireNonNull(whose, "whose");
    }

    /**
     * A checkpoint to hold the tree against once it reaches the checkpoint's size (now, if it has). Answers false,
     * keeping nothing, when the tree is already past that size: only a second reading can check it ({@link #check}).
     */
    public boolean expect(Checkpoint checkpoint) {
        if (checkpoint.size() < tree.size()) {
            return false;
        }
        pending.add(checkpoint);
        checkAtTreeSize();
        return true;
    }

    /** The next entry, as the RFC 6962 leaf hash of its stored hash ({@link MerkleTree#leafHash}). */
    public void leaf(byte[] leafHash) {
        tree.appendLeafHash(leafHash);
        checkAtTreeSize();
    }

    /**
     * The next 2^level entries at once, as their aligned subtree hashed elsewhere ({@link MerkleTree#alignedSubtrees}).
     * Only for entries that all passed the chain's own checks, when no checkpoint waits for a size inside them
     * ({@link #waitsWithin}): the checkpoint of the size reached is then checked as {@link #leaf} would.
     */
    public void subtree(MerkleTree.Subtree subtree) {
        if (waitsWithin(tree.size() + subtree.leaves())) {
            throw new IllegalStateException("a checkpoint waits for a size inside this subtree: append its leaves one by one");
        }
        tree.appendSubtree(subtree);
        checkAtTreeSize();
    }

    /** Whether a checkpoint waits for a tree size above the current one and below {@code size}. */
    public boolean waitsWithin(long size) {
        Checkpoint next = pending.peek();
        return next != null && next.size() < size;
    }

    /** Checks a checkpoint against the root of the first {@code checkpoint.size()} entries, computed elsewhere. */
    public void check(Checkpoint checkpoint, byte[] root) {
        if (mismatch != null) {
            return;
        }
        String problem = signatureProblem(checkpoint);
        if (problem == null && !MessageDigest.isEqual(root, checkpoint.rootHash())) {
            problem = "the checkpoint for the first " + checkpoint.size() + " entries has root_hash " + Hex.of(checkpoint.rootHash())
                    + " but those entries have Merkle root " + Hex.of(root);
        }
        if (problem != null) {
            fail(checkpoint, problem);
            return;
        }
        vouched.add(checkpoint.size());
        verified++;
    }

    /**
     * At the end of the entries: checkpoints larger than the tree, and the first checkpoint failure, or null;
     * {@code holder} names what holds the entries in the verdict ("the bundle").
     */
    public Break finish(String holder) {
        long present = tree.size();
        while (mismatch == null && !pending.isEmpty()) {
            Checkpoint cp = pending.poll();
            String problem = signatureProblem(cp);
            if (problem != null) {
                fail(cp, problem);
            } else {
                mismatch = new Break(present + 1, Reason.checkpoint_mismatch, "a checkpoint vouches for " + cp.size()
                        + " entries but " + holder + " holds " + present + ": entries " + (present + 1) + ".." + cp.size()
                        + " are missing (the tail was cut off)");
            }
        }
        return mismatch;
    }

    /** The first checkpoint failure so far, or null. */
    public Break mismatch() {
        return mismatch;
    }

    /**
     * The verdict of a reader that stopped feeding leaves at the chain's first break: the checkpoints' failure, met
     * first, names an entry before it; at the same entry the chain's reason wins.
     */
    public static Break earlier(Break chain, Break checkpoints) {
        if (chain == null) {
            return checkpoints;
        }
        return checkpoints != null && checkpoints.sequence() < chain.sequence() ? checkpoints : chain;
    }

    public long size() {
        return tree.size();
    }

    public byte[] root() {
        return tree.root();
    }

    /** Checkpoints that verified. */
    public int verified() {
        return verified;
    }

    private void checkAtTreeSize() {
        byte[] root = null;
        while (mismatch == null && !pending.isEmpty() && pending.peek().size() == tree.size()) {
            root = root == null ? tree.root() : root;
            check(pending.poll(), root);
        }
    }

    private String signatureProblem(Checkpoint cp) {
        if (!keys.contains(cp.keyId())) {
            return "the checkpoint for " + cp.size() + " entries is signed with key " + cp.keyId() + ", which is not among " + whose;
        }
        if (!keys.verify(cp)) {
            return "the signature of the checkpoint for " + cp.size() + " entries does not verify with key " + cp.keyId();
        }
        if (!cp.tenantId().equals(tenantId)) {
            return "the checkpoint for " + cp.size() + " entries is for tenant " + cp.tenantId() + ", the chain for " + tenantId;
        }
        return null;
    }

    private void fail(Checkpoint cp, String problem) {
        Long lower = vouched.lower(cp.size());
        long first = lower == null ? 1 : lower + 1;
        String vouchedNote = lower == null ? "" : "; entries 1.." + lower + " are vouched for by a checkpoint that verified";
        mismatch = new Break(first, Reason.checkpoint_mismatch, problem + vouchedNote);
    }
}
