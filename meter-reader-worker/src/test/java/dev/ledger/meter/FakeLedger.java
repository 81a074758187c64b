package dev.ledger.meter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Test stand-in for the ledger's two write-back endpoints only: records every call and answers as the contract
 * says (usage reports 201 the first time, 200 + Idempotent-Replayed for a repeated Idempotency-Key). A test can make
 * it refuse a tenant's usage reports with a 422, as the ledger does for a report it will not record.
 */
final class FakeLedger implements AutoCloseable {

    record Call(String method, String path, String authorization, String idempotencyKey, int status, JsonNode body) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final List<Call> calls = new CopyOnWriteArrayList<>();
    private final Set<String> seenKeys = ConcurrentHashMap.newKeySet();
    private final Set<String> refusedTenants = ConcurrentHashMap.newKeySet();

    FakeLedger() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        server.createContext("/v1/tenants/", this::handle);
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
            JsonNode body = JSON.readTree(ex.getRequestBody().readAllBytes());
            String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
            int status;
            String answer;
            if (ex.getRequestMethod().equals("PUT") && path.endsWith("/stripe-customer")) {
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
