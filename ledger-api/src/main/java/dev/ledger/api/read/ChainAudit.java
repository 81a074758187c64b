package dev.ledger.api.read;

import dev.ledger.api.chain.EntryReader;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.StoredEntry;
import jakarta.annotation.PreDestroy;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import javax.sql.DataSource;
import dev.ledger.core.chain.Checkpoint;
import org.postgresql.copy.PGCopyInputStream;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.Utils;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.stereotype.Component;

/**
 * Reads a tenant's stored entries in sequence order straight from the database (a cursor or a COPY stream, never the
 * whole chain), on the read pool: a scan holds one read connection, never one that appends need. A {@link Session}
 * is one read-only REPEATABLE READ transaction, so the head, the checkpoints and the entries a verification or an
 * export reads all come from one snapshot.
 */
@Component
public class ChainAudit {

    /** Rows per hashing task: large enough to amortise the hand-off, small enough to keep memory flat. */
    private static final int BATCH = 512;
    private static final String CHECKPOINT_COLUMNS = "tenant_id, size, root_hash, issued_at, key_id, signature";
    private final DataSource reads;
    private final int fetchSize;
    private final int hashers = Math.max(1, Runtime.getRuntime().availableProcessors());
    private final ExecutorService hashing = Executors.newFixedThreadPool(hashers, r -> {
        Thread t = new Thread(r, "chain-audit-hash");
        t.setDaemon(true);
        return t;
    });

    public ChainAudit(@Qualifier(ReadPool.NAME) DataSource reads, ReadProperties props) {
        this.reads = reads;
        this.fetchSize = props.fetchSize();
    }

    /** An entry, the hash recomputed from its stored bytes, and the RFC 6962 leaf hash of its stored hash. */
    public interface HashedEntrySink {
        void accept(StoredEntry entry, byte[] recomputedHash, byte[] leafHash);
    }

    /** A read-only snapshot on a read connection; close it as soon as the scan ends. */
    public Session open() {
        try {
            // the read pool hands out read-only REPEATABLE READ connections with autocommit off (ReadPool)
            return new Session(reads.getConnection());
        } catch (SQLException e) {
            throw new DataAccessResourceFailureException("no read connection", e);
        }
    }

    /** Entries with from &lt;= sequence &lt;= to, in order, each handed to the consumer (its own snapshot). */
    public void stream(String tenantId, long from, long to, Consumer<StoredEntry> each) {
        try (Session session = open()) {
            session.stream(tenantId, from, to, each);
        }
    }

    /** The latest sequence of the tenant's chain and its stored hash, or sequence 0 for none. */
    public Head head(String tenantId) {
        try (Session session = open()) {
            return session.head(tenantId);
        }
    }

    /** The stored hash of one entry, or null. */
    public byte[] hashAt(String tenantId, long sequence) {
        try (Session session = open()) {
            return session.hashAt(tenantId, sequence);
        }
    }

    /** {@code copy (select ...) to stdout}: COPY takes no bind parameters, so the tenant id is a literal quoted by the driver. */
    static String copyStatement(String tenantId, long from, long to, boolean standardConformingStrings) throws SQLException {
        StringBuilder sql = new StringBuilder("copy (select sequence_number, event_identifier, payload_type, payload_revision,"
                + " time_stamp, payload, meta_data, prev_hash, entry_hash, " + EntryReader.RETAINED_DIGEST
                + " from domain_event_entry where aggregate_identifier = '");
        Utils.escapeLiteral(sql, tenantId, standardConformingStrings);
        return sql.append("' and sequence_number between ").append(from - 1).append(" and ").append(to - 1)
                .append(" order by sequence_number) to stdout (format binary)").toString();
    }

    public final class Session implements AutoCloseable {

        private final Connection con;

        private Session(Connection con) {
            this.con = con;
        }

        public Head head(String tenantId) {
            return query("select sequence_number + 1, entry_hash from domain_event_entry where aggregate_identifier = ?"
                    + " order by sequence_number desc limit 1", ps -> ps.setString(1, tenantId),
                    rs -> rs.next() ? new Head(rs.getLong(1), rs.getBytes(2)) : new Head(0, null));
        }

        public byte[] hashAt(String tenantId, long sequence) {
            return query("select entry_hash from domain_event_entry where aggregate_identifier = ? and sequence_number = ?", ps -> {
                ps.setString(1, tenantId);
                ps.setLong(2, sequence - 1);
            }, rs -> rs.next() ? rs.getBytes(1) : null);
        }

        /** Up to {@code limit} checkpoints with afterSize &lt; size &lt;= maxSize, smallest first. */
        public List<Checkpoint> checkpoints(String tenantId, long afterSize, long maxSize, int limit) {
            return query("select " + CHECKPOINT_COLUMNS + " from checkpoint where tenant_id = ? and size > ? and size <= ?"
                    + " order by size limit ?", ps -> {
                ps.setString(1, tenantId);
                ps.setLong(2, afterSize);
                ps.setLong(3, maxSize);
                ps.setInt(4, limit);
            }, rs -> {
                List<Checkpoint> out = new ArrayList<>();
                while (rs.next()) {
                    out.add(new Checkpoint(rs.getString(1), rs.getLong(2), rs.getBytes(3), rs.getString(4), rs.getString(5),
                            rs.getBytes(6)));
                }
                return out;
            });
        }

        /** Every checkpoint with size &lt;= maxSize, smallest first, a page at a time (never all in memory). */
        public void eachCheckpoint(String tenantId, long maxSize, Consumer<Checkpoint> each) {
            long after = -1;
            while (true) {
                List<Checkpoint> page = checkpoints(tenantId, after, maxSize, 500);
                page.forEach(each);
                if (page.size() < 500) {
                    return;
                }
                after = page.get(page.size() - 1).size();
            }
        }

        /**
         * At most {@code limit} entries with from &lt;= sequence &lt;= to, in order, of the given types (all when empty)
         * recorded in [{@code recordedFrom}, {@code recordedTo}) (either bound may be null). The stored time is read as
         * an instant (its text has a fraction of varying length, so it does not sort as text).
         */
        public void filtered(String tenantId, long from, long to, List<String> types, java.time.Instant recordedFrom,
                             java.time.Instant recordedTo, int limit, Consumer<StoredEntry> each) {
            StringBuilder sql = new StringBuilder("select " + EntryReader.COLUMNS + " from domain_event_entry"
                    + " where aggregate_identifier = ? and sequence_number between ? and ?");
            if (!types.isEmpty()) {
                sql.append(" and payload_type = any (?)");
            }
            if (recordedFrom != null) {
                sql.append(" and time_stamp::timestamptz >= ?");
            }
            if (recordedTo != null) {
                sql.append(" and time_stamp::timestamptz < ?");
            }
            sql.append(" order by sequence_number limit ?");
            try (PreparedStatement ps = con.prepareStatement(sql.toString())) {
                int i = 1;
                ps.setString(i++, tenantId);
                ps.setLong(i++, from - 1);
                ps.setLong(i++, to - 1);
                if (!types.isEmpty()) {
                    ps.setArray(i++, con.createArrayOf("varchar", types.toArray()));
                }
                if (recordedFrom != null) {
                    ps.setObject(i++, java.time.OffsetDateTime.ofInstant(recordedFrom, java.time.ZoneOffset.UTC));
                }
                if (recordedTo != null) {
                    ps.setObject(i++, java.time.OffsetDateTime.ofInstant(recordedTo, java.time.ZoneOffset.UTC));
                }
                ps.setInt(i, limit);
                ps.setFetchSize(Math.min(limit, fetchSize));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        each.accept(EntryReader.map(rs));
                    }
                }
            } catch (SQLException e) {
                throw new DataAccessResourceFailureException("could not read the chain of " + tenantId, e);
            }
        }

        /** Entries with from &lt;= sequence &lt;= to, in order: a server-side cursor, {@code fetchSize} rows a trip. */
        public void stream(String tenantId, long from, long to, Consumer<StoredEntry> each) {
            try (PreparedStatement ps = con.prepareStatement("select " + EntryReader.COLUMNS + " from domain_event_entry"
                    + " where aggregate_identifier = ? and sequence_number between ? and ? order by sequence_number")) {
                ps.setString(1, tenantId);
                ps.setLong(2, from - 1);
                ps.setLong(3, to - 1);
                ps.setFetchSize(fetchSize);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        each.accept(EntryReader.map(rs));
                    }
                }
            } catch (SQLException e) {
                throw new DataAccessResourceFailureException("could not stream the chain of " + tenantId, e);
            }
        }

        /**
         * Like {@link #stream}, but for whole chains: the rows come through one binary {@code COPY ... TO STDOUT}, so
         * PostgreSQL produces rows while they are checked instead of waiting for each cursor fetch, and the hashing
         * (entry hash from the stored bytes, Merkle leaf) of each batch runs on other cores while the next batch is
         * read. The sink still sees every entry once, in sequence order, on the calling thread.
         */
        public void streamHashed(String tenantId, long from, long to, HashedEntrySink sink) {
            ArrayDeque<Future<Hashed>> inFlight = new ArrayDeque<>();
            int maxInFlight = 2 * hashers + 1;
            List<StoredEntry> batch = new ArrayList<>(BATCH);
            try {
                BaseConnection pg = con.unwrap(BaseConnection.class);
                String sql = copyStatement(tenantId, from, to, pg.getStandardConformingStrings());
                try (PGCopyInputStream copy = new PGCopyInputStream(pg, sql);
                     DataInputStream in = new DataInputStream(new BufferedInputStream(copy, 1 << 16))) {
                    CopyRows rows = new CopyRows(in, tenantId);
                    StoredEntry entry;
                    while ((entry = rows.next()) != null) {
                        batch.add(entry);
                        if (batch.size() == BATCH) {
                            List<StoredEntry> full = batch;
                            inFlight.add(hashing.submit(() -> Hashed.of(full)));
                            batch = new ArrayList<>(BATCH);
                            if (inFlight.size() >= maxInFlight) {
                                drain(inFlight.poll(), sink);
                            }
                        }
                    }
                }
            } catch (SQLException | IOException e) {
                inFlight.forEach(f -> f.cancel(false));
                throw new DataAccessResourceFailureException("could not stream the chain of " + tenantId, e);
            } catch (RuntimeException e) {
                inFlight.forEach(f -> f.cancel(false));
                throw e;
            }
            while (!inFlight.isEmpty()) {
                drain(inFlight.poll(), sink);
            }
            drain(Hashed.of(batch), sink);
        }

        private interface Binder {
            void bind(PreparedStatement ps) throws SQLException;
        }

        private interface Reader<T> {
            T read(ResultSet rs) throws SQLException;
        }

        private <T> T query(String sql, Binder binder, Reader<T> reader) {
            try (PreparedStatement ps = con.prepareStatement(sql)) {
                binder.bind(ps);
                try (ResultSet rs = ps.executeQuery()) {
                    return reader.read(rs);
                }
            } catch (SQLException e) {
                throw new DataAccessResourceFailureException("could not read the chain", e);
            }
        }

        /** Ends the snapshot (nothing was written) and gives the connection back to the read pool. */
        @Override
        public void close() {
            try {
                try {
                    con.rollback();
                } finally {
                    con.close();
                }
            } catch (SQLException e) {
                throw new DataAccessResourceFailureException("could not end a read", e);
            }
        }
    }

    /** PostgreSQL's binary COPY format: a header, then per row a field count and length-prefixed fields; -1 ends. */
    private static final class CopyRows {
        private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xff, '\r', '\n', 0};
        private final DataInputStream in;
        private final String tenantId;

        CopyRows(DataInputStream in, String tenantId) throws IOException {
            this.in = in;
            this.tenantId = tenantId;
            byte[] signature = new byte[SIGNATURE.length];
            in.readFully(signature);
            if (!Arrays.equals(signature, SIGNATURE)) {
                throw new IOException("not a binary COPY stream");
            }
            in.readInt(); // flags
            in.skipNBytes(in.readInt()); // header extension
        }

        StoredEntry next() throws IOException {
            short fields = in.readShort();
            if (fields == -1) {
                return null;
            }
            if (fields != 10) {
                throw new IOException("expected 10 columns, got " + fields);
            }
            if (in.readInt() != 8) {
                throw new IOException("sequence_number is not an int8");
            }
            long sequence = in.readLong() + 1;
            String eventId = text();
            String type = text();
            String revision = text();
            String recordedAt = text();
            byte[] payload = bytes();
            byte[] metadata = bytes();
            byte[] prevHash = bytes();
            byte[] hash = bytes();
            byte[] retainedDigest = bytes();
            return EntryReader.entry(tenantId, sequence, eventId, type, revision, recordedAt, payload, metadata, prevHash, hash,
                    retainedDigest);
        }

        private byte[] bytes() throws IOException {
            int length = in.readInt();
            if (length < 0) {
                return null;
            }
            byte[] b = new byte[length];
            in.readFully(b);
            return b;
        }

        private String text() throws IOException {
            byte[] b = bytes();
            return b == null ? null : new String(b, StandardCharsets.UTF_8);
        }
    }

    private static void drain(Future<Hashed> future, HashedEntrySink sink) {
        try {
            drain(future.get(), sink);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("verification interrupted", e);
        } catch (ExecutionException e) {
            throw new CompletionException(e.getCause());
        }
    }

    private static void drain(Hashed hashed, HashedEntrySink sink) {
        for (int i = 0; i < hashed.entries.size(); i++) {
            sink.accept(hashed.entries.get(i), hashed.recomputed[i], hashed.leaves[i]);
        }
    }

    private record Hashed(List<StoredEntry> entries, byte[][] recomputed, byte[][] leaves) {
        static Hashed of(List<StoredEntry> entries) {
            byte[][] recomputed = new byte[entries.size()][];
            byte[][] leaves = new byte[entries.size()][];
            for (int i = 0; i < recomputed.length; i++) {
                StoredEntry e = entries.get(i);
                recomputed[i] = e.recomputeHash();
                leaves[i] = MerkleTree.leafHash(e.hash() == null ? new byte[0] : e.hash());
            }
            return new Hashed(entries, recomputed, leaves);
        }
    }

    @PreDestroy
    void stop() {
        hashing.shutdownNow();
    }

    public record Head(long sequence, byte[] hash) {
    }
}
