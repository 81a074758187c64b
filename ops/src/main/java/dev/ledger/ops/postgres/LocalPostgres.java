package dev.ledger.ops.postgres;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

/**
 * A real PostgreSQL 17 server from Maven binaries (io.zonky). Durability is switched on: the embedded default of
 * fsync=off and synchronous_commit=off is not what a ledger may run on, and {@link #durabilitySettings()} proves it.
 */
public final class LocalPostgres implements AutoCloseable {

    public static final String DATABASE = "ledger";
    private final EmbeddedPostgres server;

    private LocalPostgres(EmbeddedPostgres server) {
        this.server = server;
    }

    /**
     * @param dataDir kept across starts (for {@code ./ledger up}); null for a throw-away directory (tests)
     * @param port    0 for any free port
     */
    public static LocalPostgres start(Path dataDir, int port) throws IOException {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setServerConfig("fsync", "on")
                .setServerConfig("synchronous_commit", "on")
                .setServerConfig("full_page_writes", "on")
                .setServerConfig("max_connections", "200")
                .setServerConfig("shared_buffers", "256MB")
                .setServerConfig("wal_buffers", "16MB")
                .setServerConfig("max_wal_size", "2GB")
                .setServerConfig("listen_addresses", "127.0.0.1")
                .setPGStartupWait(Duration.ofSeconds(60));
        if (dataDir != null) {
            Files.createDirectories(dataDir);
            builder.setDataDirectory(dataDir).setCleanDataDirectory(false);
        }
        if (port > 0) {
            builder.setPort(port);
        }
        LocalPostgres pg = new LocalPostgres(builder.start());
        pg.ensureDatabase();
        return pg;
    }

    public int port() {
        return server.getPort();
    }

    /** Superuser JDBC URL of the ledger database (operators and migrations). */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + DATABASE + "?user=postgres";
    }

    /** The same as a libpq URL, for psql and for {@code DATABASE_URL}. */
    public String databaseUrl() {
        return "postgresql://postgres@127.0.0.1:" + port() + "/" + DATABASE;
    }

    /** "fsync=on synchronous_commit=on" as the running server reports them. */
    public String durabilitySettings() throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl()); Statement s = c.createStatement()) {
            return "fsync=" + show(s, "fsync") + " synchronous_commit=" + show(s, "synchronous_commit");
        }
    }

    private static String show(Statement s, String setting) throws SQLException {
        try (ResultSet rs = s.executeQuery("show " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private void ensureDatabase() throws IOException {
        String admin = "jdbc:postgresql://127.0.0.1:" + port() + "/postgres?user=postgres";
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery("select 1 from pg_database where datname = '" + DATABASE + "'")) {
                if (rs.next()) {
                    return;
                }
            }
            s.execute("create database " + DATABASE);
        } catch (SQLException e) {
            throw new IOException("could not create database " + DATABASE + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
