package dev.ledger.ops.backup;

import dev.ledger.core.config.DatabaseUrl;
import dev.ledger.ops.postgres.LocalPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code ./ledger backup FILE} and {@code ./ledger restore [--replace] FILE}: the whole ledger database (chains,
 * checkpoints and their keys, tenants and key hashes, idempotency records, projections and the workers' state) as one
 * {@code pg_dump} custom-format archive, and back.
 * <p>
 * Which database: the owner's URL, {@code LEDGER_MIGRATION_DATABASE_URL} when set, else {@code DATABASE_URL}; with
 * neither, the local stack's ({@code .ledger/pg}): through the running stack, or started here for the command when the
 * stack is down. The client programs come from {@code LEDGER_PG_BIN} (the script finds or fetches a PostgreSQL 17
 * client); they must be at least the server's major version. The password goes to them in {@code PGPASSWORD}, never
 * on a command line, and no message repeats it.
 * <p>
 * A backup is one consistent snapshot (pg_dump's repeatable-read transaction), safe while the services write; it is
 * written beside FILE and renamed into place only once pg_restore can read it back. A restore refuses a database that
 * already holds a ledger unless told {@code --replace}, refuses while the local stack runs (the services must not write
 * during it), creates the product's group roles the archive grants to when they are missing, and restores in one
 * transaction: it lands whole or not at all.
 */
public final class DatabaseBackup {

    /** The NOLOGIN group roles the migrations grant to; the services' logins are members (README, External PostgreSQL). */
    static final List<String> GROUP_ROLES = List.of("ledger_app", "ledger_auditor", "meter_reader_app", "invoice_worker_app");

    /** Where the archive goes to or comes from, and how to reach the server. */
    record Target(String host, int port, String database, String user, String password, String sslmode) {
        String conninfo() {
            // libpq takes an IPv6 address without the URL's brackets
            String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
            StringBuilder s = new StringBuilder("host=").append(bare).append(" port=").append(port)
                    .append(" dbname=").append(quote(database));
            if (user != null) {
                s.append(" user=").append(quote(user));
            }
            if (sslmode != null) {
                s.append(" sslmode=").append(quote(sslmode));
            }
            return s.toString();
        }

        String jdbcUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database + (sslmode == null ? "" : "?sslmode=" + sslmode);
        }

        @Override
        public String toString() {
            return (user == null ? "" : user + "@") + host + ":" + port + "/" + database;
        }

        private static String quote(String v) {
            return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
        }
    }

    /** A refusal: its message is all the operator sees (exit 2), no stack trace. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message);
        }
    }

    private final Path home;
    private final Path pgBin;
    private final Map<String, String> env;

    DatabaseBackup(Path home, Path pgBin, Map<String, String> env) {
        this.home = home;
        this.pgBin = pgBin;
        this.env = env;
    }

    /** {@code backup FILE} or {@code restore [--replace] FILE}; exit 0 done, 2 refused, 1 failed. */
    public static int run(Path home, String[] args) {
        String bin = System.getenv("LEDGER_PG_BIN");
        if (bin == null || bin.isBlank()) {
            System.err.println("ledger: LEDGER_PG_BIN is not set (./ledger backup and ./ledger restore find the PostgreSQL client)");
            return 2;
        }
        DatabaseBackup b = new DatabaseBackup(home, Path.of(bin), System.getenv());
        try {
            if (args.length == 2 && args[0].equals("backup")) {
                b.backup(Path.of(args[1]));
                return 0;
            }
            boolean replace = args.length == 3 && args[1].equals("--replace");
            if (args[0].equals("restore") && (args.length == 2 || replace)) {
                b.restore(Path.of(args[args.length - 1]), replace);
                return 0;
            }
            System.err.println("ledger: usage: ./ledger backup FILE | ./ledger restore [--replace] FILE");
            return 2;
        } catch (Refused e) {
            System.err.println("ledger: " + e.getMessage());
            return 2;
        } catch (Exception e) {
            System.err.println("ledger: " + args[0] + " failed: " + e.getMessage());
            return 1;
        }
    }

    void backup(Path file) throws Exception {
        try (Server server = server(false)) {
            Target t = server.target();
            Summary before = summary(t);
            if (before == null) {
                throw new Refused("the database " + t + " holds no ledger (no domain_event_entry table): nothing to back up");
            }
            requireClientFor(t);
            Path partial = file.toAbsolutePath().resolveSibling(file.getFileName() + ".partial");
            Files.deleteIfExists(partial);
            long t0 = System.nanoTime();
            exec(t, List.of(tool("pg_dump"), "--format=custom", "--no-password", "--file=" + partial, "--dbname=" + t.conninfo()));
            List<String> listing = exec(t, List.of(tool("pg_restore"), "--list", partial.toString()));
            long tables = listing.stream().filter(l -> l.contains(" TABLE DATA ")).count();
            restrict(partial);
            try {
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            }
            System.out.printf("ledger: backed up %s to %s in %.1f s: %,d bytes, %d tables; %s%n", t, file,
                    (System.nanoTime() - t0) / 1e9, Files.size(file), tables, before);
            System.out.println("ledger: restore with ./ledger restore " + file + " (into an empty database; see README, Backup and restore)");
        }
    }

    void restore(Path file, boolean replace) throws Exception {
        if (!Files.isReadable(file)) {
            throw new Refused("no readable backup at " + file);
        }
        try (Server server = server(true)) {
            Target t = server.target();
            requireClientFor(t);
            // read the whole archive's table of contents first: a truncated or foreign file stops here, nothing touched
            List<String> listing;
            try {
                listing = exec(t, List.of(tool("pg_restore"), "--list", file.toString()));
            } catch (IOException e) {
                throw new Refused(file + " is not a readable pg_dump custom-format archive: " + e.getMessage());
            }
            if (listing.stream().noneMatch(l -> l.contains(" TABLE DATA ") && l.contains(" domain_event_entry "))) {
                throw new Refused(file + " is not a ledger backup (it holds no domain_event_entry table)");
            }
            Summary existing = summary(t);
            if (existing != null && !replace) {
                throw new Refused("the database " + t + " already holds a ledger (" + existing + "); restore into an empty "
                        + "database, or pass --replace to drop that one first (./ledger restore --replace " + file + ")");
            }
            createGroupRoles(t);
            long t0 = System.nanoTime();
            List<String> cmd = new ArrayList<>(List.of(tool("pg_restore"), "--no-password", "--single-transaction",
                    "--exit-on-error", "--no-owner", "--dbname=" + t.conninfo()));
            if (existing != null) {
                cmd.addAll(List.of("--clean", "--if-exists"));
            }
            cmd.add(file.toString());
            exec(t, cmd);
            try (Connection c = connect(t); Statement s = c.createStatement()) {
                s.execute("analyze"); // the planner's statistics are not in the archive
            }
            System.out.printf("ledger: restored %s into %s in %.1f s: %s%n", file, t, (System.nanoTime() - t0) / 1e9, summary(t));
            System.out.println("ledger: start the services (./ledger up) and verify every chain (README, Backup and restore)");
        }
    }

    /** What a ledger database holds, printed after a backup and after a restore so the two can be compared. */
    record Summary(long entries, long tenants, long lastGlobalIndex, long checkpoints) {
        @Override
        public String toString() {
            return String.format("%,d entries in %,d chains, last global index %d, %,d checkpoints", entries, tenants, lastGlobalIndex, checkpoints);
        }
    }

    /** The ledger's summary, or null when the database holds no ledger yet. */
    Summary summary(Target t) throws SQLException {
        try (Connection c = connect(t); Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("select to_regclass('domain_event_entry') is not null, to_regclass('checkpoint') is not null")) {
                r.next();
                if (!r.getBoolean(1)) {
                    return null;
                }
                boolean checkpoints = r.getBoolean(2);
                try (ResultSet q = s.executeQuery("select count(*), count(distinct aggregate_identifier), coalesce(max(global_index), 0)"
                        + (checkpoints ? ", (select count(*) from checkpoint)" : ", 0") + " from domain_event_entry")) {
                    q.next();
                    return new Summary(q.getLong(1), q.getLong(2), q.getLong(3), q.getLong(4));
                }
            }
        }
    }

    private void createGroupRoles(Target t) throws SQLException {
        try (Connection c = connect(t); Statement s = c.createStatement()) {
            for (String role : GROUP_ROLES) {
                try (ResultSet r = s.executeQuery("select 1 from pg_roles where rolname = '" + role + "'")) {
                    if (r.next()) {
                        continue;
                    }
                }
                try {
                    s.execute("create role " + role + " nologin");
                    System.out.println("ledger: created the group role " + role + " (the archive grants to it)");
                } catch (SQLException e) {
                    throw new Refused("the group role " + role + " is missing and " + t.user() + " cannot create it ("
                            + e.getSQLState() + "); create it first: create role " + role + " nologin");
                }
            }
        }
    }

    private void requireClientFor(Target t) throws Exception {
        int server;
        try (Connection c = connect(t); Statement s = c.createStatement(); ResultSet r = s.executeQuery("show server_version_num")) {
            r.next();
            server = Integer.parseInt(r.getString(1)) / 10_000;
        }
        String version = String.join(" ", exec(t, List.of(tool("pg_dump"), "--version")));
        Matcher m = Pattern.compile("\\(PostgreSQL\\) (\\d+)").matcher(version);
        int client = m.find() ? Integer.parseInt(m.group(1)) : 0;
        if (client < server) {
            throw new Refused("the server is PostgreSQL " + server + " but " + tool("pg_dump") + " is " + (client == 0 ? "unknown" : client)
                    + "; set LEDGER_PG_BIN to the bin folder of a PostgreSQL " + server + "+ client");
        }
    }

    private String tool(String name) {
        return pgBin.resolve(name).toString();
    }

    /** Runs a client program with the password in its environment; its output, or an IOException with its errors. */
    private List<String> exec(Target t, List<String> command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(false);
        pb.environment().keySet().removeIf(k -> k.startsWith("PG")); // only what is given here decides the connection
        if (t.password() != null) {
            pb.environment().put("PGPASSWORD", t.password());
        }
        pb.environment().put("PGAPPNAME", "ledger-backup");
        pb.environment().put("PGCONNECT_TIMEOUT", "10");
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        String out = read(p.getInputStream());
        int rc = p.waitFor();
        if (rc != 0) {
            String errors = err.join().strip();
            if (t.password() != null && !t.password().isEmpty()) {
                errors = errors.replace(t.password(), "***");
            }
            throw new IOException(Path.of(command.get(0)).getFileName() + " exited " + rc + (errors.isEmpty() ? "" : ": " + errors));
        }
        return out.lines().toList();
    }

    private static String read(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Connection connect(Target t) throws SQLException {
        Properties p = new Properties();
        if (t.user() != null) {
            p.setProperty("user", t.user());
        }
        if (t.password() != null) {
            p.setProperty("password", t.password());
        }
        p.setProperty("ApplicationName", "ledger-backup");
        return DriverManager.getConnection(t.jdbcUrl(), p);
    }

    private static void restrict(Path file) {
        try {
            Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: its own permissions stand
        }
    }

    /** The server a command works on, and whether this command started it (then closing it stops it). */
    private record Server(Target target, LocalPostgres started) implements AutoCloseable {
        @Override
        public void close() {
            if (started != null) {
                try {
                    started.close();
                } catch (Exception e) {
                    System.err.println("ledger: could not stop the local PostgreSQL: " + e.getMessage());
                }
            }
        }
    }

    private Server server(boolean restoring) throws IOException {
        String variable = present("LEDGER_MIGRATION_DATABASE_URL") ? "LEDGER_MIGRATION_DATABASE_URL" : present("DATABASE_URL") ? "DATABASE_URL" : null;
        if (variable != null) {
            return new Server(target(variable, env.get(variable)), null);
        }
        Path state = home.resolve(".ledger");
        if (stackRunning(state)) {
            if (restoring) {
                throw new Refused("the local stack is running (pid " + Files.readString(state.resolve("stack.pid")).strip()
                        + "); stop it first (./ledger down, or Ctrl-C): no service may write during a restore");
            }
            for (String line : Files.readAllLines(state.resolve("stack.env"))) {
                if (line.startsWith("DATABASE_URL=")) {
                    return new Server(target("the local stack's DATABASE_URL", line.substring("DATABASE_URL=".length())), null);
                }
            }
            throw new Refused("the local stack is running but " + state.resolve("stack.env") + " names no DATABASE_URL");
        }
        Path data = state.resolve("pg");
        if (!restoring && !Files.isDirectory(data.resolve("base"))) {
            throw new Refused("no local database in " + data + " and neither LEDGER_MIGRATION_DATABASE_URL nor DATABASE_URL is set");
        }
        String port = env.getOrDefault("LEDGER_PG_PORT", "15432");
        LocalPostgres pg = LocalPostgres.start(data, Integer.parseInt(port));
        System.out.println("ledger: started the local PostgreSQL in " + data + " for this command");
        return new Server(target("the local database", pg.databaseUrl()), pg);
    }

    private boolean present(String variable) {
        String v = env.get(variable);
        return v != null && !v.isBlank();
    }

    private static boolean stackRunning(Path state) throws IOException {
        Path pid = state.resolve("stack.pid");
        if (!Files.exists(pid)) {
            return false;
        }
        try {
            return ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).map(ProcessHandle::isAlive).orElse(false);
        } catch (NumberFormatException e) {
            return false;
        }
    }

    static Target target(String variable, String value) {
        DatabaseUrl url;
        try {
            url = DatabaseUrl.parse(variable, value);
        } catch (IllegalArgumentException e) {
            throw new Refused(e.getMessage());
        }
        DatabaseUrl.Location at = url.location();
        if (at == null) {
            throw new Refused(variable + " names no host and database the PostgreSQL client programs can use");
        }
        return new Target(at.host(), at.port(), at.database(), url.user(), url.password(), at.sslmode());
    }
}
