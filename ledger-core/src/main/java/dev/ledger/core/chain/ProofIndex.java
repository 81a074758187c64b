package dev.ledger.core.chain;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The hashes of a Merkle tree's aligned perfect subtrees, built once over the leaves, so that roots, inclusion proofs
 * and consistency proofs for any tree size up to {@link #size()} cost O(log² n) lookups instead of rehashing every
 * leaf. Every subtree the RFC 6962 recursion visits is either perfect and aligned to its own size (looked up) or a
 * right edge ending at the tree size (folded from perfect ones).
 *
 * <p>Memory: 32 bytes per leaf plus about 4 bytes per leaf for the levels kept (levels 1 to 3 are recomputed from
 * the leaves when needed, at most 7 node hashes each); 1,000,000 entries take about 36 MB. Appending must not run
 * concurrently with anything else; once built, any number of threads may read.
 */
public final class ProofIndex {

    private static final int FIRST_STORED_LEVEL = 4;

    private final HashColumn leaves = new HashColumn();
    private final List<HashColumn> levels = new ArrayList<>();
    private final MessageDigest md = Sha256.newDigest();
    private final byte[][] frontier = new byte[64][];
    private int depth;
    private long size;

    /** An index over entry hashes (32 bytes each), in sequence order. */
    public static ProofIndex over(List<byte[]> entryHashes) {
        ProofIndex index = new ProofIndex();
        entryHashes.forEach(index::append);
        return index;
    }

    /** An index over leaves already hashed as SHA-256(0x00 ‖ data). */
    public static ProofIndex overLeafHashes(List<byte[]> leafHashes) {
        ProofIndex index = new ProofIndex();
        leafHashes.forEach(index::appendLeafHash);
        return index;
    }

    /** Appends the next entry hash as a leaf. */
    public ProofIndex append(byte[] entryHash) {
        return appendLeafHash(MerkleTree.leafHash(md, MerkleTree.requireHash(entryHash, "entry hash")));
    }

    public ProofIndex appendLeafHash(byte[] leafHash) {
        byte[] h = MerkleTree.requireHash(leafHash, "leaf hash").clone();
        leaves.add(h);
        int level = 0;
        for (long s = size; (s & 1) == 1; s >>= 1) {
            h = MerkleTree.nodeHash(md, frontier[--depth], h);
            level++;
            if (level >= FIRST_STORED_LEVEL) {
                column(level).add(h);
            }
        }
        frontier[depth++] = h;
        size++;
        return this;
    }

    /** Number of leaves indexed. */
    public long size() {
        return size;
    }

    public byte[] leafHash(long index) {
        checkIndex(index, size);
        return leaves.get(index);
    }

    public byte[] root() {
        return root(size);
    }

    /**
     * The roots of a tree's aligned perfect subtrees, wherever they are kept (in memory, in a database). Every subtree
     * the RFC 6962 recursion visits is either one of them or a right edge folded from them, so roots and proofs need
     * nothing else.
     */
    public interface PerfectSubtrees {
        /** MTH(D[start : start + 2^level]), {@code start} a multiple of 2^level, the subtree inside the tree asked about. */
        byte[] perfect(long start, int level);
    }

    /** Root of the tree of the first {@code treeSize} leaves. */
    public byte[] root(long treeSize) {
        checkSize(treeSize);
        return root(own(), treeSize);
    }

    /** RFC 6962 PATH(index, D[0:treeSize]), deepest sibling first. */
    public List<byte[]> inclusionProof(long index, long treeSize) {
        checkSize(treeSize);
        return inclusionProof(own(), index, treeSize);
    }

    /** RFC 6962 PROOF(m, D[0:n]); empty when m is 0 or m equals n. */
    public List<byte[]> consistencyProof(long m, long n) {
        checkSize(n);
        return consistencyProof(own(), m, n);
    }

    private PerfectSubtrees own() {
        MessageDigest d = Sha256.thread();
        return (start, level) -> perfect(d, start, level);
    }

    /** MTH(D[0:treeSize]) from the perfect subtrees of that tree. */
    public static byte[] root(PerfectSubtrees tree, long treeSize) {
        if (treeSize < 0) {
            throw new IllegalArgumentException("tree size " + treeSize + " is negative");
        }
        return treeSize == 0 ? MerkleTree.emptyRoot() : subtree(Sha256.thread(), tree, 0, treeSize);
    }

    /** RFC 6962 PATH(index, D[0:treeSize]) from the perfect subtrees of that tree, deepest sibling first. */
    public static List<byte[]> inclusionProof(PerfectSubtrees tree, long index, long treeSize) {
        checkIndex(index, treeSize);
        List<byte[]> path = new ArrayList<>(64);
        path(Sha256.thread(), tree, index, 0, treeSize, path);
        return path;
    }

    /** RFC 6962 PROOF(m, D[0:n]) from the perfect subtrees of D[0:n]; empty when m is 0 or m equals n. */
    public static List<byte[]> consistencyProof(PerfectSubtrees tree, long m, long n) {
        if (m < 0 || m > n) {
            throw new IllegalArgumentException("cannot prove size " + m + " consistent with size " + n);
        }
        List<byte[]> proof = new ArrayList<>(64);
        if (m > 0 && m < n) {
            subproof(Sha256.thread(), tree, m, 0, n, true, proof);
        }
        return proof;
    }

    private static void path(MessageDigest d, PerfectSubtrees t, long m, long start, long end, List<byte[]> out) {
        long n = end - start;
        if (n == 1) {
            return;
        }
        long k = MerkleTree.split(n);
        if (m < start + k) {
            path(d, t, m, start, start + k, out);
            out.add(subtree(d, t, start + k, end));
        } else {
            path(d, t, m, start + k, end, out);
            out.add(subtree(d, t, start, start + k));
        }
    }

    private static void subproof(MessageDigest d, PerfectSubtrees t, long m, long start, long end, boolean whole, List<byte[]> out) {
        if (m == end) {
            if (!whole) {
                out.add(subtree(d, t, start, end));
            }
            return;
        }
        long k = MerkleTree.split(end - start);
        if (m - start <= k) {
            subproof(d, t, m, start, start + k, whole, out);
            out.add(subtree(d, t, start + k, end));
        } else {
            subproof(d, t, m, start + k, end, false, out);
            out.add(subtree(d, t, start, start + k));
        }
    }

    /** MTH(D[start:end]), end &gt; start. */
    private static byte[] subtree(MessageDigest d, PerfectSubtrees t, long start, long end) {
        long n = end - start;
        if ((n & (n - 1)) == 0 && (start & (n - 1)) == 0) {
            return t.perfect(start, Long.numberOfTrailingZeros(n));
        }
        long k = MerkleTree.split(n);
        return MerkleTree.nodeHash(d, subtree(d, t, start, start + k), subtree(d, t, start + k, end));
    }

    private byte[] perfect(MessageDigest d, long start, int level) {
        if (level == 0) {
            return leaves.get(start);
        }
        if (level >= FIRST_STORED_LEVEL) {
            return levels.get(level - FIRST_STORED_LEVEL).get(start >>> level);
        }
        long half = 1L << (level - 1);
        return MerkleTree.nodeHash(d, perfect(d, start, level - 1), perfect(d, start + half, level - 1));
    }

    private HashColumn column(int level) {
        while (levels.size() <= level - FIRST_STORED_LEVEL) {
            levels.add(new HashColumn());
        }
        return levels.get(level - FIRST_STORED_LEVEL);
    }

    private void checkSize(long treeSize) {
        if (treeSize < 0 || treeSize > size) {
            throw new IllegalArgumentException("tree size " + treeSize + " is outside 0.." + size);
        }
    }

    private static void checkIndex(long index, long treeSize) {
        if (index < 0 || index >= treeSize) {
            throw new IllegalArgumentException("leaf index " + index + " is outside a tree of size " + treeSize);
        }
    }

    /** 32-byte hashes packed into 1 MiB pages, so that a column can outgrow one array. */
    private static final class HashColumn {

        private static final int PAGE_SHIFT = 15;
        private static final int PAGE_HASHES = 1 << PAGE_SHIFT;
        private static final int H = EntryFraming.HASH_BYTES;

        private final List<byte[]> pages = new ArrayList<>();
        private long count;

        void add(byte[] hash) {
            int slot = (int) (count & (PAGE_HASHES - 1));
            if (slot == 0) {
                // Small trees are common (a proof over a few entries); the first page grows on demand.
                pages.add(new byte[(count == 0 ? 16 : PAGE_HASHES) * H]);
            }
            int last = pages.size() - 1;
            byte[] page = pages.get(last);
            if (slot * H == page.length) {
                page = Arrays.copyOf(page, Math.min(page.length * 2, PAGE_HASHES * H));
                pages.set(last, page);
            }
            System.arraycopy(hash, 0, page, slot * H, H);
            count++;
        }

        byte[] get(long i) {
            Objects.checkIndex(i, count);
            byte[] page = pages.get((int) (i >>> PAGE_SHIFT));
            int off = (int) (i & (PAGE_HASHES - 1)) * H;
            byte[] out = new byte[H];
            System.arraycopy(page, off, out, 0, H);
            return out;
        }
    }
}
