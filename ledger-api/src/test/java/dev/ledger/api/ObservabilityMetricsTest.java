package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * After a scenario (evaluations of all four terminal states with failed gates, a refused Stripe webhook, a
 * verification, a tenant over its rate), the ledger's Prometheus endpoint shows each of them with the values the
 * scenario implies, the HTTP latency by route template as a histogram, and the database pool.
 */
class ObservabilityMetricsTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void givenAScenarioThenEveryMetricOfTheDashboardsAndAlertsShowsIt() throws Exception {
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.rate-limit.requests-per-second", 2,
                "ledger.rate-limit.burst", 12, "ledger.stripe.webhook.secrets", "whsec_metrics_test_0123456789"))) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String tenant = "obs-" + System.nanoTime() % 100_000_000;
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Observability")).status()).isEqualTo(201);
            LedgerClient writer = admin.withKey(admin.post("/v1/tenants/" + tenant + "/api-keys",
                    Map.of("scopes", List.of("evaluations:write", "audit:read"))).body().get("key").asText());
            evaluate(writer, "ev-a", "APPROVED", "pii", "PASS");
            evaluate(writer, "ev-r1", "REJECTED", "pii", "FAIL");
            evaluate(writer, "ev-r2", "REJECTED", "pii", "FAIL");
            evaluate(writer, "ev-e", "ESCALATED", "toxicity", "FAIL");
            evaluate(writer, "ev-x", "ERRORED", "pii", "SKIP");
            evaluate(writer, "ev-a", "APPROVED", "pii", "PASS"); // a replay: counted once
            assertThat(writer.post("/v1/tenants/" + tenant + "/verifications", Map.of()).status()).isEqualTo(200);
            // Stripe says an invoice of 12.34 was paid
            LedgerClient service = admin.withKey(admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
            String customer = "cus_" + tenant.replace("-", "");
            assertThat(service.put("/v1/tenants/" + tenant + "/stripe-customer", Map.of("stripe_customer_id", customer)).status()).isEqualTo(200);
            String paid = InvoiceEvents.event("evt_" + tenant.replace("-", ""), "invoice.paid", "in_" + tenant.replace("-", ""), customer,
                    "paid", 1234, 1234, java.time.YearMonth.now(java.time.ZoneOffset.UTC), java.time.Instant.now());
            assertThat(service.post("/v1/stripe-events", LedgerClient.parse(paid)).body().get("status").asText()).isEqualTo("recorded");
            HttpResponse<String> webhook = HTTP.send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/webhooks/stripe"))
                    .header("Content-Type", "application/json").header("Stripe-Signature", "t=1,v1=00")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(webhook.statusCode()).isEqualTo(400);
            int limited = 0;
            for (int i = 0; i < 30 && limited == 0; i++) {
                limited += writer.get("/v1/tenants/" + tenant) .status() == 429 ? 1 : 0;
            }
            assertThat(limited).as("the tenant went over its rate").isEqualTo(1);

            String text = HTTP.send(HttpRequest.newBuilder(URI.create(ledger.url() + "/actuator/prometheus")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertThat(value(text, "ledger_evaluations_total", "terminal_state", "APPROVED")).isEqualTo(1);
            assertThat(value(text, "ledger_evaluations_total", "terminal_state", "REJECTED")).isEqualTo(2);
            assertThat(value(text, "ledger_evaluations_total", "terminal_state", "ESCALATED")).isEqualTo(1);
            assertThat(value(text, "ledger_evaluations_total", "terminal_state", "ERRORED")).isEqualTo(1);
            assertThat(value(text, "ledger_gate_failures_total", "gate", "pii")).isEqualTo(2);
            assertThat(value(text, "ledger_gate_failures_total", "gate", "toxicity")).isEqualTo(1);
            assertThat(value(text, "ledger_billable_units_total", "meter", "evaluations")).isEqualTo(5);
            assertThat(value(text, "ledger_invoices_paid_minor_units_total", "currency", "usd")).isEqualTo(1234);
            assertThat(value(text, "ledger_append_latency_seconds_count")).isGreaterThanOrEqualTo(5);
            assertThat(value(text, "ledger_append_latency_seconds_bucket", "le", "+Inf")).isGreaterThanOrEqualTo(5);
            assertThat(value(text, "ledger_append_batch_size_count")).isGreaterThanOrEqualTo(5);
            assertThat(value(text, "ledger_publication_lag_seconds")).isGreaterThanOrEqualTo(0);
            assertThat(value(text, "ledger_chain_verifications_total", "result", "valid", "source", "api")).isEqualTo(1);
            assertThat(value(text, "ledger_chain_integrity_failures_total", "source", "api")).isZero();
            assertThat(value(text, "ledger_chain_integrity_failures_total", "source", "scheduled")).isGreaterThanOrEqualTo(0);
            assertThat(value(text, "ledger_webhook_failures_total", "code", "webhook_signature_invalid")).isEqualTo(1);
            assertThat(value(text, "ledger_webhook_failures_total", "code", "webhook_event_invalid")).isZero();
            assertThat(value(text, "ledger_tenants", "status", "ACTIVE")).isGreaterThanOrEqualTo(1);
            assertThat(value(text, "ledger_tenants", "status", "SUSPENDED")).isGreaterThanOrEqualTo(0);
            assertThat(value(text, "ledger_ratelimit_rejections_total", "tenant", tenant)).isEqualTo(1);
            // both pools: the writers' and the read side's
            assertThat(values(text, "hikaricp_connections_max")).hasSize(2).allMatch(v -> v > 0);
            assertThat(values(text, "hikaricp_connections_active")).hasSize(2).allMatch(v -> v >= 0);
            assertThat(value(text, "http_server_requests_seconds_bucket", "uri", "/v1/evaluations", "status", "201", "le", "+Inf"))
                    .as("six requests, the replay answered as the first").isEqualTo(6);
            assertThat(values(text, "http_server_requests_seconds_bucket", "uri", "/v1/evaluations", "status", "201")).as("buckets")
                    .hasSizeGreaterThan(10);
            // routes by their template: no tenant id in any label of the HTTP series
            assertThat(text.lines().filter(l -> l.startsWith("http_server_requests") && l.contains(tenant)).toList()).isEmpty();
            assertThat(value(text, "http_server_requests_seconds_count", "uri", "/v1/tenants/{tenantId}/verifications")).isEqualTo(1);
        }
    }

    private static void evaluate(LedgerClient writer, String id, String state, String gate, String outcome) {
        Map<String, Object> body = new LinkedHashMap<>(LedgerClient.evaluation(id));
        body.put("terminal_state", state);
        body.put("gates", List.of(Map.of("gate", gate, "outcome", outcome, "reason_code", "R_" + outcome)));
        LedgerClient.Answer a = writer.post("/v1/evaluations", body, id);
        assertThat(a.status()).as(a.raw().body()).isIn(200, 201);
    }

    /** The value of the one series of {@code name} whose labels include the given pairs; fails when there is none. */
    private static double value(String text, String name, String... labels) {
        List<Double> found = values(text, name, labels);
        assertThat(found).as(name + " " + List.of(labels)).hasSize(1);
        return found.get(0);
    }

    private static List<Double> values(String text, String name, String... labels) {
        List<String> wanted = new ArrayList<>();
        for (int i = 0; i < labels.length; i += 2) {
            wanted.add(labels[i] + "=\"" + labels[i + 1] + "\"");
        }
        List<Double> found = text.lines().filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .filter(l -> wanted.stream().allMatch(l::contains))
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).toList();
        return found;
    }
}
