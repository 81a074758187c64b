package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A tenant's request limit holds across ledger-api instances: the buckets live in PostgreSQL, so two replicas
 * together admit what one would, not twice as much.
 */
class RateLimitAcrossInstancesTest {

    @Test
    void givenTwoInstancesWhenOneTenantSendsThroughBothThenTogetherTheyAdmitOneLimit() {
        // 10 at once, then 2 a second; each instance synchronizes after every request (sync-tokens 1)
        Map<String, Object> settings = Map.of("ledger.rate-limit.requests-per-second", 2, "ledger.rate-limit.burst", 10,
                "ledger.rate-limit.sync-tokens", 1);
        try (RunningLedger a = RunningLedger.start(SharedInfrastructure.get(), settings);
             RunningLedger b = RunningLedger.start(SharedInfrastructure.get(), settings)) {
            String tenant = "limit-" + System.nanoTime() % 100_000_000;
            LedgerClient admin = new LedgerClient(a.url(), RunningLedger.ADMIN_KEY);
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Limited")).status()).isEqualTo(201);
            String key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("audit:read")))
                    .body().get("key").asText();
            LedgerClient viaA = new LedgerClient(a.url(), key);
            LedgerClient viaB = new LedgerClient(b.url(), key);

            int admitted = 0;
            int refusedA = 0;
            int refusedB = 0;
            long started = System.nanoTime();
            for (int i = 0; i < 40; i++) {
                LedgerClient.Answer r = (i % 2 == 0 ? viaA : viaB).get("/v1/tenants/" + tenant + "/head");
                if (r.status() == 200) {
                    admitted++;
                } else {
                    assertThat(r.status()).isEqualTo(429);
                    assertThat(r.code()).isEqualTo("rate_limited");
                    assertThat(r.header("Retry-After")).isNotNull();
                    if (i % 2 == 0) {
                        refusedA++;
                    } else {
                        refusedB++;
                    }
                }
            }
            double seconds = (System.nanoTime() - started) / 1e9;
            System.out.printf("40 requests in %.2f s through two instances: %d admitted, %d + %d refused%n", seconds,
                    admitted, refusedA, refusedB);
            // one bucket: the burst and what refilled meanwhile (one bucket per instance would admit 20 and more)
            assertThat(admitted).isBetween(10, 10 + (int) Math.ceil(2 * seconds) + 1);
            assertThat(refusedA).isPositive();
            assertThat(refusedB).isPositive();
        }
    }
}
