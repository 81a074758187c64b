package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.LedgerClient.Answer;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Failed authentications are limited per source address, and the limit is met before any key is checked. */
class AuthFailureLimitTest {

    @Test
    void givenASourceThatFailedItsAllowanceThenItsNextRequestsAnswer429WithRetryAfterEvenWithAValidKey() {
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.rate-limit.failed-auth-per-minute", 5))) {
            LedgerClient guesser = new LedgerClient(ledger.url(), "lk_0123456789abcdef_" + "00".repeat(32));
            for (int i = 0; i < 5; i++) {
                assertThat(guesser.get("/v1/tenants/acme").status()).isEqualTo(401);
            }
            Answer limited = guesser.get("/v1/tenants/acme");
            assertThat(limited.status()).isEqualTo(429);
            assertThat(limited.code()).isEqualTo("rate_limited");
            assertThat(limited.header("Content-Type")).startsWith("application/problem+json");
            assertThat(Long.parseLong(limited.header("Retry-After"))).isBetween(1L, 60L);
            // refused before the key is looked at: a right key from the same address waits too
            assertThat(guesser.withKey(RunningLedger.ADMIN_KEY).get("/v1/checkpoint-keys").status()).isEqualTo(200);
            assertThat(guesser.withKey(RunningLedger.ADMIN_KEY).get("/v1/tenants/acme").status()).isEqualTo(429);
            assertThat(new LedgerClient(ledger.url(), null).get("/health").status()).isEqualTo(200);
        }
    }
}
