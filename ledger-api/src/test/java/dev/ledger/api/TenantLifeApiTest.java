package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.LedgerClient.Answer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The tenant status machine through the API: each change decided by the aggregate, a refused one records nothing. */
class TenantLifeApiTest {

    private static RunningLedger ledger;
    private static LedgerClient admin;
    private static LedgerClient service;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of());
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        Answer key = admin.post("/v1/service-keys", Map.of());
        assertThat(key.status()).isEqualTo(201);
        service = admin.withKey(key.body().get("key").asText());
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    private static LedgerClient tenant(String id) {
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", "Tenant " + id)).status()).isEqualTo(201);
        Answer key = admin.post("/v1/tenants/" + id + "/api-keys", Map.of("scopes", List.of("usage:write")));
        assertThat(key.status()).isEqualTo(201);
        return admin.withKey(key.body().get("key").asText());
    }

    private static int entries(String tenant) {
        Answer page = admin.get("/v1/tenants/" + tenant + "/entries?after=0&limit=1000");
        assertThat(page.status()).isEqualTo(200);
        return page.body().get("entries").size();
    }

    private static Map<String, Object> usage(String id) {
        return Map.of("usage_id", id, "meter", "tokens", "quantity", 5, "occurred_at", "2026-12-03T10:00:00Z");
    }

    @Test
    void givenASuspendedTenantWhenItIsSuspendedAgainThenItAnswers409AndRecordsNothing() {
        String t = "life-s-" + System.nanoTime() % 1_000_000;
        tenant(t);
        assertThat(admin.post("/v1/tenants/" + t + "/suspend", Map.of("reason", "unpaid")).status()).isEqualTo(200);
        int before = entries(t);
        Answer again = admin.post("/v1/tenants/" + t + "/suspend", Map.of("reason", "unpaid"));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.code()).isEqualTo("tenant_already_suspended");
        assertThat(again.raw().headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(entries(t)).isEqualTo(before);
        Answer active = admin.post("/v1/tenants/" + t + "/reactivate", Map.of("reason", "paid"));
        assertThat(active.body().get("status").asText()).isEqualTo("ACTIVE");
        Answer twice = admin.post("/v1/tenants/" + t + "/reactivate", Map.of("reason", "paid"));
        assertThat(twice.status()).isEqualTo(409);
        assertThat(twice.code()).isEqualTo("tenant_already_active");
        assertThat(entries(t)).isEqualTo(before + 1);
    }

    @Test
    void givenAFailedPaymentWhenTheServiceMarksTheTenantPastDueThenItStillRecordsUntilSuspendedAndPayingMakesItActive() {
        String t = "life-p-" + System.nanoTime() % 1_000_000;
        LedgerClient client = tenant(t);
        Answer pastDue = service.post("/v1/tenants/" + t + "/past-due", Map.of("reason", "invoice.payment_failed",
                "invoice_id", "in_Life1", "grace_until", "2026-12-10T00:00:00Z"));
        assertThat(pastDue.status()).as(pastDue.raw().body()).isEqualTo(200);
        assertThat(pastDue.body().get("status").asText()).isEqualTo("PAST_DUE");
        assertThat(admin.get("/v1/tenants/" + t).body().get("status").asText()).isEqualTo("PAST_DUE");
        assertThat(client.post("/v1/usage", usage("u1"), "k1").status()).isEqualTo(201);
        assertThat(service.post("/v1/tenants/" + t + "/past-due", Map.of("reason", "again")).code()).isEqualTo("tenant_already_past_due");

        assertThat(admin.post("/v1/tenants/" + t + "/suspend", Map.of("reason", "grace expired")).status()).isEqualTo(200);
        assertThat(client.post("/v1/usage", usage("u2"), "k2").code()).isEqualTo("tenant_suspended");
        Answer suspendedPastDue = service.post("/v1/tenants/" + t + "/past-due", Map.of("reason", "late"));
        assertThat(suspendedPastDue.status()).isEqualTo(409);
        assertThat(suspendedPastDue.code()).isEqualTo("tenant_not_active");

        assertThat(admin.post("/v1/tenants/" + t + "/reactivate", Map.of("reason", "invoice.paid")).body().get("status").asText())
                .isEqualTo("ACTIVE");
        assertThat(client.post("/v1/usage", usage("u2"), "k2").status()).isEqualTo(201);

        Answer page = admin.get("/v1/tenants/" + t + "/entries?after=0&limit=1000");
        assertThat(page.body().get("entries").findValuesAsText("type")).containsSubsequence("TenantMarkedPastDue", "UsageRecorded",
                "TenantSuspended", "TenantReactivated", "UsageRecorded");
    }

    @Test
    void aTenantKeyCannotMarkItsTenantPastDueAndABadInvoiceIdIsRefused() {
        String t = "life-k-" + System.nanoTime() % 1_000_000;
        LedgerClient client = tenant(t);
        assertThat(client.post("/v1/tenants/" + t + "/past-due", Map.of("reason", "x")).status()).isEqualTo(403);
        Answer bad = service.post("/v1/tenants/" + t + "/past-due", Map.of("reason", "x", "invoice_id", "nope"));
        assertThat(bad.status()).isEqualTo(422);
        assertThat(bad.code()).isEqualTo("validation_failed");
        assertThat(admin.get("/v1/tenants/" + t).body().get("status").asText()).isEqualTo("ACTIVE");
    }

    private static Map<String, Object> cause(String event, Object amount) {
        Map<String, Object> c = new java.util.LinkedHashMap<>();
        c.put("stripe_event_id", event);
        c.put("invoice_id", "in_Dun1");
        c.put("amount", amount);
        c.put("currency", "eur");
        c.put("grace_policy", "P7D");
        return c;
    }

    private static Map<String, Object> change(String reason, Map<String, Object> cause, Long statusSequence) {
        Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("reason", reason);
        if (cause != null) {
            body.put("cause", cause);
        }
        if (statusSequence != null) {
            body.put("status_sequence", statusSequence);
        }
        return body;
    }

    /** The sequence of the tenant's last status entry (its registration or its last status change). */
    private static long statusSequence(String tenant) {
        long[] last = {0};
        admin.get("/v1/tenants/" + tenant + "/entries?after=0&limit=1000").body().get("entries").forEach(e -> {
            if (e.get("type").asText().startsWith("Tenant")) {
                last[0] = e.get("sequence").asLong();
            }
        });
        return last[0];
    }

    /**
     * Billing's dunning through the service key: each change needs its cause, which the entry keeps; a change
     * conditional on an older status entry is refused, so the worker never undoes an admin's later decision.
     */
    @Test
    void givenBillingsCauseTheServiceKeyMovesTheTenantThroughDunningAndEveryEntryNamesItsStripeEvent() {
        String t = "life-d-" + System.nanoTime() % 1_000_000;
        LedgerClient client = tenant(t);
        String path = "/v1/tenants/" + t;
        Map<String, Object> pastDue = change("invoice.payment_failed", cause("evt_Fail1", 7000), 1L);
        pastDue.put("grace_until", "2026-12-10T00:00:00Z");
        assertThat(service.post(path + "/past-due", pastDue).status()).isEqualTo(200);
        Answer noCause = service.post(path + "/suspend", change("grace expired", null, null));
        assertThat(noCause.status()).isEqualTo(422);
        assertThat(noCause.code()).isEqualTo("validation_failed");
        Answer fraction = service.post(path + "/suspend", change("grace expired", cause("evt_Fail1", 70.5), null));
        assertThat(fraction.status()).isEqualTo(422);
        assertThat(client.post(path + "/suspend", change("x", cause("evt_Fail1", 7000), null)).status()).isEqualTo(403);
        Answer stale = service.post(path + "/suspend", change("grace expired", cause("evt_Fail1", 7000), 1L));
        assertThat(stale.status()).isEqualTo(409);
        assertThat(stale.code()).isEqualTo("status_changed");
        assertThat(admin.get(path).body().get("status").asText()).isEqualTo("PAST_DUE");

        long markedAt = statusSequence(t);
        assertThat(markedAt).isGreaterThan(1);
        Answer suspended = service.post(path + "/suspend", change("grace expired", cause("evt_Fail1", 7000), markedAt));
        assertThat(suspended.status()).as(suspended.raw().body()).isEqualTo(200);
        assertThat(client.post("/v1/usage", usage("u1"), "k1").status()).isEqualTo(402);
        Map<String, Object> paid = cause("evt_Paid1", 7000);
        paid.remove("grace_policy");
        assertThat(service.post(path + "/reactivate", change("invoice.paid", paid, statusSequence(t))).body().get("status").asText())
                .isEqualTo("ACTIVE");
        assertThat(client.post("/v1/usage", usage("u1"), "k1").status()).isEqualTo(201);

        List<com.fasterxml.jackson.databind.JsonNode> changes = new java.util.ArrayList<>();
        admin.get(path + "/entries?after=0&limit=1000").body().get("entries").forEach(e -> {
            if (e.get("type").asText().startsWith("Tenant") && !e.get("type").asText().equals("TenantRegistered")) {
                changes.add(e.get("payload"));
            }
        });
        assertThat(changes).extracting(p -> p.get("cause").get("stripe_event_id").asText())
                .containsExactly("evt_Fail1", "evt_Fail1", "evt_Paid1");
        assertThat(changes.get(1).get("cause").get("grace_policy").asText()).isEqualTo("P7D");
        assertThat(changes.get(1).get("cause").get("amount").asLong()).isEqualTo(7000);
        assertThat(changes.get(1).get("actor").asText()).startsWith("key:");
    }

    /**
     * The tenant read model is written inside the append's transaction: when writing it fails, the entry is not
     * recorded either (no suspended chain with an active tenant row, or the reverse), and a retry records it once.
     */
    @Test
    void whenTheTenantRowCannotBeUpdatedTheSuspensionIsNotRecorded() throws Exception {
        String t = "life-p-" + System.nanoTime() % 1_000_000;
        tenant(t);
        int before = entries(t);
        String constraint = "test_no_suspend_" + t.replace('-', '_');
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl());
             java.sql.Statement s = c.createStatement()) {
            s.execute("alter table tenant add constraint " + constraint + " check (tenant_id <> '" + t + "' or status <> 'SUSPENDED')");
            Answer refused = admin.post("/v1/tenants/" + t + "/suspend", Map.of("reason", "unpaid"));
            assertThat(refused.status()).isGreaterThanOrEqualTo(500);
            assertThat(entries(t)).isEqualTo(before);
            assertThat(admin.get("/v1/tenants/" + t).body().get("status").asText()).isEqualTo("ACTIVE");
            s.execute("alter table tenant drop constraint " + constraint);
        }
        assertThat(admin.post("/v1/tenants/" + t + "/suspend", Map.of("reason", "unpaid")).status()).isEqualTo(200);
        assertThat(entries(t)).isEqualTo(before + 1);
        assertThat(admin.get("/v1/tenants/" + t).body().get("status").asText()).isEqualTo("SUSPENDED");
    }
}
