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
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A real PostgreSQL 17 server from Maven binaries (io.zonky). Durability is switched on: the embedded default of
 * fsync=off and synchronous_commit=off is not what a ledger may run on, and {@link #durabilitySettings()} proves it.
 * <p>
 * It also acts as the DBA of an external database would: the superuser {@code postgres} (the schema owner, which runs
 * the migrations) connects over loopback without a password, every other login needs its password (scram-sha-256),
 * and {@link #serviceLogin} creates the services' own login roles.
 */
public final class LocalPostgres implements AutoCloseable {

    public static final String DATABASE = "ledger";

    /**
     * The server settings of a write-heavy ledger, durability first ({@code fsync}, {@code synchronous_commit} and
     * {@code full_page_writes} on). The rest spread checkpoints out: an evaluation's payload and metadata alone are 659
     * bytes of WAL (WriteLoadBench's sample) before its key rows and index entries, so sustained batch ingest reaches
     * PostgreSQL's default max_wal_size (1GB) within minutes, and every checkpoint is followed by a burst of full-page
     * images. WAL compression stays off: these binaries have neither
     * lz4 nor zstd, and with pglz WriteLoadBench (d") ran 24,641 rows/s against 31,455 without
     * (one run each, same hour). docs/postgresql.md lists the
     * same settings for an external database, and a test keeps the two equal.
     */
    public static final Map<String, String> SERVER_SETTINGS;

    static {
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("fsync", "on");
        settings.put("synchronous_commit", "on");
        settings.put("full_page_writes", "on");
        settings.put("max_connections", "200");
        settings.put("shared_buffers", "256MB");
        settings.put("wal_buffers", "16MB");
        settings.put("min_wal_size", "512MB");
        settings.put("max_wal_size", "2GB");
        settings.put("checkpoint_timeout", "15min");
        settings.put("checkpoint_completion_target", "0.9");
        settings.put("wal_compression", "off");
        SERVER_SETTINGS = Collections.unmodifiableMap(settings);
    }
    private final EmbeddedPostgres server;

    private LocalPostgres(EmbeddedPostgres server) {
        this.server = server;
    }

    /**
     * @param dataDir kept across starts (for {@code ./ledger up}); null for a throw-away directory (tests)
     * @param port    0 for any free port
     */
    public static LocalPostgres start(Path dataDir, int port) throws IOException {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder();
        SERVER_SETTINGS.forEach(builder::setServerConfig);
        builder.setServerConfig("listen_addresses", "127.0.0.1")
                .setPGStartupWait(Duration.ofSeconds(60));
        if (dataDir != null) {
            Files.createDirectories(dataDir);
            builder.setDataDirectory(dataDir).setCleanDataDirectory(false);
        }
        if (port > 0) {
            builder.setPort(port);
        }
        LocalPostgres pg = new LocalPostgres(builder.start());
        pg.requirePasswords();
        pg.ensureDatabase();
        return pg;
    }

    public int port() {
        return server.getPort();
    }

    /** Superuser JDBC URL of the ledger database (operators and migrations). */
    public String jdbcUrl() {
        return jdbcUrl(DATABASE);
    }

    /** Superuser JDBC URL of another database of this server (see {@link #createDatabase}). */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port() + "/" + database + "?user=postgres";
    }

    /** The same as a libpq URL, for psql and for {@code DATABASE_URL}. */
    public String databaseUrl() {
        return databaseUrl(DATABASE);
    }

    public String databaseUrl(String database) {
        return "postgresql://postgres@127.0.0.1:" + port() + "/" + database;
    }

    /**
     * A new, empty database on this server (tests that need a ledger of their own: chains, the system chain and the
     * publisher's position all start there). Logins are per server, so {@link #serviceLogin}s work in it too.
     */
    public void createDatabase(String database) throws SQLException {
        if (!database.matches("[a-z][a-z0-9_]{0,62}")) {
            throw new IllegalArgumentException("not a plain database name: " + database);
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres")); Statement s = c.createStatement()) {
            s.execute("create database " + database);
        }
    }

    /**
     * Whether at least {@code n} sessions of {@code database} come to wait on a lock within {@code within}: tests hold
     * a row and need its contenders queued behind it before they let go. pg_stat_activity is read on a connection of
     * its own in autocommit, since inside a transaction it answers the snapshot of its first read however long one polls.
     */
    public boolean awaitLockWaiters(String database, int n, Duration within) throws SQLException {
        long deadline = System.nanoTime() + within.toNanos();
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"));
             java.sql.PreparedStatement ps = c.prepareStatement(
                     "select count(*) from pg_stat_activity where wait_event_type = 'Lock' and datname = ?")) {
            ps.setString(1, database);
            while (true) {
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) >= n) {
                        return true;
                    }
                }
                if (System.nanoTime() >= deadline) {
                    return false;
                }
                java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
            }
        }
    }

    /** {@link #createDatabase}, unless it exists already (a local stack started again keeps its databases). */
    public void createDatabaseIfMissing(String database) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres"));
             var ps = c.prepareStatement("select 1 from pg_database where datname = ?")) {
            ps.setString(1, database);
            try (var rs = ps.executeQuery()) {
                if (rs.next()) {
                    return;
                }
            }
        }
        createDatabase(database);
    }

    /**
     * A service's own login, as a DBA creates it: a LOGIN role with this password (set anew on every call), a member
     * of the NOLOGIN group role that the migrations grant to (created here when missing, so the grant can be given
     * before the first migration). Never a superuser, never an owner: it can only use what the group was granted.
     *
     * @param role     the login, e.g. {@code ledger_api}
     * @param group    the group role holding the grants, e.g. {@code ledger_app}
     * @param password its password ([0-9a-zA-Z_-] only)
     */
    public Login serviceLogin(String role, String group, String password) throws SQLException {
        for (String name : new String[] {role, group}) {
            if (!name.matches("[a-z][a-z0-9_]{0,62}")) {
                throw new IllegalArgumentException("not a plain role name: " + name);
            }
        }
        if (!password.matches("[0-9A-Za-z_-]{16,}")) {
            throw new IllegalArgumentException("the password must be at least 16 characters of [0-9A-Za-z_-]");
        }
        try (Connection c = DriverManager.getConnection(jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("do $$ begin"
                    + " if not exists (select from pg_roles where rolname = '" + group + "') then create role " + group + " nologin; end if;"
                    + " if not exists (select from pg_roles where rolname = '" + role + "') then create role " + role + " login; end if;"
                    + " end $$");
            s.execute("alter role " + role + " login inherit nosuperuser nocreatedb nocreaterole noreplication nobypassrls"
                    + " password '" + password + "'");
            s.execute("grant " + group + " to " + role);
        }
        return new Login(role, password, port());
    }

    /** A login of {@link #serviceLogin}; {@link #toString()} hides the password. */
    public record Login(String role, String password, int port) {

        /** libpq form, for {@code DATABASE_URL}. */
        public String databaseUrl() {
            return databaseUrl(DATABASE);
        }

        /** libpq form for another database of the server. */
        public String databaseUrl(String database) {
            return "postgresql://" + role + ":" + password + "@127.0.0.1:" + port + "/" + database;
        }

        public String jdbcUrl() {
            return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE + "?user=" + role + "&password=" + password;
        }

        @Override
        public String toString() {
            return "Login[" + role + "@127.0.0.1:" + port + "/" + DATABASE + ", password=***]";
        }
    }

    /** "fsync=on synchronous_commit=on" as the running server reports them. */
    public String durabilitySettings() throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl()); Statement s = c.createStatement()) {
            return "fsync=" + show(s, "fsync") + " synchronous_commit=" + show(s, "synchronous_commit");
        }
    }

    /** Each of {@link #SERVER_SETTINGS} as the running server reports it. */
    public Map<String, String> serverSettings() throws SQLException {
        Map<String, String> shown = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl()); Statement s = c.createStatement()) {
            for (String setting : SERVER_SETTINGS.keySet()) {
                shown.put(setting, show(s, setting));
            }
        }
        return shown;
    }

    private static String show(Statement s, String setting) throws SQLException {
        try (ResultSet rs = s.executeQuery("show " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /**
     * io.zonky's initdb trusts every login; a service login must prove its password like on a real server. Only the
     * superuser keeps password-less loopback access (the local operator and the local stack's migrations).
     */
    private void requirePasswords() throws IOException {
        String admin = "jdbc:postgresql://127.0.0.1:" + port() + "/postgres?user=postgres";
        try (Connection c = DriverManager.getConnection(admin); Statement s = c.createStatement()) {
            String hbaFile;
            try (ResultSet rs = s.executeQuery("show hba_file")) {
                rs.next();
                hbaFile = rs.getString(1);
            }
            Files.writeString(Path.of(hbaFile), String.join("\n",
                    "# written by dev.ledger.ops.postgres.LocalPostgres: the superuser without a password over loopback,",
                    "# every other login with its password",
                    "local all postgres trust",
                    "host  all postgres 127.0.0.1/32 trust",
                    "host  all postgres ::1/128 trust",
                    "local all all scram-sha-256",
                    "host  all all 127.0.0.1/32 scram-sha-256",
                    "host  all all ::1/128 scram-sha-256") + "\n");
            try (ResultSet rs = s.executeQuery("select pg_reload_conf()")) {
                rs.next();
            }
        } catch (SQLException e) {
            throw new IOException("could not require passwords of the local PostgreSQL: " + e.getMessage(), e);
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
