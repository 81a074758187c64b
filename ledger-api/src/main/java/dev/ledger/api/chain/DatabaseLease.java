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
 * Which of the ledger-api instances on one database publishes to a topic: the one whose session holds PostgreSQL's
 * advisory lock of that topic (on a connection of its own, for as long as it lives). The others stand by and try again
 * every second, so when the publishing instance stops, or its session dies, another takes over within about a second,
 * from the stored position (at least once, as after any restart). Without it every instance published every entry.
 */
final class PublisherLease implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PublisherLease.class);
    /** The first half of the advisory lock's key: the ledger's publishers; the second is the topic's hash. */
    static final int LOCK_CLASS = 0x1ed6e7;
    /** How often a standby tries, and how often the holder checks its session is still there. */
    static final long CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final DataSource dataSource;
    private final String topic;
    private Connection connection;
    private boolean holding;
    private long checkedAt;

    PublisherLease(DataSource dataSource, String topic) {
        this.dataSource = dataSource;
        this.topic = topic;
    }

    /** Whether this instance publishes now; asks the database at most every {@link #CHECK_NANOS}. */
    synchronized boolean held() {
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
                    ps.setString(2, topic);
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
            log.info(holding ? "publication: this instance publishes to {}" : "publication: another instance publishes to {}; standing by",
                    topic);
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
