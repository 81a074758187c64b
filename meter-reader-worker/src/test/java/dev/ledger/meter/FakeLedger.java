package dev.ledger.meter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKeys;
import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.StoredEntry;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test stand-in for the ledger's two write-back endpoints only: records every call and answers as the contract
 * says (usage reports 201 the first time, 200 + Idempotent-Replayed for a repeated Idempotency-Key). A test can make
 * it refuse a tenant's usage reports with a 422, as the ledger does for a report it will not record. It also serves
 * signed checkpoints a test sets ({@code GET /v1/tenants/{t}/checkpoints/latest}, 404 when none) and their public
 * key ({@code GET /v1/checkpoint-keys}), signed with a key of its own.
 */
final class FakeLedger implements AutoCloseable {

    record Call(String method, String path, String authorization, String idempotencyKey, int status, JsonNode body) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Set<String> seenKeys = ConcurrentHashMap.newKeySet();
    private final Set<String> refusedTenants = ConcurrentHashMap.newKeySet();
    private final CheckpointSigner signer = CheckpointSigner.generate();
    private final Map<String, Checkpoint> checkpoints = new ConcurrentHashMap<>();

    FakeLedger() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/v1/tenants/", this::handle);
        server.createContext("/v1/checkpoint-keys", ex -> {
            try (ex) {
                byte[] bytes = CheckpointKeys.of(signer.key()).toJson().toString().getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(200, bytes.length);
                ex.getResponseBody().write(bytes);
            }
        });
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Call> calls() {
        return List.copyOf(calls);
    }

    /** First-time usage reports (the ones the ledger would append). */
    List<Call> usageReports() {
        return calls.stream().filter(c -> c.path().endsWith("/usage-reports") && c.status() == 201).toList();
    }

    /** From now on the latest checkpoint of the tenant is signed over these entries (the ledger's genuine chain). */
    Checkpoint signCheckpoint(String tenantId, List<StoredEntry> chain) {
        Checkpoint c = signer.sign(tenantId, chain.size(), MerkleTree.root(chain.stream().map(StoredEntry::hash).toList()),
                Instant.now());
        checkpoints.put(tenantId, c);
        return c;
    }

    /** Checkpoint fetches answered so far. */
    long checkpointCalls() {
        return calls.stream().filter(c -> c.path().endsWith("/checkpoints/latest")).count();
    }

    void refuseUsageReports(String tenantId, boolean refuse) {
        if (refuse) {
            refusedTenants.add(tenantId);
        } else {
            refusedTenants.remove(tenantId);
        }
    }

    List<Call> customerLinks() {
        return calls.stream().filter(c -> c.path().endsWith("/stripe-customer")).toList();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            byte[] raw = ex.getRequestBody().readAllBytes();
            JsonNode body = raw.length == 0 ? JSON.missingNode() : JSON.readTree(raw);
            String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
            int status;
            String answer;
            if (ex.getRequestMethod().equals("GET") && path.endsWith("/checkpoints/latest")) {
                Checkpoint c = checkpoints.get(path.split("/")[3]);
                status = c == null ? 404 : 200;
                answer = c == null ? "{\"code\":\"not_found\"}" : c.toJson().toString();
            } else if (ex.getRequestMethod().equals("PUT") && path.endsWith("/stripe-customer")) {
                status = 200;
                answer = "{\"tenant_id\":\"" + path.split("/")[3] + "\",\"stripe_customer_id\":\""
                        + body.path("stripe_customer_id").asText() + "\"}";
            } else if (ex.getRequestMethod().equals("POST") && path.endsWith("/usage-reports")
                    && refusedTenants.contains(path.split("/")[3])) {
                status = 422;
                answer = "{\"code\":\"validation_failed\",\"detail\":\"the report was refused\"}";
            } else if (ex.getRequestMethod().equals("POST") && path.endsWith("/usage-reports")) {
                boolean first = key != null && seenKeys.add(key);
                status = first ? 201 : 200;
                if (!first) {
                    ex.getResponseHeaders().set("Idempotent-Replayed", "true");
                }
                answer = "{\"sequence\":1}";
            } else {
                status = 404;
                answer = "{\"code\":\"not_found\"}";
            }
            calls.add(new Call(ex.getRequestMethod(), path, ex.getRequestHeaders().getFirst("Authorization"), key, status,
                    body));
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(status, bytes.length);
            ex.getResponseBody().write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
