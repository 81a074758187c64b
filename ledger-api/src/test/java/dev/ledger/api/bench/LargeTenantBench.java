package dev.ledger.api.bench;

import dev.ledger.api.LargeTenantRows;
import dev.ledger.api.LedgerClient;
import dev.ledger.api.RunningLedger;
import dev.ledger.api.SharedInfrastructure;
import dev.ledger.core.verify.BundleVerification;
import dev.ledger.core.verify.BundleVerifier;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 16: a 5,000,000-entry tenant served by a ledger-api limited to a 512 MB heap, in a JVM of its own
 * ({@code -Xmx512m -XX:+ExitOnOutOfMemoryError}): the first checkpoint (the whole chain streamed once into the stored
 * tree), the next one after 1,000 more entries, inclusion proofs, a full verification, an export, and the offline
 * verification of that export. Prints each figure and the largest heap use seen; asserts nothing about time.
 * Run: {@code ./ledger bench LargeTenantBench [-Dentries=N] [-Dbench.heap=512m]}.
 */
class LargeTenantBench {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void serveAFiveMillionEntryTenantInA512MbHeap() throws Exception {
        int n = Integer.getInteger("entries", 5_000_000);
        String heap = System.getProperty("bench.heap", "512m");
        SharedInfrastructure infra = SharedInfrastructure.get();
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + heap, "-XX:+ExitOnOutOfMemoryError", "-cp", System.getProperty("java.class.path"),
                "dev.ledger.api.LedgerApiApplication"));
        Map.of("server.port", port, "spring.datasource.url", infra.postgres.jdbcUrl(), "ledger.admin-key", RunningLedger.ADMIN_KEY,
                        "ledger.key-pepper", "test-pepper-0123456789", "ledger.kafka-bootstrap-servers", infra.kafka.bootstrapServers())
                .forEach((k, v) -> command.add("--" + k + "=" + v));
        Path log = Files.createTempFile("large-tenant-api", ".log");
        Process api = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        String url = "http://127.0.0.1:" + port;
        AtomicLong peakHeap = new AtomicLong();
        Thread sampler = null;
        try {
            awaitUp(url, api, log);
            sampler = Thread.ofPlatform().daemon().start(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    peakHeap.accumulateAndGet(heapUsed(url), Math::max);
                    try {
                        Thread.sleep(250);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            LedgerClient admin = new LedgerClient(url, RunningLedger.ADMIN_KEY);
            String tenant = "large-" + UUID.randomUUID().toString().substring(0, 8);
            admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Large"));
            long t0 = System.nanoTime();
            LargeTenantRows.append(infra.postgres.jdbcUrl(), tenant, n - 1);
            System.out.printf("wrote %,d chained entries in %.1f s%n", n, secs(t0));
            List<String[]> rows = new ArrayList<>();

            t0 = System.nanoTime();
            LedgerClient.Answer first = admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of());
            rows.add(row("first checkpoint (streams the chain once into the stored tree)", secs(t0), first.status()));

            LargeTenantRows.append(infra.postgres.jdbcUrl(), tenant, 1_000);
            t0 = System.nanoTime();
            LedgerClient.Answer next = admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of());
            rows.add(row("next checkpoint, 1,000 entries later (reads those only)", secs(t0), next.status()));
            long size = next.body().path("size").asLong();

            t0 = System.nanoTime();
            int proofStatus = 0;
            for (int i = 0; i < 200; i++) {
                proofStatus = Math.max(proofStatus, admin.get("/v1/tenants/" + tenant + "/entries/" + (1 + (i * 24_999L) % size)
                        + "/proof?size=" + size).status());
            }
            rows.add(row("200 inclusion proofs at " + String.format("%,d", size) + " (each: stored subtrees + 1-2 blocks)", secs(t0), proofStatus));

            t0 = System.nanoTime();
            LedgerClient.Answer verification = post(url, "/v1/tenants/" + tenant + "/verifications");
            rows.add(row("full verification from the database (" + verification.body().path("status").asText() + ", "
                    + String.format("%,d", verification.body().path("checked").asLong()) + " checked)", secs(t0), verification.status()));

            Path bundle = Files.createTempFile("large-tenant", ".ndjson");
            t0 = System.nanoTime();
            HttpResponse<Path> export = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v1/tenants/" + tenant + "/export"))
                    .header("Authorization", "Bearer " + RunningLedger.ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofFile(bundle));
            rows.add(row("export over HTTP (" + Files.size(bundle) / 1_000_000 + " MB)", secs(t0), export.statusCode()));

            boolean alive = api.isAlive();
            sampler.interrupt();
            t0 = System.nanoTime();
            BundleVerification offline = new BundleVerifier().verify(bundle);
            rows.add(row("offline verification of the export (this JVM): " + offline.status(), secs(t0), 0));
            Files.deleteIfExists(bundle);

            System.out.println();
            System.out.printf("| %,d-entry tenant, ledger-api with -Xmx%s | seconds | HTTP |%n", size, heap);
            System.out.println("|---|---|---|");
            rows.forEach(r -> System.out.printf("| %s | %s | %s |%n", r[0], r[1], r[2]));
            System.out.printf("| largest heap use seen in ledger-api (sampled every 250 ms) | %,d MB | |%n", peakHeap.get() / 1_000_000);
            System.out.printf("| ledger-api still running at the end (no OutOfMemoryError) | %s | |%n", alive);
        } finally {
            if (sampler != null) {
                sampler.interrupt();
            }
            api.destroy();
            api.waitFor();
            System.out.println("ledger-api log: " + log);
        }
    }

    private static LedgerClient.Answer post(String url, String path) throws Exception {
        // a verification of millions of entries takes longer than LedgerClient's 30 s timeout
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofMinutes(30))
                .header("Authorization", "Bearer " + RunningLedger.ADMIN_KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        return new LedgerClient.Answer(r.statusCode(), dev.ledger.core.messages.LedgerJson.mapper().readTree(r.body()), r);
    }

    private static String[] row(String what, double seconds, int status) {
        return new String[] {what, String.format("%.2f", seconds), status == 0 ? "" : Integer.toString(status)};
    }

    private static long heapUsed(String url) {
        try {
            String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/actuator/prometheus")).timeout(Duration.ofSeconds(5))
                    .build(), HttpResponse.BodyHandlers.ofString()).body();
            long sum = 0;
            for (String line : metrics.split("\n")) {
                if (line.startsWith("jvm_memory_used_bytes{") && line.contains("area=\"heap\"")) {
                    sum += (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            return sum;
        } catch (Exception e) {
            return 0;
        }
    }

    private static void awaitUp(String url, Process api, Path log) throws Exception {
        long t0 = System.nanoTime();
        while (secs(t0) < 120) {
            if (!api.isAlive()) {
                throw new IllegalStateException("ledger-api exited at start: see " + log);
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(url + "/health")).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200) {
                    return;
                }
            } catch (java.io.IOException notYet) {
                // not listening yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("ledger-api did not start within 120 s: see " + log);
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
