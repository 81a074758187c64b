package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.LedgerClient.Answer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 items 12 and 14 at the write path: a usage record names only a meter this deployment bills
 * (LEDGER_ALLOWED_METERS), and carries a bounded quantity; a refused record changes nothing in the chain.
 */
class UsageMeterAllowlistTest {

    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.usage.allowed-meters", "tokens, gpu-seconds"));
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    private static LedgerClient tenant(String id) {
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", id)).status()).isEqualTo(201);
        Answer key = admin.post("/v1/tenants/" + id + "/api-keys", Map.of("scopes", List.of("usage:write", "audit:read")));
        return admin.withKey(key.body().get("key").asText());
    }

    private static Map<String, Object> usage(String id, String meter, Object quantity) {
        return Map.of("usage_id", id, "meter", meter, "quantity", quantity, "occurred_at", "2026-11-21T10:00:00Z");
    }

    @Test
    void aMeterOutsideTheAllowlistIsRefused422UnknownMeterAndRecordsNothing() {
        LedgerClient t = tenant("allow-" + System.nanoTime() % 1_000_000);
        Answer first = t.post("/v1/usage", usage("u1", "tokens", 5), "a1");
        assertThat(first.status()).isEqualTo(201);
        long before = first.body().get("sequence").asLong();

        Answer unknown = t.post("/v1/usage", usage("u2", "crypto-mining", 5), "a2");
        assertThat(unknown.status()).isEqualTo(422);
        assertThat(unknown.code()).isEqualTo("unknown_meter");
        assertThat(unknown.header("Content-Type")).isEqualTo("application/problem+json");

        Answer configured = t.post("/v1/usage", usage("u3", "gpu-seconds", 5), "a3");
        assertThat(configured.status()).isEqualTo(201);
        assertThat(configured.body().get("sequence").asLong()).as("the refused record took no sequence").isEqualTo(before + 1);
    }

    @Test
    void aQuantityAboveTheBoundIsRefusedSoNoWindowSumCanOverflow() {
        LedgerClient t = tenant("bound-" + System.nanoTime() % 1_000_000);
        Answer huge = t.post("/v1/usage", usage("u1", "tokens", 5_000_000_000_000_000_000L), "b1");
        assertThat(huge.status()).isEqualTo(422);
        assertThat(huge.body().get("errors").findValuesAsText("code")).contains("too_large");
        assertThat(t.post("/v1/usage", usage("u2", "tokens", 1_000_000_000_000_000L), "b2").status()).isEqualTo(201);
    }
}
