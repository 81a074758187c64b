package dev.ledger.core.verify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.chain.ChainVerifier;
import dev.ledger.core.chain.CheckpointAudit;
import dev.ledger.core.chain.ChainVerifier.Reason;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKey;
import dev.ledger.core.chain.CheckpointKeys;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.entry.ChainFormat;
import dev.ledger.core.verify.BlockParser.ParsedBlock;
import dev.ledger.core.verify.BundleLine.EntryLine;
import dev.ledger.core.verify.BundleLine.RecordLine;
import dev.ledger.core.verify.BundleVerification.Status;
import dev.ledger.core.chain.Hex;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.LongConsumer;
import java.util.function.Predicate;

/**
 * Verifies a ledger-export/v2 (or v1) bundle without a database (format and rules: docs/chain.md). The bundle is streamed:
 * worker threads parse blocks of lines and recompute entry and leaf hashes; this thread checks, in order, every
 * entry with a {@link ChainVerifier}, grows the Merkle tree one leaf at a time with {@link MerkleTree.Builder}, and
 * checks each checkpoint as soon as the tree reaches its size. Memory stays bounded by a few blocks, whatever the
 * bundle's length.
 *
 * <p>The first problem met wins. A checkpoint that fails makes {@code first_broken_sequence} the first entry no
 * verified checkpoint vouches for (the size of the largest smaller checkpoint that verified, plus one); a checkpoint
 * larger than the entries present means the tail was cut off, and names the first missing entry.
 *
 * <p>A bundle cut short in transit (no closing line, or a last line cut in the middle) whose entries all hold is
 * TRUNCATED, not BROKEN: what is missing was never received, which is no evidence of tampering. A v1 bundle has no
 * closing line; one whose entries end before its header's {@code to_sequence} is TRUNCATED too.
 */
public final class BundleVerifier {

    public static final long DEFAULT_PROGRESS_EVERY = 100_000;
    static final int DEFAULT_BLOCK_BYTES = 1 << 20;

    private final CheckpointKeys trustedKeys;
    private final long progressEvery;
    private final LongConsumer progress;
    private final int workers;
    private final int blockBytes;
    private final List<Checkpoint> required;

    public BundleVerifier() {
        this(null, DEFAULT_PROGRESS_EVERY, checked -> { }, Runtime.getRuntime().availableProcessors(), DEFAULT_BLOCK_BYTES, List.of());
    }

    private BundleVerifier(CheckpointKeys trustedKeys, long progressEvery, LongConsumer progress, int workers, int blockBytes,
                           List<Checkpoint> required) {
        this.required = List.copyOf(required);
        this.trustedKeys = trustedKeys;
        this.progressEvery = progressEvery;
        this.progress = progress;
        this.workers = workers;
        this.blockBytes = blockBytes;
    }

    /**
     * Checks checkpoint signatures against these keys only (e.g. GET /v1/checkpoint-keys, fetched independently),
     * ignoring the keys the bundle carries: a bundle's own keys prove only that it is consistent with itself.
     */
    public BundleVerifier trustingOnly(CheckpointKeys keys) {
        return new BundleVerifier(Objects.requireNonNull(keys, "keys"), progressEvery, progress, workers, blockBytes, required);
    }

    /** Calls {@code listener} with the number of entries verified so far, every {@code every} entries. */
    public BundleVerifier reportingProgress(long every, LongConsumer listener) {
        if (every < 1) {
            throw new IllegalArgumentException("progress interval must be positive");
        }
        return new BundleVerifier(trustedKeys, every, Objects.requireNonNull(listener, "listener"), workers, blockBytes, required);
    }

    /** Parsing threads and block size; tests use small blocks to cross block boundaries often. */
    BundleVerifier withParallelism(int parsingThreads, int blockSize) {
        return new BundleVerifier(trustedKeys, progressEvery, progress, Math.max(1, parsingThreads), Math.max(64, blockSize),
                required);
    }

    /**
     * Also holds the bundle against these checkpoints from elsewhere, such as the {@code ledger_checkpoint} of Stripe
     * invoices ({@link Checkpoint#fromMetadata}): each must be signed by a trusted key and match the tree of the
     * bundle's entries at its size, or the bundle is BROKEN. Two invoices' checkpoints that both hold against one
     * verified chain prove that nothing billed with the first was rewritten by the second. Only a bundle from sequence 1
     * can hold them: a ranged one is refused (IllegalArgumentException).
     */
    public BundleVerifier holding(List<Checkpoint> checkpoints) {
        List<Checkpoint> all = new ArrayList<>(required);
        all.addAll(checkpoints);
        return new BundleVerifier(trustedKeys, progressEvery, progress, workers, blockBytes, all);
    }

    /**
     * Verifies a bundle file. A checkpoint line placed after the entries it covers is checked by reading the entries a
     * second time; the file must not change meanwhile.
     *
     * @throws BundleFormatException when the file is not a readable ledger-export/v1 bundle
     */
    public BundleVerification verify(Path bundle) throws IOException {
        return run(() -> Files.newInputStream(bundle), true);
    }

    /**
     * Verifies a bundle read once from {@code bundle} (left open). A checkpoint placed after the entries it covers
     * cannot be checked this way and is counted as skipped, which the result's detail says.
     */
    public BundleVerification verify(InputStream bundle) throws IOException {
        Objects.requireNonNull(bundle, "bundle");
        return run(() -> bundle, false);
    }

    private interface Opener {
        InputStream open() throws IOException;
    }

    private BundleVerification run(Opener opener, boolean reopenable) throws IOException {
        Checks checks = new Checks();
        checks.endedMidLine = stream(opener, reopenable, checks::consume);
        return checks.finish(reopenable ? opener : null);
    }

    /**
     * Feeds parsed blocks, in order, to {@code sink} until it answers false or the input ends; answers whether the
     * input ended inside a line (that partial line is not fed).
     */
    private boolean stream(Opener opener, boolean close, BlockSink sink) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(workers, r -> {
            Thread t = new Thread(r, "bundle-verifier");
            t.setDaemon(true);
            return t;
        });
        InputStream in = opener.open();
        try {
            BlockReader reader = new BlockReader(in, blockBytes);
            ArrayDeque<Future<ParsedBlock>> inFlight = new ArrayDeque<>();
            int maxInFlight = 2 * workers + 1;
            boolean more = true;
            BlockReader.Block block;
            while (more && (block = reader.next()) != null) {
                BlockReader.Block b = block;
                inFlight.add(pool.submit(() -> BlockParser.parse(b.data(), b.length())));
                if (inFlight.size() >= maxInFlight) {
                    more = sink.accept(await(inFlight.poll()));
                }
            }
            while (more && !inFlight.isEmpty()) {
                more = sink.accept(await(inFlight.poll()));
            }
            return reader.endedMidLine();
        } finally {
            pool.shutdownNow();
            if (close) {
                in.close();
            }
        }
    }

    private interface BlockSink {
        boolean accept(ParsedBlock block) throws IOException;
    }

    private static ParsedBlock await(Future<ParsedBlock> future) throws IOException {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("verification interrupted");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new UncheckedIOException(new IOException(e.getCause()));
        }
    }

    private record Failure(long sequence, Reason reason, String detail) {
    }

    /** The ordered checks of one verification. */
    private final class Checks {

        private BundleHeader header;
        /** v2: a complete bundle ends with its closing line. */
        private boolean closingLineRequired;
        private ObjectNode end;
        private boolean endedMidLine;
        private CheckpointKeys bundleKeys = CheckpointKeys.of();
        private boolean bodyStarted;
        private long anchorSequence = -1;
        private byte[] anchorHash;
        private ChainVerifier chain;
        /** Holds the tree against the checkpoints (a bundle from sequence 1 only). */
        private CheckpointAudit audit;
        private final List<Checkpoint> late = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();
        private int checkpointsSkipped;
        private long linesBefore;
        private long nextProgress = progressEvery;
        private Failure failure;

        boolean consume(ParsedBlock block) throws BundleFormatException {
            if (wholeSubtrees(block)) {
                return consumeEntries(block);
            }
            for (BundleLine line : block.lines()) {
                if (failure != null) {
                    return false;
                }
                switch (line) {
                    case EntryLine e -> entry(e, true);
                    case RecordLine r -> record(r, linesBefore + r.line());
                }
            }
            if (failure != null) {
                return false;
            }
            if (block.failure() != null) {
                BundleFormatException f = block.failure();
                throw f.line() > 0 ? f.atLine(linesBefore + f.line()) : f;
            }
            linesBefore += block.lineCount();
            return true;
        }

        /**
         * Whether the block's tree can grow by the subtrees its worker hashed: all its lines are entries, the first
         * comes next in the tree, and no checkpoint waits for a size inside the block (each is checked at its size).
         */
        private boolean wholeSubtrees(ParsedBlock block) {
            if (block.subtrees() == null || audit == null || chain == null || end != null || failure != null) {
                return false;
            }
            EntryLine first = (EntryLine) block.lines().get(0);
            long after = audit.size() + block.lines().size();
            return first.sequence() == audit.size() + 1 && chain.lastSequence() == audit.size() && !audit.waitsWithin(after);
        }

        /**
         * Every entry's own checks first, in order, then the tree grows by the block's subtrees. The order of the two
         * is invisible: no checkpoint waits for a size inside the block, and the first broken entry stops the tree.
         */
        private boolean consumeEntries(ParsedBlock block) throws BundleFormatException {
            for (BundleLine line : block.lines()) {
                entry((EntryLine) line, false);
                if (failure != null) {
                    return false;
                }
            }
            for (MerkleTree.Subtree subtree : block.subtrees()) {
                audit.subtree(subtree);
            }
            checkpointFailure();
            linesBefore += block.lineCount();
            return failure == null;
        }

        private void record(RecordLine r, long line) throws BundleFormatException {
            if (header == null) {
                if (!r.kind().equals(BundleLine.HEADER)) {
                    throw new BundleFormatException(line, "the first line must be the header (kind \"header\")");
                }
                header = header(r.node(), line);
                closingLineRequired = BundleHeader.FORMAT_V2.equals(r.node().path("format").asText());
                return;
            }
            if (end != null) {
                throw new BundleFormatException(line, "nothing may follow the closing line (kind \"end\")");
            }
            switch (r.kind()) {
                case BundleLine.END -> {
                    if (!closingLineRequired) {
                        throw new BundleFormatException(line, "a " + BundleHeader.FORMAT_V1 + " bundle has no closing line");
                    }
                    bodyStarted = true;
                    if (!r.node().path("entries").isIntegralNumber() || !r.node().path("head_sequence").isIntegralNumber()
                            || !r.node().path("head_hash").isTextual()) {
                        throw new BundleFormatException(line, "the closing line needs entries, head_sequence and head_hash");
                    }
                    end = r.node();
                }
                case BundleLine.HEADER -> throw new BundleFormatException(line, "a bundle has one header");
                case BundleLine.KEY -> {
                    if (bodyStarted) {
                        throw new BundleFormatException(line, "key lines must directly follow the header");
                    }
                    try {
                        bundleKeys = bundleKeys.with(CheckpointKey.fromJson(r.node()));
                    } catch (IllegalArgumentException e) {
                        throw new BundleFormatException(line, e.getMessage());
                    }
                }
                case BundleLine.ANCHOR -> anchor(r.node(), line);
                case BundleLine.CHECKPOINT -> {
                    bodyStarted = true;
                    try {
                        checkpoint(Checkpoint.fromJson(r.node()));
                    } catch (IllegalArgumentException e) {
                        throw new BundleFormatException(line, e.getMessage());
                    }
                }
                default -> throw new BundleFormatException(line, "unknown line kind \"" + r.kind() + "\"");
            }
        }

        /** The entries' chain format: only the one this verifier knows is checked, never guessed at. */
        private static void chainFormat(JsonNode format, long line) throws BundleFormatException {
            if (format == null) {
                throw new BundleFormatException(line, "the header names no chain_format: the bundle was written in chain format 1"
                        + " (entry types were Java class names), which this verifier does not read; it reads chain format "
                        + ChainFormat.VERSION + " (docs/chain.md)");
            }
            if (!format.isIntegralNumber() || format.asLong() != ChainFormat.VERSION) {
                throw new BundleFormatException(line, "unknown chain format " + format + ": this verifier reads chain format "
                        + ChainFormat.VERSION + " only (docs/chain.md); verify the bundle with a verifier that knows its format");
            }
        }

        private BundleHeader header(ObjectNode n, long line) throws BundleFormatException {
            String format = n.path("format").asText(null);
            if (!BundleHeader.FORMAT_V2.equals(format) && !BundleHeader.FORMAT_V1.equals(format)) {
                throw new BundleFormatException(line, "not a " + BundleHeader.FORMAT_V2 + " (or " + BundleHeader.FORMAT_V1
                        + ") bundle (format is " + n.path("format").asText("missing") + ")");
            }
            chainFormat(n.get("chain_format"), line);
            JsonNode tenant = n.get("tenant_id");
            JsonNode from = n.get("from_sequence");
            JsonNode to = n.get("to_sequence");
            if (tenant == null || !tenant.isTextual() || from == null || !from.isIntegralNumber() || to == null
                    || !to.isIntegralNumber()) {
                throw new BundleFormatException(line, "the header needs tenant_id, from_sequence and to_sequence");
            }
            try {
                return new BundleHeader(tenant.asText(), from.asLong(), to.asLong(), n.path("exported_at").asText(""));
            } catch (IllegalArgumentException e) {
                throw new BundleFormatException(line, e.getMessage());
            }
        }

        private void anchor(ObjectNode n, long line) throws BundleFormatException {
            bodyStarted = true;
            if (!header.ranged()) {
                throw new BundleFormatException(line, "a bundle from sequence 1 has no anchor: its chain starts at the genesis hash");
            }
            if (anchorHash != null || chain != null) {
                throw new BundleFormatException(line, "one anchor line comes before the entries");
            }
            JsonNode sequence = n.get("sequence");
            if (sequence == null || !sequence.isIntegralNumber() || sequence.asLong() != header.fromSequence() - 1) {
                throw new BundleFormatException(line, "the anchor's sequence must be from_sequence − 1 = " + (header.fromSequence() - 1));
            }
            try {
                byte[] hash = Hex.parse(n.path("hash").asText(""));
                if (hash.length != EntryFraming.HASH_BYTES) {
                    throw new IllegalArgumentException("wrong length");
                }
                anchorSequence = sequence.asLong();
                anchorHash = hash;
            } catch (IllegalArgumentException e) {
                throw new BundleFormatException(line, "the anchor's hash must be " + 2 * EntryFraming.HASH_BYTES + " hex digits");
            }
        }

        /** {@code growTree}: feed the entry's leaf to the auditor now (else the caller grows the tree by subtrees). */
        private void entry(EntryLine e, boolean growTree) throws BundleFormatException {
            if (header == null) {
                throw new BundleFormatException(linesBefore + 1, "the first line must be the header (kind \"header\")");
            }
            if (end != null) {
                throw new BundleFormatException(0, "nothing may follow the closing line (kind \"end\"), but entry "
                        + e.sequence() + " does");
            }
            if (chain == null) {
                startChain(linesBefore + 1);
            }
            if (!header.tenantId().equals(e.tenantId())) {
                long at = chain.lastSequence() + 1;
                failure = new Failure(at, Reason.hash_mismatch, "the entry at sequence " + at + " belongs to tenant " + e.tenantId()
                        + ", the bundle to " + header.tenantId());
                return;
            }
            // the entry's own checks come first; only an entry that holds grows the tree the checkpoints are held against
            ChainVerifier.Break broken = chain.accept(e.sequence(), e.prevHash(), e.hash(), e.recomputedHash());
            if (broken != null) {
                failure = new Failure(broken.sequence(), broken.reason(), broken.detail());
                return;
            }
            if (audit != null && growTree) {
                audit.leaf(e.leafHash());
                checkpointFailure();
            }
            if (chain.checked() >= nextProgress) {
                progress.accept(chain.checked());
                nextProgress += progressEvery;
            }
        }

        private void startChain(long line) throws BundleFormatException {
            bodyStarted = true;
            if (header.ranged()) {
                if (anchorHash == null) {
                    throw new BundleFormatException(line, "a bundle from sequence " + header.fromSequence()
                            + " needs an anchor line (the hash of entry " + (header.fromSequence() - 1) + ") before its entries");
                }
                chain = new ChainVerifier(anchorSequence, anchorHash);
            } else {
                chain = new ChainVerifier();
                audit();
            }
            if (!required.isEmpty() && header.ranged()) {
                throw new IllegalArgumentException("a bundle from sequence " + header.fromSequence() + " cannot hold a checkpoint "
                        + "given to the verifier: export the chain from its start");
            }
            for (Checkpoint cp : required) {
                checkpoint(cp);
            }
        }

        private void checkpoint(Checkpoint cp) {
            if (failure != null) {
                return;
            }
            if (header.ranged()) {
                checkpointsSkipped++;
                return;
            }
            if (!audit().expect(cp)) {
                late.add(cp);
                return;
            }
            checkpointFailure();
        }

        /** The auditor, made once the keys are known (they directly follow the header). */
        private CheckpointAudit audit() {
            if (audit == null) {
                audit = new CheckpointAudit(header.tenantId(), trustedKeys != null ? trustedKeys : bundleKeys,
                        trustedKeys != null ? "the trusted keys" : "the bundle's keys");
            }
            return audit;
        }

        private void checkpointFailure() {
            if (failure == null && audit.mismatch() != null) {
                ChainVerifier.Break m = audit.mismatch();
                failure = new Failure(m.sequence(), m.reason(), m.detail());
            }
        }

        BundleVerification finish(Opener reopen) throws IOException {
            if (header == null) {
                if (endedMidLine) {
                    return new BundleVerification(Status.TRUNCATED, null, 0, 0, 0, null, null,
                            "the bundle ends inside its first line: it was cut short, and nothing of it can be checked", 0,
                            Hex.of(EntryFraming.genesis()), 0, 0);
                }
                throw new BundleFormatException(0, "the bundle is empty");
            }
            if (chain == null && header.ranged() && anchorHash == null && (endedMidLine || closingLineRequired && end == null)) {
                return new BundleVerification(Status.TRUNCATED, header.tenantId(), header.fromSequence(), header.toSequence(), 0,
                        null, null, "the bundle ends before its anchor line: it was cut short; fetch the export again",
                        header.fromSequence() - 1, Hex.of(EntryFraming.genesis()), 0, 0);
            }
            if (chain == null) {
                startChain(linesBefore);
            }
            if (failure == null && !late.isEmpty()) {
                lateCheckpoints(reopen);
            }
            String cut = failure == null ? cutShort() : null;
            if (cut != null) {
                return truncated(cut);
            }
            if (failure == null && audit != null) {
                checkpointFailure();
                audit.finish("the bundle");
                checkpointFailure();
            }
            if (failure == null) {
                headerRange();
            }
            if (failure == null && end != null) {
                closingLine();
            }
            return result();
        }

        /** Why the bundle was cut short in transit, or null when it arrived whole. */
        private String cutShort() {
            long last = chain.lastSequence();
            String where = last < header.fromSequence() ? "before its first entry" : "after entry " + last;
            if (endedMidLine) {
                return "the bundle ends " + where + " in the middle of a line: it was cut short";
            }
            if (closingLineRequired && end == null) {
                return "the bundle ends " + where + " without its closing line: it was cut short";
            }
            if (!closingLineRequired && last < header.toSequence()) {
                return "the " + BundleHeader.FORMAT_V1 + " bundle ends " + where + " but its header declares entries up to "
                        + header.toSequence() + " (a v1 bundle has no closing line, so a cut and a removed tail look alike)";
            }
            return null;
        }

        private BundleVerification truncated(String why) {
            String detail = why + "; fetch the export again (entries " + (chain.lastSequence() + 1) + ".." + header.toSequence()
                    + " are missing)";
            return new BundleVerification(Status.TRUNCATED, header.tenantId(), header.fromSequence(), header.toSequence(),
                    chain.checked(), null, null, detail, chain.lastSequence(), Hex.of(chain.lastHash()),
                    verified(), checkpointsSkipped);
        }

        /** The closing line must describe the entries the bundle holds: anything else was changed after writing. */
        private void closingLine() {
            long entries = end.path("entries").asLong();
            long headSequence = end.path("head_sequence").asLong();
            String headHash = end.path("head_hash").asText();
            String actualHash = Hex.of(chain.lastHash());
            if (entries != chain.checked() || headSequence != chain.lastSequence() || !headHash.equals(actualHash)) {
                long at = Math.min(headSequence, chain.lastSequence()) + 1;
                failure = new Failure(at, Reason.sequence_gap, "the closing line declares " + entries + " entries ending at "
                        + headSequence + " (" + headHash + ") but the bundle holds " + chain.checked() + " ending at "
                        + chain.lastSequence() + " (" + actualHash + ")");
            }
        }

        /** Checkpoints that came after the entries they cover: a second reading rebuilds the tree up to them. */
        private void lateCheckpoints(Opener reopen) throws IOException {
            if (reopen == null) {
                checkpointsSkipped += late.size();
                notes.add(late.size() + " checkpoint(s) not checked: they follow the entries they cover and the input cannot be read twice");
                return;
            }
            late.sort(Comparator.comparingLong(Checkpoint::size));
            MerkleTree.Builder again = new MerkleTree.Builder();
            int[] next = {0};
            Predicate<byte[]> atLateSizes = leafHash -> {
                if (leafHash != null) {
                    again.appendLeafHash(leafHash);
                }
                byte[] root = null;
                while (audit.mismatch() == null && next[0] < late.size() && late.get(next[0]).size() == again.size()) {
                    root = root == null ? again.root() : root;
                    audit.check(late.get(next[0]++), root);
                }
                checkpointFailure();
                return failure == null;
            };
            atLateSizes.test(null);
            stream(reopen, true, block -> {
                if (block.failure() != null) {
                    throw new BundleFormatException(0, "the bundle changed while it was being verified");
                }
                for (BundleLine line : block.lines()) {
                    if (line instanceof EntryLine e && !atLateSizes.test(e.leafHash())) {
                        return false;
                    }
                }
                return true;
            });
            if (failure == null && (again.size() != audit.size() || !MessageDigest.isEqual(again.root(), audit.root()))) {
                throw new BundleFormatException(0, "the bundle changed while it was being verified");
            }
        }

        private void headerRange() {
            long last = chain.lastSequence();
            if (last < header.toSequence()) {
                failure = new Failure(last + 1, Reason.sequence_gap, "the header declares entries up to " + header.toSequence()
                        + " but the bundle ends after " + last);
            } else if (last > header.toSequence()) {
                failure = new Failure(header.toSequence() + 1, Reason.sequence_gap, "entry " + (header.toSequence() + 1)
                        + " lies beyond the header's to_sequence " + header.toSequence());
            }
        }

        private int verified() {
            return audit == null ? 0 : audit.verified();
        }

        private BundleVerification result() {
            long headSequence = chain.lastSequence();
            byte[] headHash = chain.lastHash();
            if (failure != null) {
                return new BundleVerification(Status.BROKEN, header.tenantId(), header.fromSequence(), header.toSequence(),
                        chain.checked(), failure.sequence(), failure.reason(), failure.detail(), headSequence, Hex.of(headHash),
                        verified(), checkpointsSkipped);
            }
            StringBuilder detail = new StringBuilder();
            detail.append(chain.checked()).append(" entries verified; ").append(verified()).append(" checkpoint(s) verified");
            if (verified() > 0) {
                detail.append(trustedKeys != null ? " with the trusted keys" : " with the bundle's own keys");
            }
            if (header.ranged() && checkpointsSkipped > 0) {
                detail.append("; ").append(checkpointsSkipped).append(" checkpoint(s) not checked: each covers entries before sequence ")
                        .append(header.fromSequence()).append(", which this ranged bundle does not hold");
            }
            notes.forEach(n -> detail.append("; ").append(n));
            if (!header.ranged() && verified() == 0) {
                detail.append("; no checkpoint was checked, so nothing shows this is the history that was signed");
            }
            return new BundleVerification(Status.VALID, header.tenantId(), header.fromSequence(), header.toSequence(), chain.checked(),
                    null, null, detail.toString(), headSequence, Hex.of(headHash), verified(), checkpointsSkipped);
        }
    }
}
