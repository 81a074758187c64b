package dev.ledger.api.audit;

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
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyInputStream;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** Streams a tenant's stored entries in sequence order straight from the database (a cursor, never the whole chain). */
@Component
public class ChainAudit {

    /** Rows per hashing task: large enough to amortise the hand-off, small enough to keep memory flat. */
    private static final int BATCH = 512;
    private final JdbcTemplate jdbc;
    private final DataSource dataSource;
    private final int hashers = Math.max(1, Runtime.getRuntime().availableProcessors());
    private final ExecutorService hashing = Executors.newFixedThreadPool(hashers, r -> {
        Thread t = new Thread(r, "chain-audit-hash");
        t.setDaemon(true);
        return t;
    });

    public ChainAudit(JdbcTemplate jdbc, DataSource dataSource) {
        this.jdbc = jdbc;
        this.dataSource = dataSource;
    }

    /** An entry, the hash recomputed from its stored bytes, and the RFC 6962 leaf hash of its stored hash. */
    public interface HashedEntrySink {
        void accept(StoredEntry entry, byte[] recomputedHash, byte[] leafHash);
    }

    /** Entries with from &lt;= sequence &lt;= to, in order, each handed to the consumer. */
    @Transactional(readOnly = true)
    public void stream(String tenantId, long from, long to, Consumer<StoredEntry> each) {
        jdbc.query(con -> {
            PreparedStatement ps = con.prepareStatement("select " + EntryReader.COLUMNS + " from domain_event_entry"
                    + " where aggregate_identifier = ? and sequence_number between ? and ? order by sequence_number");
            ps.setString(1, tenantId);
            ps.setLong(2, from - 1);
            ps.setLong(3, to - 1);
            ps.setFetchSize(5000);
            return ps;
        }, (ResultSet rs) -> {
            each.accept(EntryReader.map(rs));
        });
    }

    /**
     * Like {@link #stream}, but for whole chains: the rows come through one binary {@code COPY ... TO STDOUT}, so
     * PostgreSQL produces rows while they are checked instead of waiting for each cursor fetch, and the hashing (entry
     * hash from the stored bytes, Merkle leaf) of each batch runs on other cores while the next batch is read. The sink
     * still sees every entry once, in sequence order, on the calling thread.
     */
    @Transactional(readOnly = true)
    public void streamHashed(String tenantId, long from, long to, HashedEntrySink sink) {
        ArrayDeque<Future<Hashed>> inFlight = new ArrayDeque<>();
        int maxInFlight = 2 * hashers + 1;
        List<StoredEntry> batch = new ArrayList<>(BATCH);
        Connection con = DataSourceUtils.getConnection(dataSource);
        // COPY takes no bind parameters: the tenant id goes in as a quoted literal (standard_conforming_strings is on)
        String sql = "copy (select sequence_number, event_identifier, payload_type, payload_revision, time_stamp, payload,"
                + " meta_data, prev_hash, entry_hash from domain_event_entry where aggregate_identifier = '"
                + tenantId.replace("'", "''") + "' and sequence_number between " + (from - 1) + " and " + (to - 1)
                + " order by sequence_number) to stdout (format binary)";
        try (PGCopyInputStream copy = new PGCopyInputStream(con.unwrap(PGConnection.class), sql);
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
        } catch (SQLException | IOException e) {
            inFlight.forEach(f -> f.cancel(false));
            throw new DataAccessResourceFailureException("could not stream the chain of " + tenantId, e);
        } catch (RuntimeException e) {
            inFlight.forEach(f -> f.cancel(false));
            throw e;
        } finally {
            DataSourceUtils.releaseConnection(con, dataSource);
        }
        while (!inFlight.isEmpty()) {
            drain(inFlight.poll(), sink);
        }
        drain(Hashed.of(batch), sink);
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
            if (fields != 9) {
                throw new IOException("expected 9 columns, got " + fields);
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
            return StoredEntry.of(tenantId, sequence, eventId, type, revision, recordedAt, payload, metadata, prevHash, hash);
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

    /** The latest sequence of the tenant's chain and its stored hash, or sequence 0 for none. */
    public Head head(String tenantId) {
        return jdbc.query("select sequence_number + 1, entry_hash from domain_event_entry where aggregate_identifier = ?"
                        + " order by sequence_number desc limit 1",
                rs -> rs.next() ? new Head(rs.getLong(1), rs.getBytes(2)) : new Head(0, null), tenantId);
    }

    /** The stored hash of one entry, or null. */
    public byte[] hashAt(String tenantId, long sequence) {
        return jdbc.query("select entry_hash from domain_event_entry where aggregate_identifier = ? and sequence_number = ?",
                rs -> rs.next() ? rs.getBytes(1) : null, tenantId, sequence - 1);
    }

    public record Head(long sequence, byte[] hash) {
    }
}
