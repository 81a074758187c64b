package dev.ledger.meter;

import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.MerkleTree;
import java.util.Arrays;

/**
 * The RFC 6962 Merkle tree of a tenant's entries 1..size, kept as its frontier: the roots of the perfect subtrees it
 * is made of, largest first (one per set bit of the size, at most 64 hashes). Enough to answer the root at the
 * current size, which a signed checkpoint of that size must equal; stored with the tenant's position.
 */
final class MerkleFrontier {

    private static final int HASH = EntryFraming.HASH_BYTES;

    private final byte[][] stack = new byte[64][];
    private int depth;
    private long size;

    /** An empty tree. */
    MerkleFrontier() {
    }

    long size() {
        return size;
    }

    /** Appends an entry hash as leaf {@code size + 1}. */
    void append(byte[] entryHash) {
        appendLeafHash(MerkleTree.leafHash(entryHash));
    }

    /** Appends a leaf already hashed as SHA-256(0x00 ‖ entry hash), e.g. by a preparer thread. */
    void appendLeafHash(byte[] leafHash) {
        byte[] h = leafHash;
        for (long s = size; (s & 1) == 1; s >>= 1) {
            h = MerkleTree.nodeHash(stack[--depth], h);
        }
        stack[depth++] = h;
        size++;
    }

    byte[] root() {
        if (depth == 0) {
            return MerkleTree.emptyRoot();
        }
        byte[] r = stack[depth - 1];
        for (int i = depth - 2; i >= 0; i--) {
            r = MerkleTree.nodeHash(stack[i], r);
        }
        return r.clone();
    }

    byte[] toBytes() {
        byte[] b = new byte[depth * HASH];
        for (int i = 0; i < depth; i++) {
            System.arraycopy(stack[i], 0, b, i * HASH, HASH);
        }
        return b;
    }

    /** The frontier stored for a tree of {@code size} leaves, or null when the bytes cannot be one. */
    static MerkleFrontier fromBytes(byte[] bytes, long size) {
        if (bytes == null || size < 0 || bytes.length != Long.bitCount(size) * HASH) {
            return null;
        }
        MerkleFrontier f = new MerkleFrontier();
        f.depth = Long.bitCount(size);
        for (int i = 0; i < f.depth; i++) {
            f.stack[i] = Arrays.copyOfRange(bytes, i * HASH, (i + 1) * HASH);
        }
        f.size = size;
        return f;
    }
}
