package dev.ledger.ops;

import dev.ledger.core.chain.CheckpointKey;
import dev.ledger.core.chain.Cosignature;
import dev.ledger.ops.kafka.LocalKafka;
import dev.ledger.ops.postgres.LocalPostgres;
import dev.ledger.ops.stripe.StripeEmulator;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ./ledger up}: a real PostgreSQL, a real Kafka broker and the Stripe emulator, then ledger-api and both
 * workers as separate processes; waits until each is ready, prints where everything is, and stops it all on
 * Ctrl-C. Data stays under {@code .ledger/}, so a second start continues every chain where it stopped.
 */
public final class LocalStack {

    record Service(String name, Process process, String readyUrl) {
    }

    /** The local stack's witness: its cosigner name, and the database it keeps its state in. */
    static final String WITNESS_NAME = "witness.localhost/w1";
    static final String WITNESS_DATABASE = "witness";

    private final Path home;
    private final Path state;
    private final List<Service> services = new ArrayList<>();
    private LocalPostgres postgres;
    private LocalKafka kafka;
    private StripeEmulator stripe;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    LocalStack(Path home) {
        this.home = home;
        this.state = home.resolve(".ledger");
    }

    public static void main(String[] args) throws Exception {
        Path home = Path.of(System.getProperty("ledger.home", ".")).toAbsolutePath().normalize();
        if (args.length > 0 && (args[0].equals("backup") || args[0].equals("restore"))) {
            System.exit(dev.ledger.ops.backup.DatabaseBackup.run(home, args));
        }
        System.setProperty("sun.net.httpserver.nodelay", "true");
        LocalStack stack = new LocalStack(home);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.stop();
            stopped.countDown();
        }, "ledger-stop"));
        try {
            stack.start();
        } catch (Exception e) {
            System.err.println("ledger: start failed: " + e);
            for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
                System.err.println("ledger:   caused by " + c);
            }
            System.err.println("ledger: logs are in " + stack.state.resolve("logs"));
            System.exit(1);
        }
        stopped.await();
    }

    void start() throws Exception {
        long t0 = System.nanoTime();
        Files.createDirectories(state.resolve("logs"));
        Files.writeString(state.resolve("stack.pid"), Long.toString(ProcessHandle.current().pid()));
        int pgPort = intEnv("LEDGER_PG_PORT", 15432);
        int kafkaPort = intEnv("LEDGER_KAFKA_PORT", 19092);
        int stripePort = intEnv("LEDGER_STRIPE_PORT", StripeEmulator.DEFAULT_PORT);
        int apiPort = intEnv("LEDGER_API_PORT", 8080);
        int meterPort = intEnv("METER_READER_PORT", 8081);
        int invoicePort = intEnv("INVOICE_WORKER_PORT", 8082);
        int witnessPort = intEnv("WITNESS_PORT", 8083);

        CompletableFuture<LocalPostgres> pg = CompletableFuture.supplyAsync(() -> call(() -> LocalPostgres.start(state.resolve("pg"), pgPort)));
        // Kafka starts on this thread: it loads classes through the context class loader, which pool threads lack
        kafka = LocalKafka.start(state.resolve("kafka"), kafkaPort);
        stripe = StripeEmulator.start(stripePort);
        postgres = pg.join();
        say("PostgreSQL 17 ready on 127.0.0.1:" + postgres.port() + " (" + postgres.durabilitySettings() + ")");
        say("Kafka ready on " + kafka.bootstrapServers());
        say("Stripe emulator ready on " + stripe.url());

        String adminKey = secret("admin-key", () -> "lk_admin_" + hex(32));
        String pepper = secret("key-pepper", () -> hex(32));
        String meterAdminToken = secret("meter-reader-admin-token", () -> hex(32));
        String[] checkpointKey = secret("checkpoint-key", LocalStack::ed25519).split("\n");
        String apiUrl = "http://127.0.0.1:" + apiPort;
        // The DBA's part: each service logs in as its own role (a new password every start), only migrations as the
        // owner (postgres here); see README "External PostgreSQL".
        LocalPostgres.Login apiLogin = postgres.serviceLogin("ledger_api", "ledger_app", hex(24));
        LocalPostgres.Login meterLogin = postgres.serviceLogin("meter_reader", "meter_reader_app", hex(24));
        LocalPostgres.Login invoiceLogin = postgres.serviceLogin("invoice_worker", "invoice_worker_app", hex(24));
        LocalPostgres.Login witnessLogin = postgres.serviceLogin("witness", "witness_app", hex(24));
        say("PostgreSQL logins: ledger_api (ledger-api), meter_reader (meter-reader-worker), invoice_worker "
                + "(invoice-worker), witness (the witness, in its own database " + WITNESS_DATABASE + "); migrations as postgres");
        Map<String, String> common = new LinkedHashMap<>();
        common.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        common.put("STRIPE_API_BASE", stripe.url());
        common.put("STRIPE_API_KEY", "sk_test_local_emulator");

        // A witness of the ledger's checkpoints (C2SP tlog-witness), with its own key and its own database: in a real
        // deployment a tenant or an auditor runs it elsewhere (witness/README.md).
        byte[] witnessSeed = java.util.Base64.getDecoder().decode(secret("witness-key", () -> java.util.Base64.getEncoder()
                .encodeToString(random(32))));
        Cosignature.CosignerKey witnessKey = Cosignature.Cosigner.of(WITNESS_NAME, witnessSeed).key();
        String origin = System.getenv().getOrDefault("LEDGER_CHECKPOINT_ORIGIN", "ledger.localhost");
        postgres.createDatabaseIfMissing(WITNESS_DATABASE);
        Map<String, String> witnessEnv = new LinkedHashMap<>();
        witnessEnv.put("WITNESS_PORT", Integer.toString(witnessPort));
        witnessEnv.put("WITNESS_NAME", WITNESS_NAME);
        witnessEnv.put("WITNESS_KEY", java.util.Base64.getEncoder().encodeToString(witnessSeed));
        String ledgerNoteKey = CheckpointKey.fromBase64(checkpointKey[1]).noteVerifierKey(origin).encoded();
        witnessEnv.put("WITNESS_LOGS", origin + "/tenants/=" + ledgerNoteKey + "," + origin + "/checkpoints=" + ledgerNoteKey);
        witnessEnv.put("DATABASE_URL", witnessLogin.databaseUrl(WITNESS_DATABASE));
        witnessEnv.put("LEDGER_MIGRATION_DATABASE_URL", postgres.databaseUrl(WITNESS_DATABASE));
        String witnessUrl = "http://127.0.0.1:" + witnessPort;
        launch("witness", jar("witness"), witnessEnv, "-Xmx128m", witnessUrl + "/ready");
        awaitReady(services.get(services.size() - 1), Duration.ofSeconds(60));
        say("witness ready on " + witnessUrl + " (" + witnessKey.encoded() + ")");

        Map<String, String> apiEnv = new LinkedHashMap<>(common);
        apiEnv.put("LEDGER_WITNESSES", witnessUrl + "=" + witnessKey.encoded());
        apiEnv.put("DATABASE_URL", apiLogin.databaseUrl());
        apiEnv.put("LEDGER_MIGRATION_DATABASE_URL", postgres.databaseUrl());
        apiEnv.put("LEDGER_ADMIN_KEY", adminKey);
        apiEnv.put("LEDGER_KEY_PEPPER", pepper);
        apiEnv.put("LEDGER_CHECKPOINT_PRIVATE_KEY", checkpointKey[0]);
        apiEnv.put("LEDGER_CHECKPOINT_PUBLIC_KEY", checkpointKey[1]);
        apiEnv.put("PORT", Integer.toString(apiPort));
        launch("ledger-api", jar("ledger-api"), apiEnv, LEDGER_API_JVM, apiUrl + "/ready");
        awaitReady(services.get(services.size() - 1), Duration.ofSeconds(90));
        say("ledger-api ready on " + apiUrl);

        String serviceKey = serviceKey(apiUrl, adminKey);
        Map<String, String> workerEnv = new LinkedHashMap<>(common);
        workerEnv.put("LEDGER_API_URL", apiUrl);
        workerEnv.put("LEDGER_SERVICE_KEY", serviceKey);
        workerEnv.put("METER_READER_PORT", Integer.toString(meterPort));
        workerEnv.put("INVOICE_WORKER_PORT", Integer.toString(invoicePort));
        Map<String, String> meterEnv = new LinkedHashMap<>(workerEnv);
        meterEnv.put("METER_READER_ADMIN_TOKEN", meterAdminToken);
        meterEnv.put("DATABASE_URL", meterLogin.databaseUrl());
        meterEnv.put("LEDGER_MIGRATION_DATABASE_URL", postgres.databaseUrl());
        launch("meter-reader-worker", jar("meter-reader-worker"), meterEnv, METER_READER_JVM,
                "http://127.0.0.1:" + meterPort + "/ready");
        Map<String, String> invoiceEnv = new LinkedHashMap<>(workerEnv);
        invoiceEnv.put("DATABASE_URL", invoiceLogin.databaseUrl());
        invoiceEnv.put("LEDGER_MIGRATION_DATABASE_URL", postgres.databaseUrl());
        launch("invoice-worker", jar("invoice-worker"), invoiceEnv, "-Xmx256m", "http://127.0.0.1:" + invoicePort + "/ready");
        for (Service s : services.subList(2, services.size())) {
            awaitReady(s, Duration.ofSeconds(60));
            say(s.name() + " ready (" + s.readyUrl().replace("/ready", "") + ")");
        }

        Files.writeString(state.resolve("stack.env"), String.join("\n",
                "LEDGER_API_URL=" + apiUrl,
                "LEDGER_ADMIN_KEY=" + adminKey,
                "DATABASE_URL=" + postgres.databaseUrl(),
                "KAFKA_BOOTSTRAP_SERVERS=" + kafka.bootstrapServers(),
                "STRIPE_API_BASE=" + stripe.url(),
                "METER_READER_URL=http://127.0.0.1:" + meterPort,
                "METER_READER_ADMIN_TOKEN=" + meterAdminToken,
                "INVOICE_WORKER_URL=http://127.0.0.1:" + invoicePort,
                "WITNESS_URL=" + witnessUrl) + "\n");
        restrict(state.resolve("stack.env"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.println();
        System.out.println("The ledger is up (ready in " + ms / 1000 + "." + (ms % 1000) / 100 + " s).");
        System.out.println("  ledger API        " + apiUrl + "   (OpenAPI: " + apiUrl + "/v3/api-docs, metrics: " + apiUrl + "/actuator/prometheus)");
        System.out.println("  console           " + apiUrl + "/console   (sign in with a key: finance:read, audit:read, or the admin key)");
        // the key itself is never printed: a terminal's scrollback and a detached stack's log would keep it
        System.out.println("  admin key         in " + state.resolve("admin-key") + "   (LEDGER_ADMIN_KEY in stack.env)");
        System.out.println("  PostgreSQL        " + postgres.databaseUrl() + "   (superuser, for operators; the services log in as ledger_api, meter_reader and invoice_worker)");
        System.out.println("  Kafka             " + kafka.bootstrapServers() + "   (topic ledger.entries)");
        System.out.println("  Stripe emulator   " + stripe.url());
        System.out.println("  meter-reader      http://127.0.0.1:" + meterPort + "/health   invoice-worker http://127.0.0.1:" + invoicePort + "/health");
        System.out.println("  parked windows    http://127.0.0.1:" + meterPort + "/parked   (Bearer token in .ledger/meter-reader-admin-token)");
        System.out.println("  checkpoint keys   " + checkpointKeys(apiUrl));
        System.out.println("  witness           " + witnessUrl + "/key   (cosigns every checkpoint; ./ledger monitor watches them)");
        System.out.println("  logs              " + state.resolve("logs"));
        System.out.println("  environment       " + state.resolve("stack.env"));
        System.out.println("Ctrl-C stops everything" + (System.getenv("LEDGER_DETACHED") != null ? " (detached: ./ledger down)" : "") + ".");
        System.out.flush();
        Files.writeString(state.resolve("stack.ready"), Long.toString(ms));
    }

    synchronized void stop() {
        for (int i = services.size() - 1; i >= 0; i--) {
            Service s = services.get(i);
            s.process().descendants().forEach(ProcessHandle::destroy);
            s.process().destroy();
        }
        for (Service s : services) {
            try {
                if (!s.process().waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    s.process().destroyForcibly();
                }
            } catch (InterruptedException e) {
                s.process().destroyForcibly();
            }
        }
        services.clear();
        quietly(() -> stripe.close(), stripe);
        quietly(() -> kafka.close(), kafka);
        quietly(() -> postgres.close(), postgres);
        try {
            Files.deleteIfExists(state.resolve("stack.pid"));
            Files.deleteIfExists(state.resolve("stack.ready"));
        } catch (IOException ignored) {
            // best effort
        }
        System.out.println("ledger: stopped");
    }

    /**
     * The meter-reader's heap and collector. Its batches (6,000 records, three in flight per consumer) are short-lived
     * but large: with 256 MB the serial collector's young generation was so small that collecting took 2.2 s of CPU per
     * million entries, with a 320 MB young generation 0.4 s. Every pause stops the consumer, the preparers and the
     * applier alike, so the parallel collector, which collects on both cores, takes half the pause time and leaves
     * more of the two cores to the pipeline ({@code ./ledger bench MeterReaderThroughputBench}). With 10,000-record
     * polls, three in flight outgrew the survivor spaces and were promoted: full collections, 0.4 to 1.6 s of collector
     * CPU per million entries against 0.2 to 0.3 s with 3,000. Since the follower reads records in place (no copy per
     * record) and keeps only an entry's chain fields between preparing and applying it, 6,000-record polls cost 0.1 to
     * 0.2 s.
     */
    public static final String METER_READER_JVM = "-Xmx512m -Xmn320m -XX:+UseParallelGC";
    /**
     * ledger-api's heap and collector. Under batch load (WriteLoadBench (a)) each in-flight request holds its parsed
     * items, commands and entries, and the publisher two batches of records: with the serial collector's default young
     * generation (about 170 MB of 512 MB) that was collected every 0.8 s, 125 ms a time at the median, 3.7 s of pauses
     * in 20 s. The same shape as the meter-reader's, for the same reason.
     */
    public static final String LEDGER_API_JVM = "-Xmx512m -Xmn320m -XX:+UseParallelGC";
    /** The other services' collector: small heaps, where one GC thread is the least overhead. */
    private static final String SMALL_HEAP_GC = "-XX:+UseSerialGC";

    /** {@code jvmOptions}: heap (and collector, else {@link #SMALL_HEAP_GC}). */
    private void launch(String name, Path jar, Map<String, String> env, String jvmOptions, String readyUrl) throws IOException {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java));
        command.addAll(List.of(jvmOptions.split(" ")));
        if (!jvmOptions.contains("GC")) {
            command.add(SMALL_HEAP_GC);
        }
        command.addAll(List.of("-Dsun.net.httpserver.nodelay=true", "-jar", jar.toString()));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().putAll(env);
        Path log = state.resolve("logs").resolve(name + ".log");
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        services.add(new Service(name, pb.start(), readyUrl));
    }

    private void awaitReady(Service s, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!s.process().isAlive()) {
                throw new IllegalStateException(s.name() + " exited with code " + s.process().exitValue()
                        + "; see .ledger/logs/" + s.name() + ".log");
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(s.readyUrl())).timeout(Duration.ofSeconds(3)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(s.name() + " was not ready within " + timeout.toSeconds() + " s; see .ledger/logs/" + s.name() + ".log");
    }

    /** The workers' billing:write key: reused while the ledger still accepts it, otherwise issued anew. */
    private String serviceKey(String apiUrl, String adminKey) throws Exception {
        Path file = state.resolve("service-key");
        if (Files.exists(file)) {
            String key = Files.readString(file).strip();
            HttpResponse<Void> probe = http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/v1/tenants/-probe-"))
                    .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.discarding());
            if (probe.statusCode() != 401) {
                return key;
            }
        }
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/v1/service-keys"))
                .header("Authorization", "Bearer " + adminKey).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 201) {
            throw new IllegalStateException("could not issue the workers' service key: HTTP " + r.statusCode());
        }
        String key = com.fasterxml.jackson.databind.json.JsonMapper.builder().build().readTree(r.body()).get("key").asText();
        Files.writeString(file, key);
        restrict(file);
        return key;
    }

    /** "key_id=public key" of every key that signed checkpoints, as the API serves them. */
    private String checkpointKeys(String apiUrl) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(apiUrl + "/v1/checkpoint-keys")).build(),
                    HttpResponse.BodyHandlers.ofString());
            List<String> keys = new ArrayList<>();
            for (var k : com.fasterxml.jackson.databind.json.JsonMapper.builder().build().readTree(r.body()).get("keys")) {
                keys.add(k.get("key_id").asText() + " Ed25519 " + k.get("public_key").asText());
            }
            return String.join("\n                    ", keys) + "   (" + apiUrl + "/v1/checkpoint-keys)";
        } catch (Exception e) {
            return apiUrl + "/v1/checkpoint-keys";
        }
    }

    /** A fresh Ed25519 checkpoint signing key: base64 PKCS#8 private key, newline, base64 X.509 public key. */
    private static String ed25519() {
        try {
            java.security.KeyPair pair = java.security.KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            java.util.Base64.Encoder b64 = java.util.Base64.getEncoder();
            return b64.encodeToString(pair.getPrivate().getEncoded()) + "\n" + b64.encodeToString(pair.getPublic().getEncoded());
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no Ed25519", e);
        }
    }

    private Path jar(String module) throws IOException {
        Path target = home.resolve(module).resolve("target");
        try (var files = Files.list(target)) {
            return files.filter(p -> p.getFileName().toString().endsWith("-exec.jar")).findFirst()
                    .orElseThrow(() -> new IOException("no executable jar in " + target + ": build first (./ledger build)"));
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException("no executable jar in " + target + ": build first (./ledger build)");
        }
    }

    private String secret(String name, java.util.function.Supplier<String> generate) throws IOException {
        Path file = state.resolve(name);
        if (Files.exists(file)) {
            return Files.readString(file).strip();
        }
        String value = generate.get();
        Files.writeString(file, value);
        restrict(file);
        return value;
    }

    private static void restrict(Path file) throws IOException {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    }

    private static String hex(int bytes) {
        return HexFormat.of().formatHex(random(bytes));
    }

    private static byte[] random(int bytes) {
        byte[] b = new byte[bytes];
        new SecureRandom().nextBytes(b);
        return b;
    }

    private static int intEnv(String name, int fallback) {
        String v = System.getenv(name);
        return v == null || v.isBlank() ? fallback : Integer.parseInt(v.strip());
    }

    private static void say(String line) {
        System.out.println("ledger: " + line);
    }

    private interface Step<T> {
        T run() throws Exception;
    }

    private static <T> T call(Step<T> step) {
        try {
            return step.run();
        } catch (Exception e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private interface Closer {
        void close() throws Exception;
    }

    private static void quietly(Closer closer, Object target) {
        if (target == null) {
            return;
        }
        try {
            closer.close();
        } catch (Exception e) {
            System.err.println("ledger: while stopping: " + e.getMessage());
        }
    }
}
