package dev.ledger.core.chain;

import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The RFC 6962 / RFC 9162 Merkle Tree Hash over a tenant's entries (spec: docs/chain.md).
 *
 * <pre>
 * MTH({})      = SHA-256("")
 * MTH({d0})    = SHA-256(0x00 ‖ d0)                                   leaf
 * MTH(D[0:n])  = SHA-256(0x01 ‖ MTH(D[0:k]) ‖ MTH(D[k:n]))            node, k = largest power of two &lt; n
 * </pre>
 * The ledger's leaf data are the 32-byte entry hashes, in sequence order (leaf index = sequence − 1). The
 * {@code ...OfLeafData}/{@code ...OfLeafHash} variants work one level lower so that the published RFC 6962 test
 * vectors, whose leaves are arbitrary bytes, can be checked exactly.
 */
public final class MerkleTree {

    private static final byte LEAF_PREFIX = 0x00;
    private static final byte NODE_PREFIX = 0x01;
    private static final byte[] EMPTY_ROOT = Sha256.of();

    private MerkleTree() {
    }

    /** Root of the tree of no leaves: SHA-256 of the empty string. */
    public static byte[] emptyRoot() {
        return EMPTY_ROOT.clone();
    }

    /** SHA-256(0x00 ‖ leaf data). */
    public static byte[] leafHash(byte[] leafData) {
        return leafHash(Sha256.thread(), leafData);
    }

    /** SHA-256(0x01 ‖ left ‖ right). */
    public static byte[] nodeHash(byte[] left, byte[] right) {
        return nodeHash(Sha256.thread(), left, right);
    }

    /** Root over entry hashes (each 32 bytes), in sequence order. */
    public static byte[] root(List<byte[]> entryHashes) {
        Builder builder = new Builder();
        entryHashes.forEach(builder::append);
        return builder.root();
    }

    /** Root over arbitrary leaf data: the RFC 6962 test vectors' level. */
    public static byte[] rootOfLeafData(List<byte[]> leafData) {
        Builder builder = new Builder();
        leafData.forEach(builder::appendLeafData);
        return builder.root();
    }

    /**
     * RFC 6962 PATH(index, D[0:size]) over entry hashes, deepest sibling first. Hashes every one of the first
     * {@code size} leaves; to answer many proofs over the same entries build a {@link ProofIndex} once.
     */
    public static List<byte[]> inclusionProof(List<byte[]> entryHashes, int index, int size) {
        requireSize(entryHashes, size);
        if (index < 0 || index >= size) {
            throw new IllegalArgumentException("leaf index " + index + " is outside a tree of size " + size);
        }
        return ProofIndex.over(entryHashes.subList(0, size)).inclusionProof(index, size);
    }

    /** RFC 6962 PROOF(m, D[0:n]) = SUBPROOF(m, D[0:n], true) over entry hashes; empty when m is 0 or m equals n. */
    public static List<byte[]> consistencyProof(List<byte[]> entryHashes, int m, int n) {
        requireSize(entryHashes, n);
        if (m < 0 || m > n) {
            throw new IllegalArgumentException("cannot prove size " + m + " consistent with size " + n);
        }
        return ProofIndex.over(entryHashes.subList(0, n)).consistencyProof(m, n);
    }

    /** Whether {@code path} proves the entry hash is leaf {@code index} of the tree of {@code size} with {@code root}. */
    public static boolean verifyInclusion(byte[] entryHash, long index, long size, List<byte[]> path, byte[] root) {
        return isHash(entryHash) && verifyInclusionOfLeafHash(leafHash(entryHash), index, size, path, root);
    }

    /** RFC 9162 §2.1.3.2, given the leaf hash itself. */
    public static boolean verifyInclusionOfLeafHash(byte[] leafHash, long index, long size, List<byte[]> path, byte[] root) {
        if (!isHash(leafHash) || !isHash(root) || !allHashes(path) || index < 0 || index >= size) {
            return false;
        }
        MessageDigest md = Sha256.thread();
        long fn = index;
        long sn = size - 1;
        byte[] r = leafHash;
        for (byte[] p : path) {
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                r = nodeHash(md, p, r);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                r = nodeHash(md, r, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(r, root);
    }

    /**
     * RFC 9162 §2.1.4.2: whether {@code proof} shows the tree of size {@code n} with {@code newRoot} extends the tree of
     * size {@code m} with {@code oldRoot}. Degenerate cases: m = n holds with an empty proof and equal roots; m = 0
     * holds with an empty proof when {@code oldRoot} is the empty root.
     */
    public static boolean verifyConsistency(long m, long n, byte[] oldRoot, byte[] newRoot, List<byte[]> proof) {
        if (!isHash(oldRoot) || !isHash(newRoot) || !allHashes(proof) || m < 0 || m > n) {
            return false;
        }
        if (m == n) {
            return proof.isEmpty() && MessageDigest.isEqual(oldRoot, newRoot);
        }
        if (m == 0) {
            return proof.isEmpty() && MessageDigest.isEqual(oldRoot, EMPTY_ROOT);
        }
        if (proof.isEmpty()) {
            return false;
        }
        List<byte[]> path = proof;
        if (Long.bitCount(m) == 1) {
            path = new ArrayList<>(proof.size() + 1);
            path.add(oldRoot);
            path.addAll(proof);
        }
        MessageDigest md = Sha256.thread();
        long fn = m - 1;
        long sn = n - 1;
        while ((fn & 1) == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        byte[] fr = path.get(0);
        byte[] sr = path.get(0);
        for (int i = 1; i < path.size(); i++) {
            byte[] c = path.get(i);
            if (sn == 0) {
                return false;
            }
            if ((fn & 1) == 1 || fn == sn) {
                fr = nodeHash(md, c, fr);
                sr = nodeHash(md, c, sr);
                while ((fn & 1) == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                sr = nodeHash(md, sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && MessageDigest.isEqual(fr, oldRoot) && MessageDigest.isEqual(sr, newRoot);
    }

    /** The split point k of a tree of n &gt; 1 leaves: the largest power of two smaller than n. */
    static long split(long n) {
        return Long.highestOneBit(n - 1);
    }

    /**
     * SHA-256(0x00 ‖ leaf data) with the caller's digest: the one leaf hash, for readers that hash leaves on threads
     * of their own (the offline verifier's parsers, the API's audit hashers).
     */
    public static byte[] leafHash(MessageDigest md, byte[] leafData) {
        md.reset();
        md.update(LEAF_PREFIX);
        return md.digest(leafData);
    }

    /** SHA-256(0x01 ‖ left ‖ right) with the caller's digest. */
    public static byte[] nodeHash(MessageDigest md, byte[] left, byte[] right) {
        md.reset();
        md.update(NODE_PREFIX);
        md.update(left);
        return md.digest(right);
    }

    /** A perfect subtree of 2^level consecutive leaves starting at a multiple of 2^level, with its root. */
    public record Subtree(int level, byte[] root) {
        public Subtree {
            if (level < 0 || level > 62) {
                throw new IllegalArgumentException("a subtree level lies in 0..62, not " + level);
            }
            requireHash(root, "subtree root");
        }

        public long leaves() {
            return 1L << level;
        }
    }

    /**
     * The leaves at indexes [start, start + leafHashes.size()) as the aligned perfect subtrees RFC 6962 builds them
     * into, left to right, each hashed here: the largest subtree that starts at the current index, is aligned to its
     * size and fits. Appending them with {@link Builder#appendSubtree} in order gives the tree appending each leaf
     * would, with the node hashes done by whichever thread called this (e.g. a worker parsing a block).
     */
    public static List<Subtree> alignedSubtrees(MessageDigest md, long start, List<byte[]> leafHashes) {
        if (start < 0) {
            throw new IllegalArgumentException("a leaf index is not negative");
        }
        List<Subtree> out = new ArrayList<>();
        int n = leafHashes.size();
        byte[][] level = new byte[Integer.highestOneBit(Math.max(1, n))][];
        int at = 0;
        while (at < n) {
            long index = start + at;
            int fits = 31 - Integer.numberOfLeadingZeros(n - at);
            int lvl = index == 0 ? fits : Math.min(fits, Long.numberOfTrailingZeros(index));
            int width = 1 << lvl;
            for (int i = 0; i < width; i++) {
                level[i] = requireHash(leafHashes.get(at + i), "leaf hash");
            }
            for (int w = width; w > 1; w >>= 1) {
                for (int i = 0; i < w / 2; i++) {
                    level[i] = nodeHash(md, level[2 * i], level[2 * i + 1]);
                }
            }
            out.add(new Subtree(lvl, level[0]));
            at += width;
        }
        return out;
    }

    static byte[] requireHash(byte[] hash, String what) {
        if (!isHash(hash)) {
            throw new IllegalArgumentException(what + " must be " + EntryFraming.HASH_BYTES + " bytes");
        }
        return hash;
    }

    private static boolean isHash(byte[] h) {
        return h != null && h.length == EntryFraming.HASH_BYTES;
    }

    private static boolean allHashes(List<byte[]> hashes) {
        if (hashes == null) {
            return false;
        }
        for (byte[] h : hashes) {
            if (!isHash(h)) {
                return false;
            }
        }
        return true;
    }

    private static void requireSize(List<byte[]> entryHashes, int size) {
        Objects.requireNonNull(entryHashes, "entryHashes");
        if (size < 0 || size > entryHashes.size()) {
            throw new IllegalArgumentException("tree size " + size + " is outside 0.." + entryHashes.size());
        }
    }

    /**
     * Streams leaves in and answers the root at any moment, holding one hash per set bit of the size (at most 64):
     * the roots of the perfect subtrees the tree is made of, largest first. Not thread-safe.
     */
    public static final class Builder {

        /** Told of each perfect subtree the tree completes: its level (2^level leaves), position at that level, root. */
        public interface CompletedSubtree {
            void completed(int level, long position, byte[] root);
        }

        private final MessageDigest md = Sha256.newDigest();
        private final byte[][] stack = new byte[64][];
        private int depth;
        private long size;
        private CompletedSubtree completed;
        private int minLevel = Integer.MAX_VALUE;

        public Builder() {
        }

        /**
         * Resumes a tree of {@code size} leaves from its frontier (RFC 6962's compact range of [0, size)): the roots of
         * the perfect subtrees it is made of, largest first, one per set bit of {@code size}, as {@link #frontier()}
         * gave them. Appending to it then costs what appending to the whole tree would, without its leaves.
         */
        public static Builder resume(long size, List<byte[]> frontier) {
            if (size < 0 || frontier.size() != Long.bitCount(size)) {
                throw new IllegalArgumentException("a tree of " + size + " leaves has a frontier of " + Long.bitCount(Math.max(0, size))
                        + " hashes, not " + frontier.size());
            }
            Builder b = new Builder();
            for (byte[] h : frontier) {
                b.stack[b.depth++] = requireHash(h, "frontier hash").clone();
            }
            b.size = size;
            return b;
        }

        /** The frontier of the leaves appended so far, largest subtree first (see {@link #resume}). */
        public List<byte[]> frontier() {
            List<byte[]> out = new ArrayList<>(depth);
            for (int i = 0; i < depth; i++) {
                out.add(stack[i].clone());
            }
            return out;
        }

        /** Reports every perfect subtree of at least 2^minLevel leaves completed from now on. */
        public Builder reportingSubtrees(int minLevel, CompletedSubtree listener) {
            if (minLevel < 1) {
                throw new IllegalArgumentException("subtrees of level 1 and above are reported; leaves are the entries");
            }
            this.minLevel = minLevel;
            this.completed = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** Appends an entry hash (32 bytes) as the next leaf. */
        public Builder append(byte[] entryHash) {
            return appendLeafHash(leafHash(md, requireHash(entryHash, "entry hash")));
        }

        /** Appends arbitrary leaf data as the next leaf. */
        public Builder appendLeafData(byte[] leafData) {
            return appendLeafHash(leafHash(md, Objects.requireNonNull(leafData, "leafData")));
        }

        /** Appends a leaf already hashed as SHA-256(0x00 ‖ data), e.g. by another thread. */
        public Builder appendLeafHash(byte[] leafHash) {
            byte[] h = requireHash(leafHash, "leaf hash");
            // Each trailing 1-bit of the old size is a perfect subtree the new leaf completes a twin of.
            int level = 0;
            for (long s = size; (s & 1) == 1; s >>= 1) {
                h = nodeHash(md, stack[--depth], h);
                level++;
                if (level >= minLevel) {
                    completed.completed(level, ((size + 1) >>> level) - 1, h);
                }
            }
            stack[depth++] = h;
            size++;
            return this;
        }

        /**
         * Appends a perfect subtree of 2^level leaves hashed elsewhere ({@link MerkleTree#alignedSubtrees}); the tree
         * must hold a multiple of 2^level leaves, as RFC 6962 aligns it. Completed subtrees are not reported through
         * this path, so a builder that reports them refuses it.
         */
        public Builder appendSubtree(Subtree subtree) {
            if (completed != null) {
                throw new IllegalStateException("a builder reporting completed subtrees appends leaf by leaf");
            }
            int level = subtree.level();
            long leaves = subtree.leaves();
            if ((size & (leaves - 1)) != 0) {
                throw new IllegalArgumentException("a subtree of " + leaves + " leaves cannot follow " + size
                        + " leaves: it must start at a multiple of its size");
            }
            if (size > Long.MAX_VALUE - leaves) {
                throw new ArithmeticException("tree size overflow");
            }
            byte[] h = subtree.root();
            for (long s = size >>> level; (s & 1) == 1; s >>= 1) {
                h = nodeHash(md, stack[--depth], h);
            }
            stack[depth++] = h;
            size += leaves;
            return this;
        }

        public long size() {
            return size;
        }

        /** MTH of the leaves appended so far. */
        public byte[] root() {
            if (depth == 0) {
                return emptyRoot();
            }
            byte[] r = stack[depth - 1];
            for (int i = depth - 2; i >= 0; i--) {
                r = nodeHash(md, stack[i], r);
            }
            return r == stack[depth - 1] ? r.clone() : r;
        }
    }
}
