package dev.ledger.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.core.messages.LedgerJson;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A plain HTTP client of the ledger API, as a governance platform would use it. */
public final class LedgerClient {

    public record Answer(int status, JsonNode body, HttpResponse<String> raw) {
        public String code() {
            return body == null ? null : body.path("code").asText(null);
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String key;

    public LedgerClient(String base, String key) {
        this.base = base;
        this.key = key;
    }

    public LedgerClient withKey(String otherKey) {
        return new LedgerClient(base, otherKey);
    }

    public Answer get(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).GET(), null);
    }

    /**
     * The size of the tenant's latest checkpoint once it is past {@code size}, polled every 100 ms until
     * {@code within} has passed (then the last size seen, which the caller's assertion judges).
     */
    public long latestCheckpointPast(String tenant, long size, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        long latest = size;
        while (latest <= size && System.nanoTime() < deadline) {
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            latest = get("/v1/tenants/" + tenant + "/checkpoints/latest").body().path("size").asLong();
        }
        return latest;
    }

    public Answer post(String path, Object body) {
        return post(path, body, null);
    }

    public Answer post(String path, Object body, String idempotencyKey) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .POST(HttpRequest.BodyPublishers.ofString(json(body))).header("Content-Type", "application/json");
        if (idempotencyKey != null) {
            b.header("Idempotency-Key", idempotencyKey);
        }
        return send(b, null);
    }

    public Answer put(String path, Object body) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).PUT(HttpRequest.BodyPublishers.ofString(json(body)))
                .header("Content-Type", "application/json"), null);
    }

    public Answer delete(String path) {
        return send(HttpRequest.newBuilder(URI.create(base + path)).DELETE(), null);
    }

    private Answer send(HttpRequest.Builder b, Object unused) {
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        try {
            HttpResponse<String> r = HTTP.send(b.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = r.body() == null || r.body().isBlank() ? null : LedgerJson.mapper().readTree(r.body());
            return new Answer(r.statusCode(), body, r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String json(Object body) {
        try {
            return body instanceof String s ? s : LedgerJson.mapper().writeValueAsString(body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One JSON text (e.g. a line of an export bundle) as a tree. */
    public static JsonNode parse(String text) {
        try {
            return LedgerJson.mapper().readTree(text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A valid evaluation body. */
    public static Map<String, Object> evaluation(String id) {
        return Map.of("evaluation_id", id, "policy_id", "pol_pii", "policy_version", "7", "subject", "agent:42",
                "input_digest", "sha256:" + "ab".repeat(32), "terminal_state", "REJECTED",
                "gates", java.util.List.of(Map.of("gate", "pii", "outcome", "FAIL", "reason_code", "PII_EMAIL")),
                "occurred_at", "2026-11-21T10:00:00Z");
    }
}
