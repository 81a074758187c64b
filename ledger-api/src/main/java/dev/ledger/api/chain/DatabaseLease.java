package dev.ledger.api.chain;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which one of the ledger-api instances on one database does a job that must run once, not once per instance (publish
 * to a topic, verify every chain on schedule): the one whose session holds PostgreSQL's advisory lock of the job's name,
 * on a connection of its own, for as long as it lives. The others stand by and ask again at most every second, so when
 * the holder stops, or its session dies, another takes over within about a second.
 */
public final class DatabaseLease implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(DatabaseLease.class);
    /** The first half of the advisory lock's key: the ledger's jobs; the second is the job name's hash. */
    static final int LOCK_CLASS = 0x1ed6e7;
    /** How often a standby tries, and how often the holder checks its session is still there. */
    static final long CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final DataSource dataSource;
    private final String job;
    private Connection connection;
    private boolean holding;
    private long checkedAt;

    /** @param job what the lease is for, e.g. {@code publisher:ledger.entries}: one holder per name */
    public DatabaseLease(DataSource dataSource, String job) {
        this.dataSource = dataSource;
        this.job = job;
    }

    /** Whether this instance holds the lease now; asks the database at most every {@link #CHECK_NANOS}. */
    public synchronized boolean held() {
        long now = System.nanoTime();
        if (connection != null && now - checkedAt < CHECK_NANOS) {
            return holding;
        }
        checkedAt = now;
        boolean was = holding;
        try {
            if (connection == null || !connection.isValid(2)) {
                release();
                connection = dataSource.getConnection();
                connection.setAutoCommit(true);
            }
            if (!holding) {
                try (PreparedStatement ps = connection.prepareStatement("select pg_try_advisory_lock(?, hashtext(?))")) {
                    ps.setInt(1, LOCK_CLASS);
                    ps.setString(2, job);
                    try (ResultSet rs = ps.executeQuery()) {
                        rs.next();
                        holding = rs.getBoolean(1);
                    }
                }
            }
        } catch (SQLException e) {
            release();
        }
        if (holding != was) {
            log.info(holding ? "{}: this instance holds the lease" : "{}: another instance holds the lease; standing by", job);
        }
        return holding;
    }

    private void release() {
        holding = false;
        if (connection != null) {
            try {
                connection.close(); // the session's end releases the lock
            } catch (SQLException ignored) {
                // gone already
            }
            connection = null;
        }
    }

    @Override
    public synchronized void close() {
        release();
    }
}
