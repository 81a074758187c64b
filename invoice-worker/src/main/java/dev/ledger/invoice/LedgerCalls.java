package dev.ledger.invoice;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.BillingCause;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ledger's endpoints the worker writes through, with its service key: the status changes ({@code past-due},
 * {@code suspend}, {@code reactivate}), each with billing's cause and conditional on the status entry the decision was
 * made from, and {@code POST /v1/stripe-events} for a Stripe event whose webhook never came.
 */
final class LedgerCalls {

    /** What became of one call. */
    enum Outcome {
        /** Recorded (200). */
        DONE,
        /** Refused because the status moved (409): the chain will bring the entry that moved it. */
        STALE,
        /** Not answered, or answered 429 or 5xx: try again later. */
        RETRY,
        /** Refused for good (another 4xx): a configuration fault, such as a revoked key. */
        REFUSED
    }

    /**
     * An outcome and the code the ledger answered with (for logs and metrics; never a key); for a submitted event,
     * {@code result}: {@code recorded}, {@code replayed} (recorded before, by its webhook or an earlier pass) or
     * {@code held}.
     */
    record Answer(Outcome outcome, int status, String code, String result, JsonNode body) {
        Answer(Outcome outcome, int status, String code) {
            this(outcome, status, code, null, null);
        }
    }

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final URI base;
    private final String serviceKey;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    LedgerCalls(URI base, String serviceKey) {
        this.base = base;
        this.serviceKey = serviceKey;
    }

    Answer markPastDue(String tenantId, BillingCause cause, Instant graceUntil, long ifStatusSequence) {
        Map<String, Object> body = body("invoice.payment_failed", cause, ifStatusSequence);
        body.put("invoice_id", cause.invoiceId());
        body.put("grace_until", graceUntil.toString());
        return post(tenantId, "past-due", body);
    }

    Answer suspend(String tenantId, BillingCause cause, Instant graceUntil, long ifStatusSequence) {
        return post(tenantId, "suspend", body("grace period " + cause.gracePolicy() + " ended " + graceUntil + " with invoice "
                + cause.invoiceId() + " unpaid", cause, ifStatusSequence));
    }

    Answer reactivate(String tenantId, BillingCause cause, String settledBy, long ifStatusSequence) {
        return post(tenantId, "reactivate", body(settledBy, cause, ifStatusSequence));
    }

    /** Submits a Stripe event as Stripe's API answered it ({@code json}: the event object). */
    Answer submitStripeEvent(byte[] json) {
        return send(URI.create(base + "/v1/stripe-events"), json);
    }

    /** Asks the ledger to witness a draft invoice (POST /v1/tenants/{t}/invoice-witnesses); the answer's body says how. */
    Answer witness(String tenantId, Map<String, Object> request) {
        return post(tenantId, "invoice-witnesses", request);
    }

    /** Records that the worker holds an invoice back (POST /v1/tenants/{t}/invoice-holds). */
    Answer hold(String tenantId, Map<String, Object> request) {
        return post(tenantId, "invoice-holds", request);
    }

    private static Map<String, Object> body(String reason, BillingCause cause, long ifStatusSequence) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("reason", reason);
        body.put("cause", cause);
        body.put("status_sequence", ifStatusSequence);
        return body;
    }

    private Answer post(String tenantId, String action, Map<String, Object> body) {
        byte[] json;
        try {
            json = LedgerJson.mapper().writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return send(URI.create(base + "/v1/tenants/" + URLEncoder.encode(tenantId, StandardCharsets.UTF_8) + "/" + action), json);
    }

    private Answer send(URI uri, byte[] json) {
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(TIMEOUT).header("Authorization", "Bearer " + serviceKey).header("Content-Type", "application/json")
                .header("Accept", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(json)).build();
        try {
            HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
            int status = response.statusCode();
            String code = field(response.body(), "code");
            if (status == 200) {
                String result = field(response.body(), "status");
                if ("recorded".equals(result) && response.headers().firstValue("Idempotent-Replayed").orElse("").equals("true")) {
                    result = "replayed";
                }
                return new Answer(Outcome.DONE, status, null, result, json(response.body()));
            }
            if (status == 409) {
                return new Answer(Outcome.STALE, status, code);
            }
            if (status == 429 || status >= 500) {
                return new Answer(Outcome.RETRY, status, code);
            }
            return new Answer(Outcome.REFUSED, status, code);
        } catch (IOException e) {
            return new Answer(Outcome.RETRY, 0, "network_" + e.getClass().getSimpleName());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer(Outcome.RETRY, 0, "interrupted");
        }
    }

    private static JsonNode json(byte[] body) {
        try {
            return LedgerJson.mapper().readTree(body);
        } catch (IOException e) {
            return null;
        }
    }

    private static String field(byte[] body, String name) {
        try {
            var node = LedgerJson.mapper().readTree(body);
            return node != null && node.path(name).isTextual() ? node.path(name).asText() : null;
        } catch (IOException e) {
            return null;
        }
    }
}
