package dev.ledger.core.chain;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * An offline-verifiable proof that an entry is in a tenant's chain, in the C2SP {@code tlog-proof} form
 * (c2sp.org/tlog-proof@v1): a header line, the zero-based leaf index, the RFC 6962 inclusion proof one base64 hash a
 * line (from the leaf's sibling up), an empty line, and the signed checkpoint ({@link TlogCheckpoint}) verbatim.
 * <pre>
 * c2sp.org/tlog-proof@v1
 * index 2
 * frdk1TnLDLMzMxqevWOznIdnBlWsuuxIit0o1/XjYbc=
 * 4Pxt4MsBy4sdwgtHxw0p+Yu7CQniZ1u/RmldO8bDZ3Q=
 *
 * ledger.example.com/tenants/acme
 * 4
 * …
 * </pre>
 * The ledger writes no {@code extra} line; one in a file read is kept but, being unauthenticated, means nothing here.
 */
public record TlogProof(long index, List<byte[]> path, String checkpoint) {

    public static final String HEADER = "c2sp.org/tlog-proof@v1";

    public TlogProof {
        if (index < 0) {
            throw new IllegalArgumentException("a leaf index is not negative");
        }
        path = path.stream().map(h -> MerkleTree.requireHash(h, "proof hash").clone()).toList();
        Objects.requireNonNull(checkpoint, "checkpoint");
        if (checkpoint.isEmpty() || !checkpoint.endsWith("\n")) {
            throw new IllegalArgumentException("a checkpoint note ends with a newline");
        }
    }

    /** The file's text. */
    public String encoded() {
        StringBuilder b = new StringBuilder(HEADER).append('\n').append("index ").append(index).append('\n');
        for (byte[] h : path) {
            b.append(Base64.getEncoder().encodeToString(h)).append('\n');
        }
        return b.append('\n').append(checkpoint).toString();
    }

    /** Reads a proof file; one not in the format is refused with an IllegalArgumentException saying why. */
    public static TlogProof parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no proof");
        }
        int blank = text.indexOf("\n\n");
        if (blank < 0) {
            throw new IllegalArgumentException("a tlog proof has an empty line before its checkpoint");
        }
        String[] lines = text.substring(0, blank).split("\n", -1);
        if (!lines[0].equals(HEADER)) {
            throw new IllegalArgumentException("a tlog proof starts with the line " + HEADER);
        }
        int at = 1;
        if (at < lines.length && lines[at].startsWith("extra ")) {
            at++;
        }
        if (at >= lines.length || !lines[at].matches("index (0|[1-9][0-9]{0,18})")) {
            throw new IllegalArgumentException("a tlog proof names its index: \"index N\", N decimal with no leading zero");
        }
        long index;
        try {
            index = Long.parseLong(lines[at].substring("index ".length()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("a tlog proof's index is too large");
        }
        List<byte[]> path = new ArrayList<>();
        for (int i = at + 1; i < lines.length; i++) {
            byte[] h;
            try {
                h = Base64Text.decode(lines[i]);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("a proof hash is base64 (line " + (i + 1) + ")");
            }
            if (h.length != EntryFraming.HASH_BYTES) {
                throw new IllegalArgumentException("a proof hash is the padded base64 of 32 bytes (line " + (i + 1) + ")");
            }
            path.add(h);
        }
        String checkpoint = text.substring(blank + 2);
        if (checkpoint.isEmpty() || !checkpoint.endsWith("\n")) {
            throw new IllegalArgumentException("a tlog proof ends with its checkpoint, a signed note ending in a newline");
        }
        return new TlogProof(index, path, checkpoint);
    }

    @Override
    public List<byte[]> path() {
        return path.stream().map(byte[]::clone).toList();
    }

    /** What a proof showed: the checkpoint it holds (signed by the key given) includes the entry at {@code index}. */
    public record Verified(TlogCheckpoint.Body checkpoint, long index) {
    }

    /**
     * Checks the proof as c2sp.org/tlog-proof says: the checkpoint is signed by {@code key} (and has the expected
     * origin, when one is given), and the inclusion proof binds the entry hash at the index to its root. Throws
     * IllegalArgumentException naming the first thing that does not hold.
     */
    public Verified verify(byte[] entryHash, SignedNote.VerifierKey key, String expectedOrigin) {
        TlogCheckpoint.Body body = TlogCheckpoint.open(checkpoint, key);
        if (expectedOrigin != null && !expectedOrigin.equals(body.origin())) {
            throw new IllegalArgumentException("the checkpoint's origin is " + body.origin() + ", not " + expectedOrigin);
        }
        if (index >= body.size()) {
            throw new IllegalArgumentException("index " + index + " is outside the checkpoint's tree of " + body.size());
        }
        if (!MerkleTree.verifyInclusion(entryHash, index, body.size(), path, body.rootHash())) {
            throw new IllegalArgumentException("the inclusion proof does not bind this entry hash at index " + index
                    + " to the checkpoint's root");
        }
        return new Verified(body, index);
    }
}
