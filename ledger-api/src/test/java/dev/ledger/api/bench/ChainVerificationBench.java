package dev.ledger.api.bench;

import dev.ledger.api.LedgerClient;
import dev.ledger.api.RunningLedger;
import dev.ledger.api.SharedInfrastructure;
import dev.ledger.core.messages.EvaluationRecorded;
import dev.ledger.core.messages.GateOutcome;
import dev.ledger.core.messages.GateResult;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.messages.TerminalState;
import dev.ledger.core.verify.BundleVerification;
import dev.ledger.core.verify.BundleVerifier;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Issue 3's benchmark: verification of a 1,000,000-entry tenant from the database (through the API) and from an
 * exported bundle (offline verifier), next to the raw SHA-256 rate of the same bytes in the same run, and the time of
 * an inclusion proof at 1M. Run: {@code ./ledger bench -pl ledger-api -Dtest=ChainVerificationBench}
 * ({@code -Dentries=N} to change the size). Prints figures; asserts nothing about time.
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
            LedgerClient client = admin.withKey(admin.post("/v1/tenants/" + tenant + "/api-keys",
                    Map.of("scopes", List.of("evaluations:write"))).body().get("key").asText());
            long t0 = System.nanoTime();
            List<byte[]> stored = fill(client, n);
            System.out.printf("appended %,d evaluations through POST /v1/evaluations:batch in %.1f s (%,.0f entries/s)%n", n, secs(t0), n / secs(t0));

            // raw SHA-256 over the same bytes a verifier hashes (payload, metadata, and the frame's size)
            long r0 = System.nanoTime();
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            for (byte[] payload : stored) {
                sha.update(payload);
                sha.digest();
                sha.update(new byte[2]);
                sha.digest();
                sha.update(new byte[240]);
                sha.digest();
            }
            double raw = n / secs(r0);

            LedgerClient.Answer warm = admin.post("/v1/tenants/" + tenant + "/verifications", Map.of("from_sequence", 1, "to_sequence", 1000));
            long v0 = System.nanoTime();
            LedgerClient.Answer verified = admin.post("/v1/tenants/" + tenant + "/verifications", Map.of());
            double fromDb = verified.body().get("checked").asLong() / secs(v0);
            System.out.println("API verification: " + verified.body() + " (warm-up " + warm.status() + ")");

            Path bundle = Files.createTempFile("bench", ".ndjson");
            long e0 = System.nanoTime();
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/tenants/" + tenant + "/export"))
                    .header("Authorization", "Bearer " + RunningLedger.ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofFile(bundle));
            double exportSecs = secs(e0);
            long o0 = System.nanoTime();
            BundleVerification offline = new BundleVerifier().verify(bundle);
            double fromBundle = offline.checked() / secs(o0);
            System.out.println("offline: " + offline.summary());

            long p0 = System.nanoTime();
            LedgerClient.Answer firstProof = admin.get("/v1/tenants/" + tenant + "/entries/123457/proof?size=" + n);
            double firstProofMs = (System.nanoTime() - p0) / 1e6;
            List<Double> proofs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                long q0 = System.nanoTime();
                admin.get("/v1/tenants/" + tenant + "/entries/" + (1 + (i * 4999L) % n) + "/proof?size=" + n);
                proofs.add((System.nanoTime() - q0) / 1e6);
            }
            proofs.sort(Double::compare);

            System.out.println();
            System.out.printf("| measure (%,d entries, fsync on, 2 cores) | figure |%n", n);
            System.out.println("|---|---|");
            System.out.printf("| verification from the database (API) | %,.0f entries/s |%n", fromDb);
            System.out.printf("| export (HTTP, NDJSON) | %.1f s, %,d MB |%n", exportSecs, Files.size(bundle) / 1_000_000);
            System.out.printf("| offline verification of the bundle | %,.0f entries/s |%n", fromBundle);
            System.out.printf("| raw SHA-256 of the same bytes (3 digests per entry) | %,.0f entries/s |%n", raw);
            System.out.printf("| offline / raw SHA-256 | %.2f |%n", fromBundle / raw);
            System.out.printf("| first inclusion proof at %,d (loads the tree) | %.0f ms (status %d) |%n", n, firstProofMs, firstProof.status());
            System.out.printf("| inclusion proof at %,d over HTTP, p50 / p99 | %.2f / %.2f ms |%n", n, proofs.get(100), proofs.get(197));
            Files.deleteIfExists(bundle);
        }
    }

    /** Appends n evaluations through the batch endpoint (1,000 per request, 4 clients), as a client would. */
    private static List<byte[]> fill(LedgerClient client, int n) throws Exception {
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        List<java.util.concurrent.Future<Integer>> sent = new ArrayList<>();
        for (int from = 0; from < n; from += 1000) {
            int start = from;
            sent.add(pool.submit(() -> {
                List<Map<String, Object>> items = new ArrayList<>();
                for (int i = start; i < Math.min(n, start + 1000); i++) {
                    Map<String, Object> item = new java.util.HashMap<>(LedgerClient.evaluation("ev_" + i));
                    item.put("idempotency_key", "b" + i);
                    items.add(item);
                }
                return client.post("/v1/evaluations:batch", Map.of("items", items)).status();
            }));
        }
        for (var f : sent) {
            if (f.get() != 200) {
                throw new IllegalStateException("batch answered " + f.get());
            }
        }
        pool.shutdown();
        List<byte[]> payloads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            payloads.add(LedgerJson.mapper().writeValueAsBytes(new EvaluationRecorded("bench", "ev_" + i, "pol_pii", "7",
                    "agent:42", "sha256:" + "ab".repeat(32), TerminalState.REJECTED,
                    List.of(new GateResult("pii", GateOutcome.FAIL, "PII_EMAIL")), "2026-11-21T10:00:00Z")));
        }
        return payloads;
    }

    private static double secs(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

}
