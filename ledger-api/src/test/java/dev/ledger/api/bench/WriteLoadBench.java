package dev.ledger.api.bench;

import static org.junit.jupiter.api.Assertions.fail;

import dev.ledger.api.chain.BinaryCopy;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.evaluation.EvaluationRecorded;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The write-path load harness (issue 4): throughput and latency of the ledger's write API against a running
 * {@code ./ledger up} on loopback, next to two baselines measured on the same PostgreSQL in the same run. A benchmark,
 * never part of the suite (surefire's default run ignores classes named *Bench); it prints figures and asserts
 * nothing about time.
 *
 * <pre>
 * ./ledger up --detach &amp;&amp; ./ledger bench WriteLoadBench
 * ./ledger down
 * </pre>
 * ({@code ./ledger bench NAME} is {@code mvn -Pbench test -pl <its module> -am -Dtest=NAME}.)
 *
 * <p>It reads {@code .ledger/stack.env} of the running stack ({@code LEDGER_API_URL}, {@code LEDGER_ADMIN_KEY},
 * {@code DATABASE_URL} as superuser) and stops with a clear message when no stack runs. It creates fresh tenants
 * and keys through the admin API (every run is new data: the chains only grow) and prints one table:
 * <ol type="a">
 * <li>entries/s through {@code POST /v1/evaluations:batch}, 1,000 items per request, closed loop: 8 clients on 4
 * tenants (two each, so that a tenant's next batch is parsed while the previous one commits), and 8 clients on one
 * tenant;</li>
 * <li>receipts/s of {@code POST /v1/evaluations}, one evaluation per request, 64 closed-loop clients: on one tenant,
 * and spread over 16 tenants (the default per-tenant rate limit of 2,000 requests/s caps the single tenant: its 429
 * answers are counted and shown, the client backs off 5 ms after one);</li>
 * <li>latency of single {@code POST /v1/evaluations} at a fixed open-loop rate of 1,000 requests/s on one tenant,
 * measured from each request's scheduled send time (no coordinated omission);</li>
 * <li>raw batched JDBC INSERT of equivalent rows (the payload and metadata bytes of a recorded evaluation, the same
 * kind of event identifier) into a scratch copy of {@code domain_event_entry} with the same columns, constraints and
 * indexes, the service's JDBC driver settings (read from ledger-api's application.properties: reWriteBatchedInserts,
 * prepareThreshold), 1,000 rows per transaction, as many threads as (a) has tenants, and one thread; and (d") the
 * same with the two unique-key rows every evaluation writes in its transaction (Idempotency-Key and evaluation_id,
 * shaped like {@code idempotency_record}), the floor PostgreSQL alone sets for (a); (d"') is (d") written the way the
 * ledger's append writes its rows, by two binary COPYs per transaction, to show what COPY saves over the INSERT;</li>
 * <li>the naive design: one transaction per entry that locks the tenant's head row ({@code SELECT … FOR UPDATE}),
 * computes the SHA-256 link, inserts the row, updates the head and commits; 64 threads, one tenant;</li>
 * <li>the floor under (b), 64 closed-loop clients on one tenant: {@code GET /v1/caller}, the server, filters, key check,
 * rate limit and a small JSON answer with no work behind it; and (f') (b)'s request made invalid (an empty
 * {@code policy_id}), read, bound, validated and refused with 422 before any write. ledger-api's CPU per request of
 * (b) minus these is what recording an evaluation itself costs;</li>
 * </ol>
 * plus ledger-api's heap from {@code /actuator/prometheus}, the ratios (a)/(d) and (b)/(e) against the targets, and
 * for each phase where the two cores' CPU went (ledger-api, PostgreSQL, this JVM, the stack JVM with Kafka, the
 * workers, anything else on the machine). Scratch tables are dropped at the end.
 *
 * <p>System properties: {@code bench.seconds} (20) per phase, {@code bench.warmup.seconds} (8),
 * {@code bench.only} (phases to run, e.g. {@code a,d}; all by default), {@code bench.ids} ({@code auto}: the baselines use
 * the kind of event identifier the ledger wrote, or {@code v4}/{@code v7}), {@code bench.stack.env} (path of stack.env).
 */
class WriteLoadBench {

    private static final int BATCH = 1000;
    private static final int A_TENANTS = 4;
    private static final int A_CLIENTS = 8;
    private static final int B_CLIENTS = 64;
    private static final int B_TENANTS = 16;
    private static final int C_RATE = 1000;
    private static final int E_THREADS = 64;
    private static final Pattern CREATED = Pattern.compile("\"status\":201\\b");

    private final int seconds = Integer.getInteger("bench.seconds", 20);
    private final int warmupSeconds = Integer.getInteger("bench.warmup.seconds", 8);
    private final String run = Long.toString(System.currentTimeMillis(), 36);
    private final String occurredAt = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString();
    private final AtomicLong counter = new AtomicLong();
    private final List<Connection> openConnections = new ArrayList<>();
    private final AtomicLong peakUsed = new AtomicLong();
    private final AtomicLong peakLive = new AtomicLong();

    private Path root;
    private String api;
    private String adminKey;
    private String jdbcUrl;
    private HttpClient http;
    /** The open loop's connections, opened by its warm-up and kept for the measured run. */
    private LeanHttp.Pool openLoopPool;
    private long stackPid;

    @Test
    void writeLoad() throws Exception {
        connect();
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        String settings;
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement()) {
            settings = "PostgreSQL " + show(s, "server_version") + ", fsync=" + show(s, "fsync") + ", synchronous_commit="
                    + show(s, "synchronous_commit") + ", full_page_writes=" + show(s, "full_page_writes");
        }
        System.out.println();
        System.out.println("WriteLoadBench run " + run + " against " + api + " — " + settings + "; "
                + Runtime.getRuntime().availableProcessors() + " cores; ledger-api " + apiJvmFlags() + "; " + seconds + " s per phase;"
                + " baseline JDBC settings as the service's: " + jdbcUrl.substring(jdbcUrl.indexOf('?') + 1).replaceAll("(^|&)(user|password)=[^&]*", "").replaceFirst("^&", ""));

        warmUp();
        Map<String, Result> r = new LinkedHashMap<>();

        // (a) batches
        if (wanted("a")) {
            List<Tenant> many = tenants("a", A_TENANTS);
            r.put("a", measure("(a)  batch 1000/req, 8 clients, 4 tenants", () -> batches(many, A_CLIENTS / A_TENANTS)));
        }
        if (wanted("a1")) {
            Tenant one = tenants("a1", 1).get(0);
            r.put("a1", measure("(a') batch 1000/req, 8 clients, 1 tenant", () -> batches(List.of(one), A_CLIENTS)));
        }
        // (b) singles, closed loop
        if (wanted("b")) {
            Tenant one = tenants("b1", 1).get(0);
            r.put("b", measure("(b)  single POST, 64 clients, 1 tenant", () -> singles(List.of(one), B_CLIENTS)));
        }
        if (wanted("b1")) {
            List<Tenant> many = tenants("b", B_TENANTS);
            r.put("b1", measure("(b') single POST, 64 clients, 16 tenants", () -> singles(many, B_CLIENTS / B_TENANTS)));
        }
        // (c) open loop
        if (wanted("c")) {
            Tenant one = tenants("c", 1).get(0);
            openLoop(one, C_RATE, 3, null); // warm-up of the connections and of this path
            r.put("c", measure("(c)  single POST, open loop 1000/s, 1 tenant", () -> openLoop(one, C_RATE, seconds, new Result())));
        }
        // (f) the floor a single request stands on: the same server, filters, key check, rate limit and JSON answer
        if (wanted("f")) {
            Tenant one = tenants("f", 1).get(0);
            r.put("f", measure("(f)  GET /v1/caller, 64 clients (the stack alone)", () -> closedLoop(List.of(one), B_CLIENTS,
                    t -> LeanHttp.Request.get(URI.create(api), "/v1/caller", t.key()), 200, "answers/s")));
        }
        if (wanted("f1")) {
            Tenant one = tenants("f1", 1).get(0);
            r.put("f1", measure("(f') single POST refused 422, 64 clients", () -> closedLoop(List.of(one), B_CLIENTS,
                    this::refused, 422, "answers/s")));
        }
        // (d), (e) baselines on the same database
        Sample sample = sample();
        try {
            if (wanted("d")) {
                r.put("d", measure("(d)  raw JDBC batch 1000/txn, 4 threads", () -> raw(sample, A_TENANTS, false)));
            }
            if (wanted("d2")) {
                r.put("d2", measure("(d\") raw + 2 key rows/entry, 1000/txn, 4 threads", () -> raw(sample, A_TENANTS, true)));
            }
            if (wanted("d3")) {
                r.put("d3", measure("(d\"') as (d\") by binary COPY, 1000/txn, 4 thr", () -> raw(sample, A_TENANTS, true, true)));
            }
            if (wanted("d1")) {
                r.put("d1", measure("(d') raw JDBC batch 1000/txn, 1 thread", () -> raw(sample, 1, false)));
            }
            if (wanted("e")) {
                r.put("e", measure("(e)  naive locked head, 1 txn/entry, 64 thr, 1 tenant", () -> naive(sample, E_THREADS)));
            }
        } finally {
            dropScratch();
        }

        Map<String, Double> heap = heap();
        print(List.copyOf(r.values()));
        System.out.println();
        if (heap.get("max") <= 0) {
            System.out.println("ledger-api heap after the run: /actuator/prometheus did not answer (is ledger-api still alive? see"
                    + " .ledger/logs/ledger-api.log)");
        }
        System.out.printf(Locale.ROOT, "ledger-api heap after the run: used %.0f MB, live after last major GC %.0f MB, max %.0f MB"
                        + " (jvm_memory_used_bytes / jvm_gc_live_data_size_bytes / jvm_memory_max_bytes, area=heap);"
                        + " during the phases (every 2 s): used at most %.0f MB, live after a major GC at most %.0f MB%n",
                mb(heap.get("used")), mb(heap.get("live")), mb(heap.get("max")), mb((double) peakUsed.get()), mb((double) peakLive.get()));
        System.out.println("event identifiers: the ledger's latest is " + sample.ledgerId() + "; " + sample.idKind());
        System.out.println();
        // the write-path issue's acceptance (issue 13)
        ratio(r, "a", "d2", "(a)/(d\")  batch vs raw with key rows", 0.45);
        if (r.containsKey("d2")) {
            System.out.printf(Locale.ROOT, "  %-46s %12.2f   (PostgreSQL alone, for the rows one evaluation needs)%n", "(d\") raw with key rows / (d) raw",
                    r.get("d2").rate / r.getOrDefault("d", r.get("d2")).rate);
        }
        if (r.containsKey("d3") && r.containsKey("d2")) {
            System.out.printf(Locale.ROOT, "  %-46s %12.2f   rows/s; PostgreSQL %.1f vs %.1f us/row%n", "(d\"') COPY / (d\") INSERT",
                    r.get("d3").rate / r.get("d2").rate, r.get("d3").micros(r.get("d3").pgCores),
                    r.get("d2").micros(r.get("d2").pgCores));
        }
        if (r.containsKey("a")) {
            Result a = r.get("a");
            double behind = a.kafkaBehind / a.rate;
            target("(a)  publisher behind at the end, s", behind, "< 1", behind < 1);
            target("(a)  ledger-api CPU us/entry", a.micros(a.apiCores), "<= 15", a.micros(a.apiCores) <= 15);
            if (r.containsKey("d2")) {
                double pg = a.micros(a.pgCores) / r.get("d2").micros(r.get("d2").pgCores);
                System.out.printf(Locale.ROOT, "  %-46s %12.1f   (d\") %.1f us/row%n", "(a)  PostgreSQL CPU us/entry", a.micros(a.pgCores),
                        r.get("d2").micros(r.get("d2").pgCores));
                target("(a)  PostgreSQL per entry / (d\") per row", pg, "<= 1.3", pg <= 1.3);
            }
        }
        ratio(r, "b", "e", "(b)/(e)  single POST 1 tenant vs naive", 5);
        ratio(r, "b1", "e", "(b')/(e) single POST 16 tenants vs naive", 4);
        if (r.containsKey("b")) {
            Result b = r.get("b");
            target("(b)  ledger-api CPU us/request", b.micros(b.apiCores), "<= 120", b.micros(b.apiCores) <= 120);
            for (String floor : List.of("f", "f1")) {
                if (r.containsKey(floor)) {
                    Result f = r.get(floor);
                    System.out.printf(Locale.ROOT, "  %-46s %12.1f   us/request of ledger-api; (b) minus it: %.1f%n",
                            "(" + (floor.equals("f") ? "f" : "f'") + ") floor, ledger-api CPU", f.micros(f.apiCores),
                            b.micros(b.apiCores) - f.micros(f.apiCores));
                }
            }
        }
        if (r.containsKey("c")) {
            target("(c)  p99 ms", r.get("c").p99 / 1e6, "<= 20", r.get("c").p99 / 1e6 <= 20);
            target("(c)  p99.9 ms", r.get("c").p999 / 1e6, "<= 50", r.get("c").p999 / 1e6 <= 50);
        }
        // the write-API issue's (issue 4) targets, kept for comparison
        ratio(r, "a", "d", "(a)/(d)  batch 4 tenants vs raw 4 threads", 0.8);
        ratio(r, "a1", "d1", "(a')/(d') batch 1 tenant vs raw 1 thread", 0.8);
        target("heap: max (-Xmx) MB, ledger-api alive", mb(heap.get("max")), "<= 512", heap.get("max") > 0 && mb(heap.get("max")) <= 512.5);
        target("heap: live after major GC, peak MB", mb((double) peakLive.get()), "< 512", heap.get("max") > 0 && mb((double) peakLive.get()) < 512);
        if (r.containsKey("b") && r.get("b").limited > 0) {
            System.out.println("note: (b) met the per-tenant rate limit (" + r.get("b").limited + " answers 429): ledger.rate-limit."
                    + "requests-per-second is 2000 by default; LEDGER_RATELIMIT_REQUESTSPERSECOND=100000 LEDGER_RATELIMIT_BURST=100000"
                    + " ./ledger up --detach lifts it");
        }
        System.out.println();
    }

    /** bench.only=a,a1,b,b1,c,f,f1,d,d1,d2,d3,e picks phases (all by default). */
    private static boolean wanted(String phase) {
        String only = System.getProperty("bench.only", "");
        return only.isBlank() || List.of(only.split(",")).contains(phase);
    }

    private static void ratio(Map<String, Result> r, String over, String under, String what, double goal) {
        if (r.containsKey(over) && r.containsKey(under)) {
            double v = r.get(over).rate / r.get(under).rate;
            target(what, v, ">= " + goal, v >= goal);
        }
    }

    // ---------------------------------------------------------------- the stack

    private void connect() throws IOException, InterruptedException {
        String configured = System.getProperty("bench.stack.env", System.getenv("LEDGER_STACK_ENV"));
        Path env;
        if (configured != null && !configured.isBlank()) {
            env = Path.of(configured).toAbsolutePath();
            root = env.getParent().getParent();
        } else {
            root = Path.of("").toAbsolutePath();
            while (root != null && !(Files.isRegularFile(root.resolve("ledger")) && Files.isRegularFile(root.resolve("pom.xml"))
                    && Files.isDirectory(root.resolve("ledger-api")))) {
                root = root.getParent();
            }
            if (root == null) {
                fail("WriteLoadBench: cannot find the project root (the folder with ./ledger) above " + Path.of("").toAbsolutePath()
                        + "; pass -Dbench.stack.env=/path/to/.ledger/stack.env");
            }
            env = root.resolve(".ledger/stack.env");
        }
        String howTo = "start one with `./ledger up --detach` in " + root + ", then `./ledger bench WriteLoadBench`"
                + " (and `./ledger down` afterwards)";
        Path pidFile = env.resolveSibling("stack.pid");
        Optional<ProcessHandle> stack = Files.isRegularFile(pidFile)
                ? ProcessHandle.of(Long.parseLong(Files.readString(pidFile).strip())).filter(ProcessHandle::isAlive)
                : Optional.empty();
        if (!Files.isRegularFile(env) || stack.isEmpty() || !Files.exists(env.resolveSibling("stack.ready"))) {
            fail("WriteLoadBench needs a running ledger and found none (" + env + " and a live stack.pid beside it): " + howTo);
        }
        stackPid = stack.get().pid();
        Map<String, String> vars = new LinkedHashMap<>();
        for (String line : Files.readAllLines(env)) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                vars.put(line.substring(0, eq).strip(), line.substring(eq + 1).strip());
            }
        }
        api = vars.get("LEDGER_API_URL");
        adminKey = vars.get("LEDGER_ADMIN_KEY");
        String db = vars.get("DATABASE_URL");
        if (api == null || adminKey == null || db == null) {
            fail("WriteLoadBench: " + env + " lacks LEDGER_API_URL, LEDGER_ADMIN_KEY or DATABASE_URL: " + howTo);
        }
        jdbcUrl = jdbc(db, driverSettings(root.resolve("ledger-api/src/main/resources/application.properties")));
        HttpClient probe = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try {
            int status = probe.send(HttpRequest.newBuilder(URI.create(api + "/ready")).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status != 200) {
                fail("WriteLoadBench: ledger-api at " + api + " is not ready (GET /ready answered " + status + "): " + howTo);
            }
        } catch (IOException e) {
            fail("WriteLoadBench: ledger-api at " + api + " does not answer (" + e + "): " + howTo);
        }
    }

    /**
     * The service's JDBC driver settings ({@code spring.datasource.hikari.data-source-properties.*} of ledger-api's
     * application.properties, e.g. reWriteBatchedInserts, prepareThreshold), so that the baselines talk to PostgreSQL
     * exactly as the service does; reWriteBatchedInserts=true when the file is not there.
     */
    static Map<String, String> driverSettings(Path applicationProperties) {
        Map<String, String> settings = new LinkedHashMap<>();
        String prefix = "spring.datasource.hikari.data-source-properties.";
        if (Files.isRegularFile(applicationProperties)) {
            java.util.Properties p = new java.util.Properties();
            try (var in = Files.newInputStream(applicationProperties)) {
                p.load(in);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            for (String name : new java.util.TreeSet<>(p.stringPropertyNames())) {
                if (name.startsWith(prefix)) {
                    settings.put(name.substring(prefix.length()), p.getProperty(name).strip());
                }
            }
        }
        settings.putIfAbsent("reWriteBatchedInserts", "true");
        return settings;
    }

    /** postgresql://user[:password]@host:port/db → a JDBC URL with the given driver settings. */
    static String jdbc(String databaseUrl, Map<String, String> settings) {
        String url = databaseUrl;
        if (!url.startsWith("jdbc:")) {
            URI uri = URI.create(url.replaceFirst("^postgres(ql)?://", "http://"));
            StringBuilder b = new StringBuilder("jdbc:postgresql://").append(uri.getHost()).append(':')
                    .append(uri.getPort() > 0 ? uri.getPort() : 5432).append(uri.getRawPath());
            String sep = "?";
            if (uri.getRawQuery() != null) {
                b.append('?').append(uri.getRawQuery());
                sep = "&";
            }
            if (uri.getRawUserInfo() != null) {
                String[] parts = uri.getRawUserInfo().split(":", 2);
                b.append(sep).append("user=").append(parts[0]);
                if (parts.length > 1) {
                    b.append("&password=").append(parts[1]);
                }
            }
            url = b.toString();
        }
        StringBuilder b = new StringBuilder(url);
        for (Map.Entry<String, String> e : settings.entrySet()) {
            b.append(b.indexOf("?") < 0 ? '?' : '&').append(e.getKey()).append('=').append(e.getValue());
        }
        return b.toString();
    }

    private static String show(Statement s, String setting) throws SQLException {
        try (ResultSet rs = s.executeQuery("show " + setting)) {
            rs.next();
            return rs.getString(1);
        }
    }

    record Tenant(String id, String key) {
    }

    private List<Tenant> tenants(String tag, int n) throws Exception {
        List<Tenant> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String id = "bench-" + run + "-" + tag + "-" + i;
            HttpResponse<String> t = admin("/v1/tenants", "{\"tenant_id\":\"" + id + "\",\"name\":\"WriteLoadBench " + id + "\"}");
            if (t.statusCode() != 201) {
                fail("creating tenant " + id + ": HTTP " + t.statusCode() + " " + t.body());
            }
            HttpResponse<String> k = admin("/v1/tenants/" + id + "/api-keys", "{\"scopes\":[\"evaluations:write\"]}");
            Matcher m = Pattern.compile("\"key\"\\s*:\\s*\"([^\"]+)\"").matcher(k.body());
            if (k.statusCode() != 201 || !m.find()) {
                fail("issuing a key of " + id + ": HTTP " + k.statusCode() + " " + k.body());
            }
            out.add(new Tenant(id, m.group(1)));
        }
        return out;
    }

    private HttpResponse<String> admin(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(api + path)).header("Authorization", "Bearer " + adminKey)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    // ---------------------------------------------------------------- requests

    private String evaluation(String evaluationId) {
        return "{\"evaluation_id\":\"" + evaluationId + "\",\"policy_id\":\"pol_pii\",\"policy_version\":\"7\",\"subject\":\"agent:"
                + (evaluationId.hashCode() & 0xffff) + "\",\"input_digest\":\"sha256:" + digest(evaluationId) + "\","
                + "\"terminal_state\":\"REJECTED\",\"gates\":[{\"gate\":\"pii\",\"outcome\":\"FAIL\",\"reason_code\":\"PII_EMAIL\"},"
                + "{\"gate\":\"toxicity\",\"outcome\":\"PASS\"}],\"occurred_at\":\"" + occurredAt + "\"}";
    }

    private static String digest(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String nextId() {
        return "ev_" + run + "_" + counter.incrementAndGet();
    }

    private LeanHttp.Request single(Tenant t) {
        String id = nextId();
        return LeanHttp.Request.post(URI.create(api), "/v1/evaluations", t.key(), "ik-" + id, evaluation(id));
    }

    /** (b)'s request with an empty policy_id: read, bound and validated as (b)'s, then refused (422) before any write. */
    private LeanHttp.Request refused(Tenant t) {
        String id = nextId();
        return LeanHttp.Request.post(URI.create(api), "/v1/evaluations", t.key(), "ik-" + id,
                evaluation(id).replace("\"policy_id\":\"pol_pii\"", "\"policy_id\":\"\""));
    }

    private LeanHttp.Request batch(Tenant t) {
        StringBuilder b = new StringBuilder(BATCH * 420).append("{\"items\":[");
        for (int i = 0; i < BATCH; i++) {
            String id = nextId();
            String item = evaluation(id);
            b.append(i == 0 ? "" : ",").append("{\"idempotency_key\":\"ik-").append(id).append("\",").append(item, 1, item.length());
        }
        b.append("]}");
        return LeanHttp.Request.post(URI.create(api), "/v1/evaluations:batch", t.key(), null, b.toString());
    }

    // ---------------------------------------------------------------- phases

    /** A phase's figures: rate of successful entries, latency percentiles (ns), failures, and where the CPU went. */
    static final class Result {
        String name;
        String unit = "entries/s";
        double rate;
        long ok;
        long limited;
        long failed;
        String firstFailure;
        double p50 = Double.NaN;
        double p99 = Double.NaN;
        double p999 = Double.NaN;
        double max = Double.NaN;
        double avgBatch = Double.NaN;
        String cpu = "";
        /** CPU seconds per second of the phase (cores) of ledger-api and of PostgreSQL. */
        double apiCores = Double.NaN;
        double pgCores = Double.NaN;
        /** Entries committed but not yet published when the phase ended. */
        long kafkaBehind;
        String extra = "";
        String kafka = "";

        /** CPU microseconds per unit (entry, receipt, row) of a process's cores. */
        double micros(double cores) {
            return cores / rate * 1e6;
        }
    }

    interface Phase {
        Result run() throws Exception;
    }

    private Result measure(String name, Phase phase) throws Exception {
        System.out.printf("  start: %s at %s%n", name, java.time.LocalTime.now().withNano(0));
        Map<String, Double> before = batchMetric();
        CpuSnapshot cpu0 = cpu();
        long t0 = System.nanoTime();
        java.util.concurrent.ScheduledExecutorService heapWatch = Executors.newSingleThreadScheduledExecutor();
        heapWatch.scheduleAtFixedRate(() -> {
            Map<String, Double> h = heap();
            peakUsed.accumulateAndGet(h.get("used").longValue(), Math::max);
            peakLive.accumulateAndGet(h.get("live").longValue(), Math::max);
        }, 1, 2, TimeUnit.SECONDS);
        Result r;
        try {
            r = phase.run();
        } finally {
            heapWatch.shutdownNow();
        }
        CpuSnapshot cpu1 = cpu();
        double wall = (System.nanoTime() - t0) / 1e9;
        for (Connection c : openConnections) {
            c.close();
        }
        openConnections.clear();
        Map<String, Double> after = batchMetric();
        double n = after.getOrDefault("count", 0.0) - before.getOrDefault("count", 0.0);
        if (n > 0) {
            r.avgBatch = (after.get("sum") - before.get("sum")) / n;
        }
        r.name = name;
        r.cpu = cpu1.minus(cpu0, wall);
        r.apiCores = cpu1.cores(cpu0, wall, "api");
        r.pgCores = cpu1.cores(cpu0, wall, "pg");
        drainKafka(r);
        System.out.printf(Locale.ROOT, "  done: %-52s %,10.0f %s%s%n", name, r.rate, r.unit,
                r.failed + r.limited > 0 ? " (" + r.limited + " x 429, " + r.failed + " failed" + (r.firstFailure == null ? "" : ": "
                        + r.firstFailure) + ")" : "");
        return r;
    }

    /**
     * The ledger's Kafka publisher (a tracking processor) may fall behind under load; its backlog is work on the same
     * two cores. Records the backlog at the end of the phase and waits (up to 5 minutes) until it is published, so that
     * each phase starts with the outbox drained.
     */
    private void drainKafka(Result r) throws SQLException, InterruptedException {
        if (r.unit.equals("rows/s")) {
            return; // baselines: the ledger is not involved
        }
        long lag = kafkaLag();
        r.kafkaBehind = Math.max(0, lag);
        long t0 = System.nanoTime();
        long deadline = t0 + TimeUnit.MINUTES.toNanos(5);
        while (kafkaLag() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(500);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long left = kafkaLag();
        r.kafka = lag <= 0 ? "Kafka publisher kept up" : String.format(Locale.ROOT,
                "Kafka publisher %,d entries behind at the end, %s %.0f s later", lag, left > 0 ? "still " + left + " behind" : "caught up", secs);
    }

    /** Entries committed but not yet past the publisher's position. */
    private long kafkaLag() throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select (select coalesce(max(global_index), 0) from domain_event_entry)"
                     + " - coalesce((select max_index from publication_position), 0)")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private List<Tenant> warmUp() throws Exception {
        List<Tenant> w = tenants("w", 2);
        System.out.println("  warm-up: " + warmupSeconds + " s of batches, then " + warmupSeconds + " s of single writes (not reported)");
        timed(warmupSeconds, () -> batches(w, 1));
        timed(warmupSeconds, () -> singles(w, 16));
        drainKafka(new Result());
        return w;
    }

    private void timed(int secs, Phase p) throws Exception {
        int old = phaseSeconds;
        phaseSeconds = secs;
        try {
            p.run();
        } finally {
            phaseSeconds = old;
        }
    }

    private int phaseSeconds = -1;

    private long deadline() {
        return System.nanoTime() + TimeUnit.SECONDS.toNanos(phaseSeconds >= 0 ? phaseSeconds : seconds);
    }

    /** Closed loop: {@code clientsPerTenant} clients per tenant, each sending 1,000-item batches back to back. */
    private Result batches(List<Tenant> tenants, int clientsPerTenant) throws Exception {
        Result r = new Result();
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicLong last = new AtomicLong();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        long end = deadline();
        List<Runnable> clients = new ArrayList<>();
        for (Tenant t : tenants) {
            for (int i = 0; i < clientsPerTenant; i++) {
                clients.add(() -> {
                    LeanHttp connection = null;
                    while (System.nanoTime() < end) {
                        LeanHttp.Request request = batch(t);
                        long s = System.nanoTime();
                        try {
                            if (connection == null || !connection.isOpen()) {
                                connection = new LeanHttp(URI.create(api));
                            }
                            LeanHttp.Response resp = connection.send(request);
                            long done = System.nanoTime();
                            latencies.add(done - s);
                            last.accumulateAndGet(done, Math::max);
                            int created = resp.status() == 200 ? count(resp.body()) : 0;
                            ok.addAndGet(created);
                            if (created < BATCH) {
                                failed.addAndGet(BATCH - created);
                                failures.add("HTTP " + resp.status() + " " + abbreviate(resp.body()));
                            }
                        } catch (IOException | RuntimeException e) {
                            failed.addAndGet(BATCH);
                            failures.add(e.toString());
                            if (connection != null) {
                                connection.close();
                                connection = null;
                            }
                        }
                    }
                    if (connection != null) {
                        connection.close();
                    }
                });
            }
        }
        runAll(clients);
        r.ok = ok.get();
        r.failed = failed.get();
        r.firstFailure = failures.peek();
        r.rate = r.ok / ((last.get() - start) / 1e9);
        percentiles(r, latencies.stream().mapToLong(Long::longValue).toArray());
        r.extra = "latency per 1000-item request";
        return r;
    }

    private static int count(String body) {
        Matcher m = CREATED.matcher(body);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** Closed loop: {@code clientsPerTenant} clients per tenant, each sending single evaluations back to back. */
    private Result singles(List<Tenant> tenants, int clientsPerTenant) throws Exception {
        return closedLoop(tenants, clientsPerTenant, this::single, 201, "receipts/s");
    }

    /**
     * Closed loop of one request at a time per client, {@code clientsPerTenant} clients per tenant; the answers with
     * status {@code expected} count (and their latency), 429 backs off 5 ms, anything else is a failure.
     */
    private Result closedLoop(List<Tenant> tenants, int clientsPerTenant, java.util.function.Function<Tenant, LeanHttp.Request> next,
            int expected, String unit) throws Exception {
        Result r = new Result();
        r.unit = unit;
        AtomicLong ok = new AtomicLong();
        AtomicLong limited = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
        AtomicLong last = new AtomicLong();
        ConcurrentLinkedQueue<long[]> latencies = new ConcurrentLinkedQueue<>();
        long start = System.nanoTime();
        long end = deadline();
        List<Runnable> clients = new ArrayList<>();
        for (Tenant t : tenants) {
            for (int i = 0; i < clientsPerTenant; i++) {
                clients.add(() -> {
                    long[] mine = new long[1 << 16];
                    int n = 0;
                    LeanHttp connection = null;
                    while (System.nanoTime() < end) {
                        LeanHttp.Request request = next.apply(t);
                        long s = System.nanoTime();
                        try {
                            if (connection == null || !connection.isOpen()) {
                                connection = new LeanHttp(URI.create(api));
                            }
                            LeanHttp.Response resp = connection.send(request);
                            long done = System.nanoTime();
                            if (resp.status() == expected) {
                                ok.incrementAndGet();
                                last.accumulateAndGet(done, Math::max);
                                if (n == mine.length) {
                                    mine = Arrays.copyOf(mine, n * 2);
                                }
                                mine[n++] = done - s;
                            } else if (resp.status() == 429) {
                                limited.incrementAndGet();
                                LockSupport.parkNanos(5_000_000);
                            } else {
                                failed.incrementAndGet();
                                failures.add("HTTP " + resp.status() + " " + abbreviate(resp.body()));
                            }
                        } catch (IOException | RuntimeException e) {
                            failed.incrementAndGet();
                            failures.add(e.toString());
                            if (connection != null) {
                                connection.close();
                                connection = null;
                            }
                        }
                    }
                    if (connection != null) {
                        connection.close();
                    }
                    latencies.add(Arrays.copyOf(mine, n));
                });
            }
        }
        runAll(clients);
        r.ok = ok.get();
        r.limited = limited.get();
        r.failed = failed.get();
        r.firstFailure = failures.peek();
        r.rate = r.ok / ((last.get() - start) / 1e9);
        percentiles(r, latencies.stream().flatMapToLong(Arrays::stream).toArray());
        r.extra = "closed-loop latency";
        return r;
    }

    /**
     * Open loop: request i is due at start + i/rate; it is sent then (or as soon as the scheduler can), and its latency
     * counts from the due time, so a stall delays the measured answers instead of the offered load.
     */
    private Result openLoop(Tenant t, int rate, int secs, Result r) throws Exception {
        int n = rate * secs;
        LeanHttp.Request[] requests = new LeanHttp.Request[n];
        for (int i = 0; i < n; i++) {
            requests[i] = single(t);
        }
        AtomicLongArray latency = new AtomicLongArray(n);
        AtomicLongArray status = new AtomicLongArray(n);
        CompletableFuture<?>[] all = new CompletableFuture<?>[n];
        long interval = 1_000_000_000L / rate;
        // each request on a virtual thread of its own, over an idle pooled connection (kept from the warm-up) or a new one
        ExecutorService senders = Executors.newVirtualThreadPerTaskExecutor();
        if (openLoopPool == null) {
            openLoopPool = new LeanHttp.Pool(URI.create(api));
        }
        LeanHttp.Pool pool = openLoopPool;
        long start = System.nanoTime() + 10_000_000;
        long maxLag = 0;
        for (int i = 0; i < n; i++) {
            long due = start + i * interval;
            long now;
            while ((now = System.nanoTime()) < due) {
                LockSupport.parkNanos(due - now);
            }
            maxLag = Math.max(maxLag, now - due);
            int k = i;
            all[i] = CompletableFuture.runAsync(() -> {
                int st;
                try {
                    st = pool.send(requests[k]).status();
                } catch (IOException | RuntimeException e) {
                    st = -1;
                }
                latency.set(k, System.nanoTime() - due);
                status.set(k, st);
            }, senders);
        }
        CompletableFuture.allOf(all).get(120, TimeUnit.SECONDS);
        senders.shutdown();
        if (r == null) {
            return null;
        }
        long[] ok = new long[n];
        int m = 0;
        long lastDone = 0;
        for (int i = 0; i < n; i++) {
            long st = status.get(i);
            if (st == 201) {
                ok[m++] = latency.get(i);
                lastDone = Math.max(lastDone, start + i * interval + latency.get(i));
            } else if (st == 429) {
                r.limited++;
            } else {
                r.failed++;
                if (r.firstFailure == null) {
                    r.firstFailure = st == -1 ? "I/O error" : "HTTP " + st;
                }
            }
        }
        r.ok = m;
        r.unit = "receipts/s";
        r.rate = m / ((lastDone - start) / 1e9);
        percentiles(r, Arrays.copyOf(ok, m));
        r.extra = "from scheduled time; offered " + rate + "/s; scheduler lag max " + String.format(Locale.ROOT, "%.1f", maxLag / 1e6) + " ms";
        return r;
    }

    private static void percentiles(Result r, long[] values) {
        if (values.length == 0) {
            return;
        }
        Arrays.sort(values);
        r.p50 = values[(int) Math.min(values.length - 1, Math.floor(values.length * 0.50))];
        r.p99 = values[(int) Math.min(values.length - 1, Math.floor(values.length * 0.99))];
        r.p999 = values[(int) Math.min(values.length - 1, Math.floor(values.length * 0.999))];
        r.max = values[values.length - 1];
    }

    private static void runAll(List<Runnable> tasks) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Runnable t : tasks) {
                futures.add(pool.submit(t));
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    // ---------------------------------------------------------------- baselines on the same database

    private static final String SCRATCH_DDL = """
            create table %s (
                global_index         bigserial    primary key,
                event_identifier     varchar(255) collate "C" not null unique,
                meta_data            bytea        not null,
                payload              bytea        not null,
                payload_revision     varchar(255),
                payload_type         varchar(255) not null,
                time_stamp           varchar(255) not null,
                aggregate_identifier varchar(255) collate "C" not null,
                sequence_number      bigint       not null,
                type                 varchar(255),
                prev_hash            bytea        not null check (octet_length(prev_hash) = 32),
                entry_hash           bytea        not null check (octet_length(entry_hash) = 32),
                unique (aggregate_identifier, sequence_number)
            )""";
    private static final String INSERT = "insert into %s (event_identifier, aggregate_identifier, sequence_number, type,"
            + " time_stamp, payload_type, payload_revision, payload, meta_data, prev_hash, entry_hash)"
            + " values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    /** A recorded evaluation's stored bytes, to write rows of the same size and shape. */
    record Sample(byte[] payload, byte[] metadata, String payloadType, String revision, String type, String timeStamp,
                  String ledgerId, boolean timeOrderedIds) {
        String idKind() {
            return "the baselines wrote " + (timeOrderedIds ? "time-ordered UUIDv7" : "random UUIDv4") + " event identifiers";
        }

        String nextId() {
            return timeOrderedIds ? uuid7().toString() : UUID.randomUUID().toString();
        }
    }

    private Sample sample() throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl);
             PreparedStatement ps = c.prepareStatement("select payload, meta_data, payload_type, payload_revision, type, time_stamp,"
                     + " event_identifier from domain_event_entry where payload_type = '" + EntryTypes.nameOf(EvaluationRecorded.class) + "'"
                     + " order by global_index desc limit 1")) {
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    fail("no recorded evaluation to copy");
                }
                String id = rs.getString(7);
                String ids = System.getProperty("bench.ids", "auto");
                boolean v7 = ids.equals("auto") ? id.length() == 36 && id.charAt(14) == '7' : ids.equals("v7");
                Sample s = new Sample(rs.getBytes(1), rs.getBytes(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6), id, v7);
                System.out.println("  baseline rows copy a recorded evaluation: payload " + s.payload().length + " B, metadata "
                        + s.metadata().length + " B, " + s.payloadType());
                return s;
            }
        }
    }

    private static final String RAW = "bench_raw_entry";
    private static final String RAW_KEYS = "bench_raw_key";
    private static final String NAIVE = "bench_naive_entry";
    private static final String HEAD = "bench_naive_head";

    /** One connection per writer thread, outside autocommit (the phases commit their own transactions). */
    private List<Connection> transactionalConnections(int threads) throws SQLException {
        List<Connection> connections = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Connection c = DriverManager.getConnection(jdbcUrl);
            c.setAutoCommit(false);
            connections.add(c);
        }
        return connections;
    }

    private void scratch(String table) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement()) {
            s.execute("drop table if exists " + table);
            s.execute(SCRATCH_DDL.formatted(table));
        }
    }

    private void dropScratch() {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement()) {
            for (String t : List.of(RAW, RAW_KEYS, NAIVE, HEAD)) {
                s.execute("drop table if exists " + t);
            }
        } catch (SQLException e) {
            System.out.println("  could not drop the scratch tables: " + e);
        }
    }

    /**
     * (d): {@code threads} writers, each its own aggregate, 1,000 rows per batched insert and transaction. With
     * {@code keys}, each entry also writes the two unique-key rows an evaluation needs (its Idempotency-Key and its
     * evaluation_id, shaped like idempotency_record): the floor of what PostgreSQL must do per evaluation.
     */
    private Result raw(Sample sample, int threads, boolean keys) throws Exception {
        return raw(sample, threads, keys, false);
    }

    /** With {@code copy}, each transaction's rows go out as two binary COPYs (the key rows, then the entries). */
    private Result raw(Sample sample, int threads, boolean keys, boolean copy) throws Exception {
        scratch(RAW);
        if (keys) {
            try (Connection c = DriverManager.getConnection(jdbcUrl); Statement st = c.createStatement()) {
                st.execute("drop table if exists " + RAW_KEYS);
                st.execute("create table " + RAW_KEYS + " (tenant_id varchar(64) collate \"C\" not null, idempotency_key varchar(300)"
                        + " collate \"C\" not null, request_digest bytea not null, sequence bigint not null, created_at timestamptz not null"
                        + " default now(), primary key (tenant_id, idempotency_key))");
            }
        }
        Result r = new Result();
        r.unit = "rows/s";
        AtomicLong rows = new AtomicLong();
        AtomicLong last = new AtomicLong();
        ConcurrentLinkedQueue<Long> latencies = new ConcurrentLinkedQueue<>();
        byte[] hash = new byte[32];
        new SecureRandom().nextBytes(hash);
        List<Connection> connections = transactionalConnections(threads);
        long start = System.nanoTime();
        long end = deadline();
        List<Runnable> writers = new ArrayList<>();
        for (int w = 0; w < threads; w++) {
            Connection c = connections.get(w);
            String aggregate = "raw-" + run + "-" + w;
            writers.add(() -> {
                long seq = 0;
                try (PreparedStatement ps = c.prepareStatement(INSERT.formatted(RAW));
                     PreparedStatement ks = c.prepareStatement("insert into " + RAW_KEYS
                             + " (tenant_id, idempotency_key, request_digest, sequence) values (?, ?, ?, ?)")) {
                    while (System.nanoTime() < end) {
                        long s = System.nanoTime();
                        if (copy) {
                            seq = copyBatch(c, sample, aggregate, seq, hash);
                            c.commit();
                            long done = System.nanoTime();
                            latencies.add(done - s);
                            rows.addAndGet(BATCH);
                            last.accumulateAndGet(done, Math::max);
                            continue;
                        }
                        for (int i = 0; i < BATCH; i++) {
                            if (keys) {
                                for (String key : new String[] {"k:" + sample.nextId(), "evaluation_id:ev_" + seq}) {
                                    ks.setString(1, aggregate);
                                    ks.setString(2, key);
                                    ks.setBytes(3, hash);
                                    ks.setLong(4, seq + 1);
                                    ks.addBatch();
                                }
                            }
                            ps.setString(1, sample.nextId());
                            ps.setString(2, aggregate);
                            ps.setLong(3, seq++);
                            ps.setString(4, sample.type());
                            ps.setString(5, sample.timeStamp());
                            ps.setString(6, sample.payloadType());
                            ps.setString(7, sample.revision());
                            ps.setBytes(8, sample.payload());
                            ps.setBytes(9, sample.metadata());
                            ps.setBytes(10, hash);
                            ps.setBytes(11, hash);
                            ps.addBatch();
                        }
                        ps.executeBatch();
                        if (keys) {
                            ks.executeBatch();
                        }
                        c.commit();
                        long done = System.nanoTime();
                        latencies.add(done - s);
                        rows.addAndGet(BATCH);
                        last.accumulateAndGet(done, Math::max);
                    }
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
        runAll(writers);
        openConnections.addAll(connections); // closed after the phase's CPU figures (a backend's CPU dies with it)
        r.ok = rows.get();
        r.rate = r.ok / ((last.get() - start) / 1e9);
        percentiles(r, latencies.stream().mapToLong(Long::longValue).toArray());
        r.extra = "latency per 1000-row transaction";
        return r;
    }

    /** One (d\"') transaction's rows, as the ledger's append writes them (ChainedAppend); answers the next sequence. */
    private static long copyBatch(Connection c, Sample sample, String aggregate, long seq, byte[] hash) throws SQLException {
        BinaryCopy keyRows = new BinaryCopy("copy " + RAW_KEYS + " (tenant_id, idempotency_key, request_digest, sequence)"
                + " from stdin (format binary)", 4);
        BinaryCopy entries = new BinaryCopy("copy " + RAW + " (event_identifier, aggregate_identifier, sequence_number,"
                + " type, time_stamp, payload_type, payload_revision, payload, meta_data, prev_hash, entry_hash)"
                + " from stdin (format binary)", 11);
        long next = seq;
        for (int i = 0; i < BATCH; i++) {
            keyRows.row().text(aggregate).text("k:" + sample.nextId()).bytes(hash).bigint(next + 1);
            keyRows.row().text(aggregate).text("evaluation_id:ev_" + next).bytes(hash).bigint(next + 1);
            entries.row().text(sample.nextId()).text(aggregate).bigint(next++).text(sample.type()).text(sample.timeStamp())
                    .text(sample.payloadType()).text(sample.revision()).bytes(sample.payload()).bytes(sample.metadata())
                    .bytes(hash).bytes(hash);
        }
        keyRows.copyIn(c);
        entries.copyIn(c);
        return next;
    }

    /** (e): one transaction per entry, serialised by a locked head row: lock, link, insert, update head, commit. */
    private Result naive(Sample sample, int threads) throws Exception {
        scratch(NAIVE);
        String tenant = "naive-" + run;
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement()) {
            s.execute("drop table if exists " + HEAD);
            s.execute("create table " + HEAD + " (tenant_id varchar(64) collate \"C\" primary key, sequence bigint not null,"
                    + " head bytea not null)");
            s.execute("insert into " + HEAD + " values ('" + tenant + "', 0, '\\x" + "00".repeat(32) + "')");
        }
        Result r = new Result();
        r.unit = "rows/s";
        AtomicLong rows = new AtomicLong();
        AtomicLong last = new AtomicLong();
        ConcurrentLinkedQueue<long[]> latencies = new ConcurrentLinkedQueue<>();
        List<Connection> connections = transactionalConnections(threads);
        long start = System.nanoTime();
        long end = deadline();
        List<Runnable> writers = new ArrayList<>();
        for (Connection c : connections) {
            writers.add(() -> {
                long[] mine = new long[1 << 14];
                int n = 0;
                try (PreparedStatement lock = c.prepareStatement("select sequence, head from " + HEAD + " where tenant_id = ? for update");
                     PreparedStatement insert = c.prepareStatement(INSERT.formatted(NAIVE));
                     PreparedStatement update = c.prepareStatement("update " + HEAD + " set sequence = ?, head = ? where tenant_id = ?")) {
                    MessageDigest sha = MessageDigest.getInstance("SHA-256");
                    while (System.nanoTime() < end) {
                        long s = System.nanoTime();
                        lock.setString(1, tenant);
                        long seq;
                        byte[] prev;
                        try (ResultSet rs = lock.executeQuery()) {
                            rs.next();
                            seq = rs.getLong(1);
                            prev = rs.getBytes(2);
                        }
                        String id = sample.nextId();
                        sha.update(prev);
                        sha.update(id.getBytes(StandardCharsets.UTF_8));
                        sha.update(sample.payload());
                        sha.update(sample.metadata());
                        byte[] hash = sha.digest();
                        insert.setString(1, id);
                        insert.setString(2, tenant);
                        insert.setLong(3, seq);
                        insert.setString(4, sample.type());
                        insert.setString(5, sample.timeStamp());
                        insert.setString(6, sample.payloadType());
                        insert.setString(7, sample.revision());
                        insert.setBytes(8, sample.payload());
                        insert.setBytes(9, sample.metadata());
                        insert.setBytes(10, prev);
                        insert.setBytes(11, hash);
                        insert.executeUpdate();
                        update.setLong(1, seq + 1);
                        update.setBytes(2, hash);
                        update.setString(3, tenant);
                        update.executeUpdate();
                        c.commit();
                        long done = System.nanoTime();
                        rows.incrementAndGet();
                        last.accumulateAndGet(done, Math::max);
                        if (n == mine.length) {
                            mine = Arrays.copyOf(mine, n * 2);
                        }
                        mine[n++] = done - s;
                    }
                } catch (SQLException | java.security.NoSuchAlgorithmException e) {
                    throw new IllegalStateException(e);
                }
                latencies.add(Arrays.copyOf(mine, n));
            });
        }
        runAll(writers);
        openConnections.addAll(connections);
        r.ok = rows.get();
        r.rate = r.ok / ((last.get() - start) / 1e9);
        percentiles(r, latencies.stream().flatMapToLong(Arrays::stream).toArray());
        r.extra = "latency per entry";
        return r;
    }

    static UUID uuid7() {
        long ms = System.currentTimeMillis();
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        long hi = (ms << 16) | 0x7000L | (rnd.nextLong() & 0x0fffL);
        long lo = (rnd.nextLong() & 0x3fffffffffffffffL) | 0x8000000000000000L;
        return new UUID(hi, lo);
    }

    // ---------------------------------------------------------------- metrics and CPU

    private String prometheus() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(api + "/actuator/prometheus")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }

    private static double sum(String text, String metric, Function<String, Boolean> labels, boolean positiveOnly) {
        double total = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
                int sp = line.lastIndexOf(' ');
                String lbl = line.substring(0, sp);
                if (!labels.apply(lbl)) {
                    continue;
                }
                double v = Double.parseDouble(line.substring(sp + 1));
                if (!positiveOnly || v > 0) {
                    total += v;
                }
            }
        }
        return total;
    }

    private Map<String, Double> batchMetric() {
        String p = prometheus();
        return Map.of("count", sum(p, "ledger_append_batch_size_count", l -> true, false),
                "sum", sum(p, "ledger_append_batch_size_sum", l -> true, false));
    }

    private Map<String, Double> heap() {
        String p = prometheus();
        Function<String, Boolean> heap = l -> l.contains("area=\"heap\"");
        return Map.of("used", sum(p, "jvm_memory_used_bytes", heap, false), "max", sum(p, "jvm_memory_max_bytes", heap, true),
                "live", sum(p, "jvm_gc_live_data_size_bytes", l -> true, false));
    }

    private static double mb(Double bytes) {
        return bytes == null ? Double.NaN : bytes / (1024.0 * 1024.0);
    }

    private Optional<ProcessHandle> apiProcess() {
        return ProcessHandle.of(stackPid).stream().flatMap(ProcessHandle::children)
                .filter(p -> p.info().arguments().map(a -> String.join(" ", a).contains("ledger-api")).orElse(false)).findFirst();
    }

    private String apiJvmFlags() {
        return apiProcess().flatMap(p -> p.info().arguments()).map(args -> {
            List<String> flags = new ArrayList<>();
            for (String a : args) {
                if (a.startsWith("-X") && !a.startsWith("-XX:+Unlock")) {
                    flags.add(a);
                }
            }
            return String.join(" ", flags);
        }).orElse("(process not found)");
    }

    /** CPU seconds so far of the parts of the system, and of the whole machine (/proc/stat). */
    record CpuSnapshot(Map<String, Double> seconds, double machineBusy) {
        double cores(CpuSnapshot before, double wall, String process) {
            return (seconds.getOrDefault(process, 0.0) - before.seconds.getOrDefault(process, 0.0)) / wall;
        }

        String minus(CpuSnapshot before, double wall) {
            StringBuilder b = new StringBuilder();
            double known = 0;
            for (Map.Entry<String, Double> e : seconds.entrySet()) {
                double used = e.getValue() - before.seconds.getOrDefault(e.getKey(), 0.0);
                known += used;
                b.append(String.format(Locale.ROOT, "%s %.2f ", e.getKey(), used / wall));
            }
            double other = Math.max(0, (machineBusy - before.machineBusy) - known);
            b.append(String.format(Locale.ROOT, "other %.2f", other / wall));
            return b.toString();
        }
    }

    private CpuSnapshot cpu() {
        Map<String, Double> s = new LinkedHashMap<>();
        double api = 0;
        double workers = 0;
        double stack = 0;
        Optional<ProcessHandle> stackProcess = ProcessHandle.of(stackPid);
        if (stackProcess.isPresent()) {
            stack = cpuOf(stackProcess.get());
            for (ProcessHandle p : stackProcess.get().children().toList()) {
                String cmd = p.info().commandLine().orElse("");
                if (cmd.contains("ledger-api")) {
                    api += cpuOf(p);
                } else if (cmd.contains("worker")) {
                    workers += cpuOf(p);
                }
            }
        }
        // the embedded PostgreSQL daemonises (pg_ctl): its postmaster serves the stack's data folder
        String dataDir = "-D " + root.resolve(".ledger/pg");
        double pg = ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(dataDir)).orElse(false))
                .mapToDouble(p -> cpuOf(p) + reapedChildrenCpu(p) + p.descendants().mapToDouble(WriteLoadBench::cpuOf).sum()).sum();
        s.put("api", api);
        s.put("pg", pg);
        s.put("bench", cpuOf(ProcessHandle.current()));
        s.put("kafka+stripe", stack);
        s.put("workers", workers);
        return new CpuSnapshot(s, machineBusy());
    }

    /**
     * CPU of a process's children that have exited and been waited for (cutime + cstime of /proc/PID/stat, in clock
     * ticks of 1/100 s). PostgreSQL backends and autovacuum workers come and go during a phase: summing only the live
     * processes lost an exited backend's time, and a phase could show PostgreSQL at negative cores.
     */
    private static double reapedChildrenCpu(ProcessHandle p) {
        try {
            String stat = Files.readString(Path.of("/proc/" + p.pid() + "/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[13]) + Long.parseLong(f[14])) / 100.0; // fields 16 and 17, counted from pid = 1
        } catch (Exception e) {
            return 0;
        }
    }

    private static double cpuOf(ProcessHandle p) {
        return p.info().totalCpuDuration().map(d -> d.toNanos() / 1e9).orElse(0.0);
    }

    private static double machineBusy() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long user = Long.parseLong(f[1]);
            long nice = Long.parseLong(f[2]);
            long system = Long.parseLong(f[3]);
            long irq = Long.parseLong(f[6]);
            long softirq = Long.parseLong(f[7]);
            return (user + nice + system + irq + softirq) / 100.0;
        } catch (Exception e) {
            return 0;
        }
    }

    // ---------------------------------------------------------------- report

    private void print(List<Result> results) {
        System.out.println();
        System.out.printf(Locale.ROOT, "%-54s %12s %-10s %8s %8s %8s %8s %7s  %s%n", "case", "rate", "", "p50 ms", "p99 ms", "p99.9",
                "max ms", "batch", "CPU in cores (2 = whole machine)");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "%-54s %,12.0f %-10s %8.1f %8.1f %8.1f %8.1f %7s  %s%n", r.name, r.rate, r.unit, r.p50 / 1e6,
                    r.p99 / 1e6, r.p999 / 1e6, r.max / 1e6, Double.isNaN(r.avgBatch) ? "-" : String.format(Locale.ROOT, "%.0f", r.avgBatch),
                    r.cpu + (Double.isNaN(r.apiCores) || r.rate <= 0 ? "" : String.format(Locale.ROOT, "  = api %.0f us, pg %.0f us per %s",
                            r.micros(r.apiCores), r.micros(r.pgCores), r.unit.replace("/s", "").replaceAll("s$", "").replace("entrie", "entry"))));
            String notes = r.extra + (r.kafka.isEmpty() ? "" : "; " + r.kafka) + (r.limited + r.failed > 0 ? "; " + r.limited + " answered 429, " + r.failed + " failed"
                    + (r.firstFailure == null ? "" : " (first: " + r.firstFailure + ")") : "");
            System.out.println("       " + notes);
        }
        System.out.println("  batch = mean entries per append transaction (ledger_append_batch_size), '-' where the ledger is not involved");
    }

    private static void target(String what, double value, String goal, boolean met) {
        System.out.printf(Locale.ROOT, "  %-46s %12.2f   target %-8s %s%n", what, value, goal, met ? "met" : "MISSED");
    }
}
