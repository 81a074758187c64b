package dev.ledger.meter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.core.messages.LedgerJson;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ledger's write-back endpoints, called with the service key: link a created Stripe customer, and record a
 * usage report per delivered window (idempotent on the Stripe identifier). 2xx is done; 409, 429, 5xx and network
 * trouble retry later; any other 4xx is refused for good.
 */
final class LedgerWriteBack {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI base;
    private final String serviceKey;
    private final MeterReaderMetrics metrics;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    LedgerWriteBack(MeterReaderConfig config, MeterReaderMetrics metrics) {
        this.base = config.ledgerApiUrl();
        this.serviceKey = config.ledgerServiceKey();
        this.metrics = metrics;
    }

    Delivery linkCustomer(String tenantId, String stripeCustomerId) {
        HttpRequest request = request(tenantPath(tenantId, "stripe-customer"))
                .method("PUT", body(Map.of("stripe_customer_id", stripeCustomerId)))
                .build();
        return send("link_customer", request);
    }

    Delivery reportUsage(MeterReport report) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("meter", report.window().meter());
        body.put("window_start", report.window().start().toString());
        body.put("window_end", report.window().end().toString());
        body.put("quantity", report.quantity());
        body.put("stripe_identifier", report.identifier());
        HttpRequest request = request(tenantPath(report.window().tenantId(), "usage-reports"))
                .header("Idempotency-Key", report.identifier())
                .POST(body(body))
                .build();
        return send("usage_report", request);
    }

    /** An answer of a read from the ledger: its status and JSON body (null when none could be read). */
    record Read(int status, JsonNode body, String problem) {
        boolean ok() {
            return status == 200 && body != null;
        }
    }

    /** {@code GET /v1/tenants/{t}/checkpoints/latest} with the service key. */
    Read latestCheckpoint(String tenantId) {
        return read("latest_checkpoint", request(tenantPath(tenantId, "checkpoints/latest")).GET().build());
    }

    /** {@code GET /v1/checkpoint-keys} (public). */
    Read checkpointKeys() {
        return read("checkpoint_keys", HttpRequest.newBuilder(URI.create(base + "/v1/checkpoint-keys")).timeout(TIMEOUT)
                .header("Accept", "application/json").GET().build());
    }

    private Read read(String operation, HttpRequest request) {
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            int status = response.statusCode();
            if (status != 200) {
                metrics.ledgerError(operation, String.valueOf(status));
                return new Read(status, null, "ledger " + operation + " HTTP " + status + ": "
                        + abbreviate(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8)));
            }
            byte[] body = response.body();
            if (body.length > MAX_READ_BYTES) {
                return new Read(status, null, "ledger " + operation + " answered more than " + MAX_READ_BYTES + " bytes");
            }
            return new Read(status, LedgerJson.mapper().readTree(body), null);
        } catch (IOException e) {
            metrics.ledgerError(operation, "connection");
            return new Read(0, null, "ledger " + operation + " unreachable: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Read(0, null, "ledger " + operation + " interrupted");
        }
    }

    private static final int MAX_READ_BYTES = 1 << 20;

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(base + path))
                .timeout(TIMEOUT)
                .header("Authorization", "Bearer " + serviceKey)
                .header("Content-Type", "application/json")
                .header("Accept", "application/json");
    }

    private Delivery send(String operation, HttpRequest request) {
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                return Delivery.DONE;
            }
            metrics.ledgerError(operation, String.valueOf(status));
            String reason = "ledger " + operation + " HTTP " + status + ": " + abbreviate(response.body());
            // 409 is the ledger's concurrent_request: the same Idempotency-Key is still in flight (a write-back sent
            // just before a crash or by the instance that had the partition before); the retry answers the replay.
            return status == 409 || status == 429 || status >= 500 ? new Delivery.Retry(reason) : new Delivery.Park(reason);
        } catch (IOException e) {
            metrics.ledgerError(operation, "connection");
            return new Delivery.Retry("ledger " + operation + " unreachable: " + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Delivery.Retry("ledger " + operation + " interrupted");
        }
    }

    private static String tenantPath(String tenantId, String resource) {
        return "/v1/tenants/" + URLEncoder.encode(tenantId, StandardCharsets.UTF_8).replace("+", "%20") + "/" + resource;
    }

    private static HttpRequest.BodyPublisher body(Map<String, ?> body) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(LedgerJson.mapper().writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String abbreviate(String body) {
        String b = body == null ? "" : body.replaceAll("\\s+", " ").trim();
        return b.length() > 200 ? b.substring(0, 200) + "..." : b;
    }
}
