package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 16, the pure part: a tree resumed from its stored frontier (O(log n) hashes) reaches the same roots
 * as one rebuilt from every leaf, and proofs answered from stored perfect subtrees plus a few leaves are exactly the
 * in-memory index's.
 */
class LargeTenantFrontierTest {

    private static List<byte[]> entryHashes(int n) {
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(Sha256.of(("entry " + i).getBytes()));
        }
        return out;
    }

    @Test
    void givenAFrontierAtAnySizeWhenTheTreeIsResumedFromItThenEveryLaterRootIsTheFullRebuildsRoot() {
        List<byte[]> hashes = entryHashes(300);
        for (int cut = 0; cut <= 300; cut += 7) {
            MerkleTree.Builder first = new MerkleTree.Builder();
            hashes.subList(0, cut).forEach(first::append);
            List<byte[]> frontier = first.frontier();
            assertThat(frontier).hasSize(Long.bitCount(cut));
            MerkleTree.Builder resumed = MerkleTree.Builder.resume(cut, frontier);
            assertThat(resumed.root()).isEqualTo(MerkleTree.root(hashes.subList(0, cut)));
            for (int i = cut; i < 300; i++) {
                resumed.append(hashes.get(i));
                if (i % 13 == 0 || i == 299) {
                    assertThat(resumed.root()).as("resumed at " + cut + ", size " + (i + 1))
                            .isEqualTo(MerkleTree.root(hashes.subList(0, i + 1)));
                }
            }
        }
    }

    @Test
    void givenAFrontierOfTheWrongLengthThenResumingIsRefused() {
        assertThatThrownBy(() -> MerkleTree.Builder.resume(5, List.of(new byte[32]))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void givenStoredSubtreesAndTheLeavesWhenProofsAreAnsweredThenTheyEqualTheInMemoryIndexs() {
        int n = 1000;
        int minLevel = 4;
        List<byte[]> hashes = entryHashes(n);
        Map<String, byte[]> stored = new HashMap<>();
        // the tree grown in three extensions, each resumed from the frontier the one before left
        long size = 0;
        List<byte[]> frontier = List.of();
        for (int end : new int[] {137, 512, n}) {
            MerkleTree.Builder b = MerkleTree.Builder.resume(size, frontier)
                    .reportingSubtrees(minLevel, (level, position, root) -> stored.put(level + "/" + position, root));
            for (int i = (int) size; i < end; i++) {
                b.append(hashes.get(i));
            }
            size = b.size();
            frontier = b.frontier();
        }
        List<byte[]> leaves = hashes.stream().map(MerkleTree::leafHash).toList();
        ProofIndex.PerfectSubtrees fromStore = new ProofIndex.PerfectSubtrees() {
            @Override
            public byte[] perfect(long start, int level) {
                if (level >= minLevel) {
                    byte[] h = stored.get(level + "/" + (start >>> level));
                    assertThat(h).as("stored subtree " + level + "/" + (start >>> level)).isNotNull();
                    return h;
                }
                if (level == 0) {
                    return leaves.get((int) start);
                }
                long half = 1L << (level - 1);
                return MerkleTree.nodeHash(perfect(start, level - 1), perfect(start + half, level - 1));
            }
        };
        ProofIndex index = ProofIndex.over(hashes);
        for (long treeSize : new long[] {1, 2, 15, 16, 17, 137, 512, 513, 999, 1000}) {
            assertThat(ProofIndex.root(fromStore, treeSize)).isEqualTo(index.root(treeSize));
            for (long i = 0; i < treeSize; i += 37) {
                assertThat(ProofIndex.inclusionProof(fromStore, i, treeSize)).containsExactlyElementsOf(index.inclusionProof(i, treeSize));
            }
            for (long m = 1; m <= treeSize; m += 61) {
                assertThat(ProofIndex.consistencyProof(fromStore, m, treeSize)).containsExactlyElementsOf(index.consistencyProof(m, treeSize));
            }
        }
    }
}
