package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.LedgerClient.Answer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The idempotency keys the ledger makes itself live in a namespace no client can write. */
class RequestReservedKeysTest {

    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get());
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    private static LedgerClient newTenant(String id) {
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", "Reserved " + id)).status()).isEqualTo(201);
        return admin.withKey(admin.post("/v1/tenants/" + id + "/api-keys", Map.of("scopes", List.of("usage:write", "evaluations:write")))
                .body().get("key").asText());
    }

    @Test
    void givenATenantThatPreClaimedTheMeterReadersKeyWhenTheUsageReportArrivesThenItIsStillRecorded() {
        String id = "rk-" + System.nanoTime() % 1_000_000;
        LedgerClient tenant = newTenant(id);
        String stripeIdentifier = id + "-tokens-1764755100";
        // the key the write-back of this window used before: any client could send it
        Answer claim = tenant.post("/v1/usage", Map.of("usage_id", "u1", "meter", "tokens", "quantity", 1,
                "occurred_at", "2026-12-03T09:45:00Z"), "usage-report:" + stripeIdentifier);
        assertThat(claim.status()).isEqualTo(201);

        LedgerClient service = admin.withKey(admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
        Map<String, Object> report = Map.of("meter", "tokens", "window_start", "2026-12-03T09:45:00Z",
                "window_end", "2026-12-03T09:46:00Z", "quantity", 1, "stripe_identifier", stripeIdentifier);
        Answer reported = service.post("/v1/tenants/" + id + "/usage-reports", report);
        assertThat(reported.status()).isEqualTo(201);
        assertThat(reported.body().get("sequence").asLong()).isEqualTo(claim.body().get("sequence").asLong() + 1);
        // and the report stays idempotent on its own key
        Answer again = service.post("/v1/tenants/" + id + "/usage-reports", report);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.body().get("sequence").asLong()).isEqualTo(reported.body().get("sequence").asLong());
    }

    @Test
    void givenAClientKeyInTheReservedNamespaceThenItIsRefused400IdempotencyKeyReserved() {
        LedgerClient tenant = newTenant("rk2-" + System.nanoTime() % 1_000_000);
        for (String key : List.of("ledger:usage-report:x", "LEDGER:anything")) {
            Answer single = tenant.post("/v1/evaluations", LedgerClient.evaluation("ev-r-" + key.length()), key);
            assertThat(single.status()).as(key).isEqualTo(400);
            assertThat(single.code()).as(key).isEqualTo("idempotency_key_reserved");
        }
        Map<String, Object> item = new java.util.HashMap<>(LedgerClient.evaluation("ev-r-batch"));
        item.put("idempotency_key", "ledger:usage-report:y");
        Answer batch = tenant.post("/v1/evaluations:batch", Map.of("items", List.of(item)));
        assertThat(batch.status()).isEqualTo(200);
        assertThat(batch.body().get("results").get(0).get("status").asInt()).isEqualTo(400);
        assertThat(batch.body().get("results").get(0).get("error").get("code").asText()).isEqualTo("idempotency_key_reserved");
    }
}
