package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MerkleTreeTest {

    /** certificate-transparency merkle_tree_test: the eight reference leaves and the roots of sizes 1..8. */
    private static final List<byte[]> REFERENCE_LEAVES = hexes("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
            "606162636465666768696a6b6c6d6e6f");
    private static final List<String> REFERENCE_ROOTS = List.of(
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");
    private static final String H_96A2 = "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7";
    private static final String H_5F08 = "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e";
    private static final String H_6B47 = "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4";
    private static final String H_BC1A = "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b";
    private static final String H_CA85 = "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0";
    private static final String H_D37E = "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7";
    private static final String H_0EBC = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a";
    private static final String H_FAC5 = "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125";
    private static final String H_6E34 = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";

    @Test
    void givenTheRfc6962ReferenceLeavesWhenTheTreeGrowsThenEachRootIsThePublishedOne() {
        // given the reference leaves; when hashed as trees of 0..8 leaves
        assertThat(Hex.of(MerkleTree.rootOfLeafData(List.of())))
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        for (int size = 1; size <= 8; size++) {
            // then every root is the published one, recursively and incrementally
            assertThat(Hex.of(MerkleTree.rootOfLeafData(REFERENCE_LEAVES.subList(0, size)))).as("size %d", size)
                    .isEqualTo(REFERENCE_ROOTS.get(size - 1));
            assertThat(Hex.of(referenceIndex().root(size))).isEqualTo(REFERENCE_ROOTS.get(size - 1));
        }
    }

    @Test
    void givenTheReferenceTreeWhenProofsAreAskedForThenTheyAreThePublishedPathsAndVerify() {
        // given
        ProofIndex index = referenceIndex();
        // when / then: inclusion
        assertInclusion(index, 0, 8, H_96A2, H_5F08, H_6B47);
        assertInclusion(index, 5, 8, H_BC1A, H_CA85, H_D37E);
        assertInclusion(index, 2, 3, H_FAC5);
        assertInclusion(index, 1, 5, H_6E34, H_5F08, H_BC1A);
        assertInclusion(index, 0, 1);
        // and consistency
        assertConsistency(index, 1, 8, H_96A2, H_5F08, H_6B47);
        assertConsistency(index, 6, 8, H_0EBC, H_CA85, H_D37E);
        assertConsistency(index, 2, 5, H_5F08, H_BC1A);
        assertConsistency(index, 2, 8, H_5F08, H_6B47);
        assertConsistency(index, 1, 1);
    }

    // A proof does not authenticate the tree size on its own (PATH(0, 3) also verifies as a leaf of a 4-leaf tree
    // whose last subtree hashes to leaf 2's hash): the size is bound by the signed checkpoint that carries the root.
    @Test
    void givenTreesOfOneTo64EntriesWhenEveryInclusionProofIsCheckedThenEachVerifiesAndNoAlteredOneDoes() {
        List<byte[]> entries = entryHashes(64);
        int proofs = 0;
        for (int size = 1; size <= 64; size++) {
            byte[] root = MerkleTree.root(entries.subList(0, size));
            for (int i = 0; i < size; i++) {
                // when
                List<byte[]> path = MerkleTree.inclusionProof(entries, i, size);
                // then
                assertThat(path).as("leaf %d of %d", i, size).usingElementComparator(MerkleTreeTest::compare)
                        .containsExactlyElementsOf(referencePath(i, leafHashes(entries.subList(0, size))));
                assertThat(MerkleTree.verifyInclusion(entries.get(i), i, size, path, root)).as("leaf %d of %d", i, size).isTrue();
                assertThat(MerkleTree.verifyInclusion(changed(entries.get(i)), i, size, path, root)).isFalse();
                assertThat(MerkleTree.verifyInclusion(entries.get(i), i, size, path, changed(root))).isFalse();
                assertThat(MerkleTree.verifyInclusion(entries.get(i), size, size, path, root)).isFalse();
                if (size > 1) {
                    assertThat(MerkleTree.verifyInclusion(entries.get(i), (i + 1) % size, size, path, root)).isFalse();
                    assertThat(MerkleTree.verifyInclusion(entries.get(i), i, size, withChanged(path, path.size() - 1), root)).isFalse();
                    assertThat(MerkleTree.verifyInclusion(entries.get(i), i, size, path.subList(0, path.size() - 1), root)).isFalse();
                }
                assertThat(MerkleTree.verifyInclusion(entries.get(i), i, size, appended(path, root), root)).isFalse();
                proofs++;
            }
        }
        assertThat(proofs).isEqualTo(64 * 65 / 2);
    }

    @Test
    void givenTreesOfOneTo64EntriesWhenEveryConsistencyProofIsCheckedThenEachVerifiesAndNoAlteredOneDoes() {
        List<byte[]> entries = entryHashes(64);
        List<byte[]> roots = IntStream.rangeClosed(0, 64).mapToObj(n -> MerkleTree.root(entries.subList(0, n))).toList();
        for (int n = 1; n <= 64; n++) {
            for (int m = 1; m <= n; m++) {
                // when
                List<byte[]> proof = MerkleTree.consistencyProof(entries, m, n);
                // then
                String pair = m + "->" + n;
                if (m < n) {
                    assertThat(proof).as(pair).usingElementComparator(MerkleTreeTest::compare)
                            .containsExactlyElementsOf(referenceSubproof(m, leafHashes(entries.subList(0, n)), true));
                }
                assertThat(MerkleTree.verifyConsistency(m, n, roots.get(m), roots.get(n), proof)).as(pair).isTrue();
                if (m < n) {
                    assertThat(MerkleTree.verifyConsistency(m, n, changed(roots.get(m)), roots.get(n), proof)).as(pair).isFalse();
                    assertThat(MerkleTree.verifyConsistency(m, n, roots.get(m), changed(roots.get(n)), proof)).as(pair).isFalse();
                    assertThat(MerkleTree.verifyConsistency(m, n, roots.get(m), roots.get(n), withChanged(proof, 0))).as(pair).isFalse();
                    assertThat(MerkleTree.verifyConsistency(m, n, roots.get(m), roots.get(n), proof.subList(0, proof.size() - 1)))
                            .as(pair).isFalse();
                    assertThat(MerkleTree.verifyConsistency(m, n, roots.get(m), roots.get(n), appended(proof, roots.get(n))))
                            .as(pair).isFalse();
                    // the history of size n with one entry changed at or before m is not an extension of the original
                    List<byte[]> rewritten = new ArrayList<>(entries.subList(0, n));
                    rewritten.set(m - 1, changed(rewritten.get(m - 1)));
                    assertThat(MerkleTree.verifyConsistency(m, n, roots.get(m), MerkleTree.root(rewritten),
                            MerkleTree.consistencyProof(rewritten, m, n))).as(pair).isFalse();
                }
            }
        }
    }

    @Test
    void givenDegenerateSizesWhenConsistencyIsCheckedThenOnlyTheTrivialProofsHold() {
        List<byte[]> entries = entryHashes(8);
        byte[] root4 = MerkleTree.root(entries.subList(0, 4));
        byte[] root8 = MerkleTree.root(entries);
        assertThat(MerkleTree.consistencyProof(entries, 0, 8)).isEmpty();
        assertThat(MerkleTree.verifyConsistency(0, 8, MerkleTree.emptyRoot(), root8, List.of())).isTrue();
        assertThat(MerkleTree.verifyConsistency(0, 8, root4, root8, List.of())).isFalse();
        assertThat(MerkleTree.verifyConsistency(4, 4, root4, root4, List.of())).isTrue();
        assertThat(MerkleTree.verifyConsistency(4, 4, root4, root8, List.of())).isFalse();
        assertThat(MerkleTree.verifyConsistency(4, 4, root4, root4, List.of(root4))).isFalse();
        assertThat(MerkleTree.verifyConsistency(8, 4, root8, root4, MerkleTree.consistencyProof(entries, 4, 8))).isFalse();
        assertThat(MerkleTree.verifyConsistency(4, 8, root4, root8, List.of())).isFalse();
        assertThat(MerkleTree.verifyConsistency(4, 8, new byte[31], root8, MerkleTree.consistencyProof(entries, 4, 8))).isFalse();
        assertThat(MerkleTree.verifyInclusion(entries.get(0), -1, 8, MerkleTree.inclusionProof(entries, 0, 8), root8)).isFalse();
        assertThat(MerkleTree.verifyInclusion(new byte[31], 0, 8, MerkleTree.inclusionProof(entries, 0, 8), root8)).isFalse();
        assertThatThrownBy(() -> MerkleTree.inclusionProof(entries, 8, 8)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MerkleTree.consistencyProof(entries, 5, 4)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> MerkleTree.root(List.of(new byte[31]))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void givenZeroTo300EntriesWhenAppendedOneByOneThenTheBuilderAlwaysHasTheRecursiveRoot() {
        List<byte[]> entries = entryHashes(300);
        MerkleTree.Builder builder = new MerkleTree.Builder();
        for (int n = 0; n <= 300; n++) {
            // then
            byte[] expected = referenceRoot(leafHashes(entries.subList(0, n)));
            assertThat(builder.size()).isEqualTo(n);
            assertThat(builder.root()).as("size %d", n).isEqualTo(expected);
            assertThat(MerkleTree.root(entries.subList(0, n))).isEqualTo(expected);
            // when
            if (n < 300) {
                builder.append(entries.get(n));
            }
        }
    }

    @Test
    void givenAnyPrefixWhenTheNextLeavesAreAppendedAsAlignedSubtreesThenTheTreeIsTheOneLeafByLeafGives() {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < 140; i++) {
            leaves.add(MerkleTree.leafHash(Sha256.of(new byte[] {(byte) i, (byte) (i >> 8)})));
        }
        java.security.MessageDigest md = Sha256.newDigest();
        for (int prefix = 0; prefix <= 70; prefix++) {
            for (int n = 1; n <= 70; n++) {
                MerkleTree.Builder bySubtrees = new MerkleTree.Builder();
                MerkleTree.Builder byLeaves = new MerkleTree.Builder();
                leaves.subList(0, prefix).forEach(bySubtrees::appendLeafHash);
                leaves.subList(0, prefix + n).forEach(byLeaves::appendLeafHash);
                List<MerkleTree.Subtree> subtrees = MerkleTree.alignedSubtrees(md, prefix, leaves.subList(prefix, prefix + n));
                subtrees.forEach(bySubtrees::appendSubtree);
                assertThat(subtrees.stream().mapToLong(MerkleTree.Subtree::leaves).sum()).isEqualTo(n);
                assertThat(bySubtrees.size()).isEqualTo(prefix + n);
                assertThat(Hex.of(bySubtrees.root())).as("prefix %d, %d more", prefix, n).isEqualTo(Hex.of(byLeaves.root()));
                assertThat(bySubtrees.frontier()).usingElementComparator(java.util.Arrays::compare).isEqualTo(byLeaves.frontier());
            }
        }
        MerkleTree.Builder three = new MerkleTree.Builder();
        leaves.subList(0, 3).forEach(three::appendLeafHash);
        MerkleTree.Subtree pair = MerkleTree.alignedSubtrees(md, 4, leaves.subList(4, 6)).get(0);
        assertThatThrownBy(() -> three.appendSubtree(pair)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must start at a multiple of its size");
    }

    @Test
    void givenAnIndexOver1000EntriesWhenAskedAboutSmallerTreesThenItAnswersAsATreeOfThatSize() {
        List<byte[]> entries = entryHashes(1000);
        ProofIndex index = ProofIndex.over(entries);
        for (int size : new int[] {1, 2, 15, 16, 17, 31, 33, 255, 256, 257, 640, 999, 1000}) {
            List<byte[]> prefix = entries.subList(0, size);
            List<byte[]> leaves = leafHashes(prefix);
            assertThat(index.root(size)).as("size %d", size).isEqualTo(referenceRoot(leaves));
            for (int i : new int[] {0, size / 3, size / 2, size - 1}) {
                assertThat(index.inclusionProof(i, size)).usingElementComparator(MerkleTreeTest::compare)
                        .containsExactlyElementsOf(referencePath(i, leaves));
            }
            for (int m : new int[] {1, size / 2, size - 1}) {
                if (m >= 1 && m < size) {
                    List<byte[]> proof = index.consistencyProof(m, size);
                    assertThat(proof).usingElementComparator(MerkleTreeTest::compare)
                            .containsExactlyElementsOf(referenceSubproof(m, leaves, true));
                    assertThat(MerkleTree.verifyConsistency(m, size, index.root(m), index.root(size), proof)).isTrue();
                }
            }
        }
    }

    // --- RFC 6962 §2.1, literally, as the reference the fast code is held to ---

    private static byte[] referenceRoot(List<byte[]> leafHashes) {
        int n = leafHashes.size();
        if (n == 0) {
            return Sha256.of(new byte[0]);
        }
        if (n == 1) {
            return leafHashes.get(0);
        }
        int k = Integer.highestOneBit(n - 1);
        return MerkleTree.nodeHash(referenceRoot(leafHashes.subList(0, k)), referenceRoot(leafHashes.subList(k, n)));
    }

    private static List<byte[]> referencePath(int m, List<byte[]> d) {
        int n = d.size();
        List<byte[]> path = new ArrayList<>();
        if (n <= 1) {
            return path;
        }
        int k = Integer.highestOneBit(n - 1);
        if (m < k) {
            path.addAll(referencePath(m, d.subList(0, k)));
            path.add(referenceRoot(d.subList(k, n)));
        } else {
            path.addAll(referencePath(m - k, d.subList(k, n)));
            path.add(referenceRoot(d.subList(0, k)));
        }
        return path;
    }

    private static List<byte[]> referenceSubproof(int m, List<byte[]> d, boolean b) {
        int n = d.size();
        List<byte[]> proof = new ArrayList<>();
        if (m == n) {
            if (!b) {
                proof.add(referenceRoot(d));
            }
            return proof;
        }
        int k = Integer.highestOneBit(n - 1);
        if (m <= k) {
            proof.addAll(referenceSubproof(m, d.subList(0, k), b));
            proof.add(referenceRoot(d.subList(k, n)));
        } else {
            proof.addAll(referenceSubproof(m - k, d.subList(k, n), false));
            proof.add(referenceRoot(d.subList(0, k)));
        }
        return proof;
    }

    // --- helpers ---

    private static ProofIndex referenceIndex() {
        return ProofIndex.overLeafHashes(REFERENCE_LEAVES.stream().map(MerkleTree::leafHash).toList());
    }

    private static void assertInclusion(ProofIndex index, int leaf, int size, String... expected) {
        List<byte[]> path = index.inclusionProof(leaf, size);
        assertThat(path.stream().map(Hex::of).toList()).as("PATH(%d, %d)", leaf, size).containsExactly(expected);
        assertThat(MerkleTree.verifyInclusionOfLeafHash(MerkleTree.leafHash(REFERENCE_LEAVES.get(leaf)), leaf, size, path,
                Hex.parse(REFERENCE_ROOTS.get(size - 1)))).isTrue();
    }

    private static void assertConsistency(ProofIndex index, int m, int n, String... expected) {
        List<byte[]> proof = index.consistencyProof(m, n);
        assertThat(proof.stream().map(Hex::of).toList()).as("PROOF(%d, %d)", m, n).containsExactly(expected);
        assertThat(MerkleTree.verifyConsistency(m, n, Hex.parse(REFERENCE_ROOTS.get(m - 1)),
                Hex.parse(REFERENCE_ROOTS.get(n - 1)), proof)).isTrue();
    }

    static List<byte[]> entryHashes(int n) {
        return IntStream.range(0, n).mapToObj(i -> Sha256.of(("entry " + i).getBytes(StandardCharsets.UTF_8))).toList();
    }

    private static List<byte[]> leafHashes(List<byte[]> entryHashes) {
        return entryHashes.stream().map(MerkleTree::leafHash).toList();
    }

    private static byte[] changed(byte[] hash) {
        byte[] copy = hash.clone();
        copy[copy.length - 1] ^= 0x01;
        return copy;
    }

    private static List<byte[]> withChanged(List<byte[]> hashes, int at) {
        List<byte[]> copy = new ArrayList<>(hashes);
        copy.set(at, changed(copy.get(at)));
        return copy;
    }

    private static List<byte[]> appended(List<byte[]> hashes, byte[] extra) {
        List<byte[]> copy = new ArrayList<>(hashes);
        copy.add(extra);
        return copy;
    }

    private static int compare(byte[] a, byte[] b) {
        return java.util.Arrays.compare(a, b);
    }

    private static List<byte[]> hexes(String... hex) {
        return java.util.Arrays.stream(hex).map(Hex::parse).toList();
    }
}
