package dev.ledger.core.verify;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKey;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.entry.ChainFormat;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.chain.Hex;
import java.io.Flushable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Iterator;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Writes a ledger-export/v2 bundle: one JSON object per line, {@code kind} first, in the order header, keys,
 * anchor (ranged bundles only), then checkpoints and entries, and last the closing line ({@link #end}), which tells a
 * complete bundle from one cut short. {@link #write} puts every checkpoint before the entries so that the verifier
 * checks each one the moment the tree reaches its size, in a single pass.
 *
 * <p>Entry lines carry exactly the entry record's members, written by {@link EntryCodec#writeMembers} (the writer of
 * the Kafka record too), after {@code kind}; they are written straight to the stream, so that exporting a million entries allocates no tree per entry. Entries are written as
 * stored, never checked or repaired here: a broken chain must reach the auditor broken. The stream is flushed, not
 * closed; it belongs to the caller.
 */
public final class BundleWriter implements Flushable {

    private enum Stage { START, KEYS, BODY, ENTRIES, ENDED }

    private final JsonGenerator json;
    private Stage stage = Stage.START;
    private boolean ranged;
    private long entries;
    private long headSequence;
    private byte[] headHash = EntryFraming.genesis();

    public BundleWriter(OutputStream out) throws IOException {
        this.json = LedgerJson.mapper().getFactory().createGenerator(Objects.requireNonNull(out, "out"));
        json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
        json.setRootValueSeparator(null);
    }

    /** Lines handed to the writer one by one as they are read (a database cursor, a list): never all in memory. */
    @FunctionalInterface
    public interface Source<T> {
        void each(Consumer<T> line);
    }

    /**
     * The whole bundle: header, keys, the anchor when {@code header.fromSequence() > 1} ({@code anchorHash} = hash
     * of entry from − 1, else null), the checkpoints, then the entries.
     */
    public static void write(OutputStream out, BundleHeader header, Collection<CheckpointKey> keys, byte[] anchorHash,
                             Collection<Checkpoint> checkpoints, Iterator<StoredEntry> entries) throws IOException {
        write(out, header, keys, anchorHash, checkpoints::forEach, entries::forEachRemaining);
    }

    /**
     * The whole bundle, its checkpoints and entries streamed from their sources in the order written (checkpoints
     * first: a streaming verifier then checks each root the moment the tree reaches its size), and the closing line
     * once the last entry is out. A source that fails leaves the bundle without its closing line.
     */
    public static void write(OutputStream out, BundleHeader header, Collection<CheckpointKey> keys, byte[] anchorHash,
                             Source<Checkpoint> checkpoints, Source<StoredEntry> entries) throws IOException {
        BundleWriter writer = new BundleWriter(out);
        writer.header(header);
        for (CheckpointKey key : keys) {
            writer.key(key);
        }
        if (header.ranged()) {
            writer.anchor(header.fromSequence() - 1, Objects.requireNonNull(anchorHash, "a ranged bundle needs the anchor hash"));
        }
        try {
            checkpoints.each(c -> unchecked(() -> writer.checkpoint(c)));
            entries.each(e -> unchecked(() -> writer.entry(e)));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        writer.end();
        writer.flush();
    }

    private interface Write {
        void run() throws IOException;
    }

    private static void unchecked(Write write) {
        try {
            write.run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public BundleWriter header(BundleHeader header) throws IOException {
        advance(Stage.START, Stage.KEYS, "the header is the first line");
        ranged = header.ranged();
        headSequence = header.fromSequence() - 1;
        json.writeStartObject();
        json.writeStringField("kind", BundleLine.HEADER);
        json.writeStringField("format", BundleHeader.FORMAT_V2);
        json.writeNumberField("chain_format", ChainFormat.VERSION);
        json.writeStringField("tenant_id", header.tenantId());
        json.writeNumberField("from_sequence", header.fromSequence());
        json.writeNumberField("to_sequence", header.toSequence());
        json.writeStringField("exported_at", header.exportedAt());
        return endLine();
    }

    public BundleWriter key(CheckpointKey key) throws IOException {
        advance(Stage.KEYS, Stage.KEYS, "key lines directly follow the header");
        json.writeStartObject();
        json.writeStringField("kind", BundleLine.KEY);
        json.writeStringField("key_id", key.keyId());
        json.writeStringField("algorithm", CheckpointKey.ALGORITHM);
        json.writeStringField("public_key", key.publicKeyBase64());
        return endLine();
    }

    /** The hash of entry {@code sequence} (= from − 1) that a ranged bundle's first entry links to. */
    public BundleWriter anchor(long sequence, byte[] hash) throws IOException {
        if (!ranged) {
            throw new IllegalStateException("only a ranged bundle (from_sequence > 1) carries an anchor");
        }
        advance(Stage.KEYS, Stage.BODY, "the anchor comes once, after the keys and before any checkpoint or entry");
        headHash = hash.clone();
        json.writeStartObject();
        json.writeStringField("kind", BundleLine.ANCHOR);
        json.writeNumberField("sequence", sequence);
        json.writeStringField("hash", Hex.of(hash));
        return endLine();
    }

    public BundleWriter checkpoint(Checkpoint checkpoint) throws IOException {
        requireBody("a checkpoint");
        json.writeStartObject();
        json.writeStringField("kind", BundleLine.CHECKPOINT);
        json.writeStringField("tenant_id", checkpoint.tenantId());
        json.writeNumberField("size", checkpoint.size());
        json.writeStringField("root_hash", Hex.of(checkpoint.rootHash()));
        json.writeStringField("issued_at", checkpoint.issuedAt());
        json.writeStringField("key_id", checkpoint.keyId());
        json.writeBinaryField("signature", checkpoint.signature());
        return endLine();
    }

    public BundleWriter entry(StoredEntry e) throws IOException {
        requireBody("an entry");
        stage = Stage.ENTRIES;
        json.writeStartObject();
        json.writeStringField("kind", BundleLine.ENTRY);
        EntryCodec.writeMembers(json, e);
        entries++;
        headSequence = e.sequence();
        headHash = e.hash();
        return endLine();
    }

    /**
     * The closing line, written once the last entry is out: how many entries the bundle holds and the last one's
     * sequence and hash (the anchor's, or 0 and the genesis hash, when it holds none). A bundle without it was cut short.
     */
    public BundleWriter end() throws IOException {
        requireBody("the closing line");
        stage = Stage.ENDED;
        json.writeStartObject();
        json.writeStringField("kind", BundleLine.END);
        json.writeNumberField("entries", entries);
        json.writeNumberField("head_sequence", headSequence);
        json.writeStringField("head_hash", Hex.of(headHash));
        return endLine();
    }

    @Override
    public void flush() throws IOException {
        json.flush();
    }

    private void requireBody(String what) {
        if (stage == Stage.ENDED) {
            throw new IllegalStateException("nothing follows the closing line");
        }
        if (stage == Stage.START) {
            throw new IllegalStateException(what + " comes after the header");
        }
        if (ranged && stage == Stage.KEYS) {
            throw new IllegalStateException("a ranged bundle's anchor comes before " + what);
        }
        if (stage == Stage.KEYS) {
            stage = Stage.BODY;
        }
    }

    private void advance(Stage expected, Stage next, String rule) {
        if (stage != expected) {
            throw new IllegalStateException(rule);
        }
        stage = next;
    }

    private BundleWriter endLine() throws IOException {
        json.writeEndObject();
        json.writeRaw('\n');
        return this;
    }
}
