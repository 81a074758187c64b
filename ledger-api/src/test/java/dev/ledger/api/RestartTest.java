package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.LedgerClient.Answer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RestartTest {

    @Test
    void afterStoppingAndStartingTheDatabaseAndTheServiceTheChainContinuesWhereItStopped() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String tenant = "restart-" + System.nanoTime() % 100000;
        Answer last;
        String key;
        try (RunningLedger ledger = RunningLedger.start(infra)) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Restart")).status()).isEqualTo(201);
            key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write"))).body().get("key").asText();
            LedgerClient client = admin.withKey(key);
            last = null;
            // more than one snapshot interval, so the restarted service loads the tenant from a snapshot plus a tail
            for (int i = 0; i < 1010; i++) {
                last = client.post("/v1/evaluations", LedgerClient.evaluation("ev_" + i), "k" + i);
                assertThat(last.status()).isEqualTo(201);
            }
        }
        infra.restartPostgres();
        try (RunningLedger ledger = RunningLedger.start(infra)) {
            LedgerClient client = new LedgerClient(ledger.url(), key);
            Answer next = client.post("/v1/evaluations", LedgerClient.evaluation("ev_after"), "after");
            assertThat(next.status()).isEqualTo(201);
            assertThat(next.body().get("sequence").asLong()).isEqualTo(last.body().get("sequence").asLong() + 1);
            assertThat(next.body().get("prev_hash").asText()).isEqualTo(last.body().get("hash").asText());
            Answer replay = client.post("/v1/evaluations", LedgerClient.evaluation("ev_5"), "k5");
            assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        }
    }
}
