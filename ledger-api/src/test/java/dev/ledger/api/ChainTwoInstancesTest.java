package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.LedgerClient.Answer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two ledger-api instances on one store appending to one tenant in turn: each links its entries to the head the
 * other committed, never to the head it last wrote itself, so the chain stays one unbroken line. (A head kept in memory
 * by each instance to save reading it back, linked whenever present, broke this chain at the first change of
 * instance: "prev_hash does not equal the hash of entry 6".)
 */
class ChainTwoInstancesTest {

    @Test
    void appendsAlternatingBetweenTwoInstancesKeepOneValidChain() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String run = "twoinst" + Long.toString(System.nanoTime() % 2_000_000_000L, 36);
        infra.postgres.createDatabase(run); // its own store: two publishers share its one position
        Map<String, Object> store = Map.of("DATABASE_URL", infra.ledgerApiLogin.databaseUrl(run),
                "LEDGER_MIGRATION_DATABASE_URL", infra.postgres.databaseUrl(run), "ledger.entries-topic", run + ".entries");
        try (RunningLedger one = RunningLedger.start(infra, store); RunningLedger two = RunningLedger.start(infra, store)) {
            LedgerClient admin = new LedgerClient(one.url(), RunningLedger.ADMIN_KEY);
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", "shared", "name", "Shared")).status()).isEqualTo(201);
            String key = admin.post("/v1/tenants/shared/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")))
                    .body().get("key").asText();
            List<LedgerClient> instances = List.of(new LedgerClient(one.url(), key), new LedgerClient(two.url(), key));
            long last = 0;
            for (int i = 0; i < 12; i++) {
                // two in a row on each: the second follows the instance's own head, the first the other's
                Answer written = instances.get(i / 2 % 2).post("/v1/evaluations", evaluation("ev_" + i), "two-" + i);
                assertThat(written.status()).as("write %d", i).isEqualTo(201);
                long sequence = written.body().get("sequence").asLong();
                assertThat(sequence).isGreaterThan(last);
                last = sequence;
            }
            for (LedgerClient instance : instances) {
                Answer verified = instance.post("/v1/tenants/shared/verifications", Map.of());
                assertThat(verified.body().get("status").asText()).as(verified.body().toString()).isEqualTo("VALID");
            }
        }
    }

    private static Map<String, Object> evaluation(String id) {
        return Map.of("evaluation_id", id, "policy_id", "pol", "policy_version", "1", "subject", "agent:1",
                "input_digest", "sha256:" + "cd".repeat(32), "terminal_state", "APPROVED", "gates", List.of(),
                "occurred_at", "2026-12-04T10:00:00Z");
    }
}
