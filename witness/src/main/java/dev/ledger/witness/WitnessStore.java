package dev.ledger.witness;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.Sha256;
import dev.ledger.core.config.DatabaseUrl;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.Optional;
import org.flywaydb.core.Flyway;

/**
 * The witness's own tables ({@code db/witness}): the latest cosigned checkpoint per origin, and the refused
 * submissions kept as evidence. {@link #advance} is the atomic check-and-save the specification demands.
 */
final class WitnessStore implements AutoCloseable {

    /** The latest checkpoint cosigned for an origin; size 0 and the empty root when none was. */
    record Latest(long size, byte[] rootHash) {
    }

    /** What {@link #advance}'s caller decided under the row lock: move to a new checkpoint, or leave it. */
    sealed interface Decision permits Advance, Keep {
    }

    /** Store this checkpoint as the latest one (the note, the log's verified signature lines and the cosignature). */
    record Advance(long size, byte[] rootHash, String note, String logSignatures, String cosignature, Instant at)
            implements Decision {
    }

    /** Change nothing (the submission is refused). */
    record Keep() implements Decision {
    }

    /** Decides under the lock of the origin's row. */
    interface Decider {
        Decision decide(Latest latest);
    }

    /** The cosigned checkpoint of an origin, as the monitor retrieval endpoint serves it. */
    record Cosigned(String origin, long size, String text, String logSignatures, String cosignature) {
        /** The checkpoint note: its text, the log signatures the witness verified and the witness's cosignature. */
        String note() {
            return text + "\n" + logSignatures + cosignature;
        }
    }

    private final HikariDataSource dataSource;

    private WitnessStore(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Opens a small pool and brings the witness's tables up to date (as the owner when a migration login is set). */
    static WitnessStore open(WitnessConfig config) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(config.jdbcUrl());
        if (config.dbUser() != null) {
            hc.setUsername(config.dbUser());
        }
        if (config.dbPassword() != null) {
            hc.setPassword(config.dbPassword());
        }
        hc.setPoolName("witness");
        hc.setMaximumPoolSize(WitnessServer.THREADS);
        hc.setConnectionTimeout(5_000);
        HikariDataSource ds = new HikariDataSource(hc);
        try {
            DatabaseUrl owner = config.migrationDatabase();
            var flyway = owner == null ? Flyway.configure().dataSource(ds)
                    : Flyway.configure().dataSource(owner.jdbcUrl(), owner.user(), owner.password());
            flyway.locations("classpath:db/witness").table("flyway_witness_history")
                    .baselineOnMigrate(true).baselineVersion("0").load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new WitnessStore(ds);
    }

    /**
     * In one transaction: creates the origin's row at size 0 if it has none, locks it ({@code select ... for update}),
     * hands the latest checkpoint to {@code decider}, stores what it decided, and commits. A concurrent submission for
     * the same origin waits for the lock and then sees this one's result, so two submissions from the same old size
     * cannot both advance (the rollback race of c2sp.org/tlog-witness). Returns only once committed.
     */
    Decision advance(String origin, Decider decider) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                // no conflict target: origin and origin_hash are both unique, and a racing first insert of the same
                // origin may meet the other's row on either index; with "(origin)" a hit on origin_hash alone is an error
                try (PreparedStatement ps = c.prepareStatement("insert into witness_checkpoint (origin, origin_hash, "
                        + "size, root_hash) values (?, ?, 0, ?) on conflict do nothing")) {
                    ps.setString(1, origin);
                    ps.setBytes(2, Sha256.of(origin.getBytes(StandardCharsets.UTF_8)));
                    ps.setBytes(3, MerkleTree.emptyRoot());
                    ps.executeUpdate();
                }
                Latest latest;
                try (PreparedStatement ps = c.prepareStatement(
                        "select size, root_hash from witness_checkpoint where origin = ? for update")) {
                    ps.setString(1, origin);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        latest = new Latest(rs.getLong(1), rs.getBytes(2));
                    }
                }
                Decision decision = decider.decide(latest);
                if (decision instanceof Advance a) {
                    try (PreparedStatement ps = c.prepareStatement("update witness_checkpoint set size = ?, root_hash = ?, "
                            + "note = ?, log_signatures = ?, cosignature = ?, cosigned_at = ? where origin = ?")) {
                        ps.setLong(1, a.size());
                        ps.setBytes(2, a.rootHash());
                        ps.setString(3, a.note());
                        ps.setString(4, a.logSignatures());
                        ps.setString(5, a.cosignature());
                        ps.setTimestamp(6, Timestamp.from(a.at()));
                        ps.setString(7, origin);
                        ps.executeUpdate();
                    }
                    c.commit();
                } else {
                    c.rollback();
                }
                return decision;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** Keeps a refused submission whose log signature verified (evidence of a misbehaving log). */
    void refusal(String origin, long size, byte[] rootHash, long oldSize, String reason, String note, Instant at) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("insert into witness_refusal "
                + "(origin, size, root_hash, old_size, reason, note, at) values (?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, origin);
            ps.setLong(2, size);
            ps.setBytes(3, rootHash);
            ps.setLong(4, oldSize);
            ps.setString(5, reason);
            ps.setString(6, note);
            ps.setTimestamp(7, Timestamp.from(at));
            ps.executeUpdate();
        }
    }

    /** The latest checkpoint cosigned for the origin whose SHA-256 is {@code originHash}, if any. */
    Optional<Cosigned> cosigned(byte[] originHash) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("select origin, size, note, "
                + "log_signatures, cosignature from witness_checkpoint where origin_hash = ? and cosignature is not null")) {
            ps.setBytes(1, originHash);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                String note = rs.getString(3);
                String text = note.substring(0, note.lastIndexOf("\n\n") + 1);
                return Optional.of(new Cosigned(rs.getString(1), rs.getLong(2), text, rs.getString(4), rs.getString(5)));
            }
        }
    }

    boolean reachable() {
        try (Connection c = dataSource.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    javax.sql.DataSource dataSource() {
        return dataSource;
    }

    @Override
    public void close() {
        dataSource.close();
    }
}
