package dev.ledger.api.bench;

import dev.ledger.api.LedgerClient;
import dev.ledger.api.RunningLedger;
import dev.ledger.api.SharedInfrastructure;
import dev.ledger.api.read.ChainAudit;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.evaluation.GateOutcome;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.verify.BundleVerification;
import dev.ledger.core.verify.BundleVerifier;
import dev.ledger.core.chain.Sha256;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 3's benchmark on a 1,000,000-entry tenant: verification streamed from the database (the same work as
 * POST /verifications: every link and hash, plus the Merkle tree for the checkpoints), verification of the exported
 * bundle by the offline verifier, the raw SHA-256 rate of the same bytes in the same run, and inclusion proofs at 1M.
 * Run: {@code ./ledger bench ChainVerificationBench [-Dentries=N]}. Prints; asserts nothing.
 * The entries are written straight into the store with valid links (a million API appends would measure the write
 * path, which has its own bench).
 */
class ChainVerificationBench {

    @Test
    void verifyAMillionEntries() throws Exception {
        int n = Integer.getInteger("entries", 1_000_000);
        SharedInfrastructure infra = SharedInfrastructure.get();
        String tenant = "bench-" + UUID.randomUUID().toString().substring(0, 8);
        try (RunningLedger ledger = RunningLedger.start(infra)) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Bench"));
            long t0 = System.nanoTime();
            long bytes = fill(infra, tenant, n);
            System.out.printf("wrote %,d chained entries in %.1f s%n", n, secs(t0));

            // the service snapshots its aggregates every 1,000 events; entries written straight into the store have none, so
            // one append loads them once and waits for its snapshot, as a ledger that grew through the API would be
            admin.post("/v1/tenants/" + tenant + "/verifications", Map.of("from_sequence", n, "to_sequence", n));
            awaitSnapshot(infra, tenant);
            // the publisher is still sending the million entries written above to Kafka: let it finish, so the figures
            // are those of a server at rest, not of one sharing its two cores with a backlog
            awaitPublisherCaughtUp(ledger);
            ChainAudit audit = ledger.context().getBean(ChainAudit.class);
            List<Double> dbRates = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                // what an auditor runs: POST /verifications (every link and hash, plus the Merkle tree against the signed
                // checkpoints), timed end to end over HTTP
                long v0 = System.nanoTime();
                LedgerClient.Answer run = admin.post("/v1/tenants/" + tenant + "/verifications", Map.of());
                double s = secs(v0);
                long checked = run.body().path("checked").asLong();
                dbRates.add(checked / s);
                System.out.printf("database round %d: HTTP %d %s, %,d checked in %.2f s, %,.0f entries/s%n", round + 1, run.status(),
                        run.body().path("status").asText(), checked, s, checked / s);
            }
            dbRates.sort(Double::compare);
            double fromDb = dbRates.get(1);

            // the same bytes through SHA-256 alone: payload, metadata and an entry frame per entry
            List<byte[]> payloads = new ArrayList<>();
            AtomicLong count = new AtomicLong();
            audit.stream(tenant, 2, Math.min(n + 1, 200_001), e -> payloads.add(e.payload()));
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] meta = new byte[18];
            byte[] frame = new byte[260];
            long r0 = System.nanoTime();
            for (int rep = 0; rep < 5; rep++) {
                for (byte[] p : payloads) {
                    sha.update(p);
                    sha.digest();
                    sha.update(meta);
                    sha.digest();
                    sha.update(frame);
                    sha.digest();
                    count.incrementAndGet();
                }
            }
            double raw = count.get() / secs(r0);

            Path bundle = Files.createTempFile("bench", ".ndjson");
            long e0 = System.nanoTime();
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/tenants/" + tenant + "/export"))
                    .header("Authorization", "Bearer " + RunningLedger.ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofFile(bundle));
            double exportSecs = secs(e0);
            long p0 = System.nanoTime();
            LedgerClient.Answer firstProof = admin.get("/v1/tenants/" + tenant + "/entries/123457/proof?size=" + (n + 1));
            double firstProofMs = (System.nanoTime() - p0) / 1e6;
            for (int i = 0; i < 1000; i++) { // warm-up: a server answers proofs all day, not its first 300
                admin.get("/v1/tenants/" + tenant + "/entries/" + (1 + (i * 7919L) % n) + "/proof?size=" + (n + 1));
            }
            List<Double> proofs = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                long q0 = System.nanoTime();
                admin.get("/v1/tenants/" + tenant + "/entries/" + (1 + (i * 4999L) % n) + "/proof?size=" + (n + 1));
                proofs.add((System.nanoTime() - q0) / 1e6);
            }
            proofs.sort(Double::compare);
            // the proof itself, inside the service (stored subtrees and one block of leaves), without HTTP and auth
            var service = ledger.context().getBean(dev.ledger.api.checkpoint.CheckpointService.class);
            long[] inside = new long[2_000];
            for (int i = 0; i < inside.length; i++) {
                long q0 = System.nanoTime();
                service.inclusion(tenant, 1 + (i * 97L) % n, n + 1);
                inside[i] = System.nanoTime() - q0;
            }
            java.util.Arrays.sort(inside);

            // offline means without the ledger: an auditor checks the bundle on a machine of their own, so the service
            // stops first and the verification gets the cores to itself
            ledger.close();
            List<Double> bundleRates = new ArrayList<>();
            BundleVerification offline = null;
            for (int round = 0; round < 5; round++) {
                long o0 = System.nanoTime();
                offline = new BundleVerifier().verify(bundle);
                bundleRates.add(offline.checked() / secs(o0));
            }
            System.out.println("offline rounds (entries/s): " + bundleRates.stream().map(r -> String.format("%,.0f", r)).toList());
            bundleRates.sort(Double::compare);
            double fromBundle = bundleRates.get(2);
            System.out.println("offline: " + offline.summary());
            TwoClocks cli = TwoClocks.of("verifier CLI rounds (entries/s", () -> verifierCli(bundle, n + 1));
            List<Double> cliRates = cli.own();
            List<Double> cliWallRates = cli.wall();
            // the floor under the cold CLI: a fresh JVM with the same options that only hashes each line once
            TwoClocks floor = TwoClocks.of("cold hash floor rounds (lines/s", () -> coldHashFloor(bundle));
            List<Double> floorRates = floor.own();
            List<Double> floorWallRates = floor.wall();
            // the floor: SHA-256 of the bundle's bytes, on one core and on every core (the bundle cut in equal parts)
            double fileSha1 = fileSha256(bundle, 1) * (n + 1) / Files.size(bundle);
            int cores = Runtime.getRuntime().availableProcessors();
            double fileShaAll = fileSha256(bundle, cores) * (n + 1) / Files.size(bundle);


            System.out.println();
            System.out.printf("| measure (%,d entries, %,d MB of payload, fsync on, 2 cores) | figure |%n", n, bytes / 1_000_000);
            System.out.println("|---|---|");
            System.out.printf("| verification from the database over HTTP (links, hashes, Merkle tree), median / best of 3 | %,.0f / %,.0f entries/s |%n",
                    fromDb, dbRates.get(2));
            System.out.printf("| export over HTTP (NDJSON) | %.1f s, %,d MB |%n", exportSecs, Files.size(bundle) / 1_000_000);
            System.out.printf("| offline verification of the bundle, median / best of 5 | %,.0f / %,.0f entries/s |%n", fromBundle,
                    bundleRates.get(4));
            System.out.printf("| the verifier CLI in a fresh JVM (./ledger verify's command line), median / best of 3, from its own clock | %,.0f / %,.0f entries/s |%n",
                    cliRates.get(1), cliRates.get(2));
            System.out.printf("| the same, with the JVM's start (process wall time), median / best of 3 | %,.0f / %,.0f entries/s |%n",
                    cliWallRates.get(1), cliWallRates.get(2));
            System.out.printf("| floor of a fresh JVM with the CLI's options: read the bundle and SHA-256 each line once, every core, "
                    + "no parsing (ColdHashFloor), median / best of 3, own clock; with the JVM's start | %,.0f / %,.0f; %,.0f / %,.0f lines/s |%n",
                    floorRates.get(1), floorRates.get(2), floorWallRates.get(1), floorWallRates.get(2));
            System.out.printf("| raw SHA-256 of the same bytes (3 digests per entry, 1 thread) | %,.0f entries/s |%n", raw);
            System.out.printf("| raw SHA-256 of the bundle file, 1 thread / %d threads | %,.0f / %,.0f entries/s |%n", cores, fileSha1,
                    fileShaAll);
            System.out.printf("| offline / raw SHA-256 of the file on 1 core; cold CLI / the same; cold CLI / the cold floor | %.2f; %.2f; %.2f |%n",
                    fromBundle / fileSha1, cliRates.get(1) / fileSha1, cliRates.get(1) / floorRates.get(1));
            System.out.printf("| first inclusion proof at %,d over HTTP (extends the stored tree from the database) | %.0f ms (HTTP %d) |%n", n,
                    firstProofMs, firstProof.status());
            System.out.printf("| inclusion proof at %,d over HTTP, p50 / p99 | %.2f / %.2f ms |%n", n, proofs.get(500), proofs.get(990));
            System.out.printf("| inclusion proof at %,d inside the service, p50 / p99 | %.1f / %.1f µs |%n", n, inside[1000] / 1e3,
                    inside[1980] / 1e3);
            Files.deleteIfExists(bundle);
        }
    }

    /** Appends n valid chained evaluation entries after the tenant's head, straight into the store. */
    private static long fill(SharedInfrastructure infra, String tenant, int n) throws Exception {
        long bytes = 0;
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl() + "&reWriteBatchedInserts=true")) {
            c.setAutoCommit(false);
            long head;
            byte[] prev;
            try (var rs = c.createStatement().executeQuery("select sequence_number + 1, entry_hash from domain_event_entry"
                    + " where aggregate_identifier = '" + tenant + "' order by sequence_number desc limit 1")) {
                rs.next();
                head = rs.getLong(1);
                prev = rs.getBytes(2);
            }
            byte[] meta = "{\"actor\":\"bench\"}".getBytes();
            String type = EntryTypes.nameOf(EvaluationRecorded.class);
            try (PreparedStatement ps = c.prepareStatement("insert into domain_event_entry (event_identifier, aggregate_identifier,"
                    + " sequence_number, type, time_stamp, payload_type, payload_revision, payload, meta_data, prev_hash, entry_hash)"
                    + " values (?, ?, ?, 'TenantLedger', ?, ?, '1', ?, ?, ?, ?)")) {
                for (int i = 1; i <= n; i++) {
                    long seq = head + i;
                    byte[] payload = LedgerJson.mapper().writeValueAsBytes(new EvaluationRecorded(tenant, "ev_" + seq, "pol_pii", "7",
                            "agent:42", "sha256:" + "ab".repeat(32), TerminalState.REJECTED,
                            List.of(new GateResult("pii", GateOutcome.FAIL, "PII_EMAIL")), "2026-11-21T10:00:00Z"));
                    bytes += payload.length;
                    String id = UUID.randomUUID().toString();
                    String at = Instant.now().toString();
                    byte[] hash = EntryFraming.hash(tenant, seq, id, type, "1", at, Sha256.of(payload), Sha256.of(meta), prev);
                    ps.setString(1, id);
                    ps.setString(2, tenant);
                    ps.setLong(3, seq - 1);
                    ps.setString(4, at);
                    ps.setString(5, type);
                    ps.setBytes(6, payload);
                    ps.setBytes(7, meta);
                    ps.setBytes(8, prev);
                    ps.setBytes(9, hash);
                    ps.addBatch();
                    prev = hash;
                    if (i % 5000 == 0) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
                ps.executeBatch();
                c.commit();
            }
        }
        return bytes;
    }

    /**
     * Runs {@code ./ledger verify} on the bundle (the CLI as a user runs it: a fresh JVM with the script's options);
     * entries/s from the time it reports (no JVM start) and from the process's wall time (with it).
     */
    private static double[] verifierCli(Path bundle, long entries) throws Exception {
        long t0 = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(Path.of("..", "ledger").toString(), "verify", bundle.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String err = new String(p.getErrorStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the verifier CLI answered " + p.exitValue() + ": " + err);
        }
        double wall = secs(t0);
        var done = java.util.regex.Pattern.compile("done in ([0-9.]+) s").matcher(err);
        if (!done.find()) {
            throw new IllegalStateException("the verifier CLI did not say how long it took: " + err);
        }
        return new double[] {entries / Double.parseDouble(done.group(1)), entries / wall};
    }

    /**
     * Three runs of a fresh JVM, each answering {rate from its own clock, rate with the JVM's start}: both lists
     * printed in run order, then sorted (index 1 the median, 2 the best).
     */
    private record TwoClocks(List<Double> own, List<Double> wall) {
        static TwoClocks of(String label, java.util.concurrent.Callable<double[]> run) throws Exception {
            List<Double> own = new ArrayList<>();
            List<Double> wall = new ArrayList<>();
            for (int round = 0; round < 3; round++) {
                double[] rates = run.call();
                own.add(rates[0]);
                wall.add(rates[1]);
            }
            System.out.println(label + ", from its own clock / with the JVM's start): "
                    + own.stream().map(r -> String.format("%,.0f", r)).toList() + " / "
                    + wall.stream().map(r -> String.format("%,.0f", r)).toList());
            own.sort(Double::compare);
            wall.sort(Double::compare);
            return new TwoClocks(own, wall);
        }
    }

    /**
     * Runs {@link ColdHashFloor} on the bundle in a fresh JVM started as {@code ./ledger verify} starts the CLI (same
     * java, same options); lines/s from its own clock and from the process's wall time.
     */
    private static double[] coldHashFloor(Path bundle) throws Exception {
        Path classes = Path.of(ColdHashFloor.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        long t0 = System.nanoTime();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-XX:+UseSerialGC",
                "-cp", classes.toString(), ColdHashFloor.class.getName(), bundle.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) {
            throw new IllegalStateException("the cold hash floor answered " + p.exitValue() + ": " + out);
        }
        double wall = secs(t0);
        var m = java.util.regex.Pattern.compile("lines (\\d+) seconds ([0-9.]+)").matcher(out);
        if (!m.find()) {
            throw new IllegalStateException("the cold hash floor did not say what it did: " + out);
        }
        long lines = Long.parseLong(m.group(1));
        return new double[] {lines / Double.parseDouble(m.group(2)), lines / wall};
    }

    /** Bytes/s of SHA-256 over the file, cut into {@code threads} equal parts hashed at once (best of 3). */
    private static double fileSha256(Path file, int threads) throws Exception {
        byte[] all = Files.readAllBytes(file);
        double best = 0;
        var pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 3; round++) {
                long t0 = System.nanoTime();
                List<java.util.concurrent.Future<?>> parts = new ArrayList<>();
                for (int i = 0; i < threads; i++) {
                    int from = (int) ((long) all.length * i / threads);
                    int to = (int) ((long) all.length * (i + 1) / threads);
                    parts.add(pool.submit(() -> {
                        MessageDigest md = Sha256.newDigest();
                        for (int at = from; at < to; at += 1 << 20) {
                            md.update(all, at, Math.min(1 << 20, to - at));
                        }
                        return md.digest();
                    }));
                }
                for (var part : parts) {
                    part.get();
                }
                best = Math.max(best, all.length / secs(t0));
            }
        } finally {
            pool.shutdown();
        }
        return best;
    }

    private static void awaitPublisherCaughtUp(RunningLedger ledger) throws InterruptedException {
        var publisher = ledger.context().getBean(dev.ledger.api.chain.EntryPublisher.class);
        long t0 = System.nanoTime();
        while (secs(t0) < 600) {
            if (publisher.caughtUp()) {
                System.out.printf("publisher caught up with the store after %.0f s of waiting%n", secs(t0));
                return;
            }
            Thread.sleep(200);
        }
        System.out.println("publisher still behind after 600 s");
    }

    private static void awaitSnapshot(SharedInfrastructure infra, String tenant) throws Exception {
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl())) {
            for (int i = 0; i < 600; i++) {
                try (var rs = c.createStatement().executeQuery("select count(*) from snapshot_event_entry where aggregate_identifier = '"
                        + tenant + "'")) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                Thread.sleep(100);
            }
        }
        System.out.println("no snapshot after 60 s: the verification's own record will replay the chain");
    }

    private static double secs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }
}
