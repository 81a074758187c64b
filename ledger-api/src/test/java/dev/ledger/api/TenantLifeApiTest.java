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
