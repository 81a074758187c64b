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

    /**
     * An instance whose view of a tenant is stale (the other appended since it last did) records what the ledger itself
     * appends, a verification run, a key issued and a suspension, at the head the other committed: a verification
     * answered VALID while its run went unrecorded ("could not be recorded in its chain: DuplicateKeyException", seen
     * on a clean clone), and the same stale head made issuing a key fail with 500.
     */
    @Test
    void anInstanceThatMissedTheOthersAppendsStillRecordsTheLedgersOwnEntries() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String run = "twostale" + Long.toString(System.nanoTime() % 2_000_000_000L, 36);
        infra.postgres.createDatabase(run);
        Map<String, Object> store = Map.of("DATABASE_URL", infra.ledgerApiLogin.databaseUrl(run),
                "LEDGER_MIGRATION_DATABASE_URL", infra.postgres.databaseUrl(run),
                "ledger.entries-topic", run + ".entries");
        try (RunningLedger one = RunningLedger.start(infra, store);
             RunningLedger two = RunningLedger.start(infra, store)) {
            LedgerClient adminOne = new LedgerClient(one.url(), RunningLedger.ADMIN_KEY);
            LedgerClient adminTwo = new LedgerClient(two.url(), RunningLedger.ADMIN_KEY);
            assertThat(adminOne.post("/v1/tenants", Map.of("tenant_id", "stale", "name", "Stale")).status())
                    .isEqualTo(201);
            String key = adminOne.post("/v1/tenants/stale/api-keys", Map.of("scopes", List.of("evaluations:write")))
                    .body().get("key").asText();
            // instance two appends once (it now knows the head), then instance one appends three times
            assertThat(new LedgerClient(two.url(), key).post("/v1/evaluations", evaluation("ev_two"), "s-two").status())
                    .isEqualTo(201);
            for (int i = 0; i < 3; i++) {
                assertThat(new LedgerClient(one.url(), key).post("/v1/evaluations", evaluation("ev_" + i), "s-" + i)
                        .status()).isEqualTo(201);
            }
            long head = 6; // registration, key, four evaluations

            Answer verified = adminTwo.post("/v1/tenants/stale/verifications", Map.of());
            assertThat(verified.body().get("status").asText()).isEqualTo("VALID");
            assertThat(verified.body().get("head_sequence").asLong()).isEqualTo(head);
            // and an admin action in a transaction of its own (a key issued), after instance one appended again
            assertThat(new LedgerClient(one.url(), key).post("/v1/evaluations", evaluation("ev_3"), "s-3").status())
                    .isEqualTo(201);
            Answer issued = adminTwo.post("/v1/tenants/stale/api-keys", Map.of("scopes", List.of("audit:read")));
            assertThat(issued.status()).as(issued.raw().body()).isEqualTo(201);
            assertThat(new LedgerClient(one.url(), key).post("/v1/evaluations", evaluation("ev_4"), "s-4").status())
                    .isEqualTo(201);
            Answer suspended = adminTwo.post("/v1/tenants/stale/suspend", Map.of("reason", "stale-head check"));
            assertThat(suspended.status()).as(suspended.raw().body()).isEqualTo(200);

            List<String> types = new java.util.ArrayList<>();
            adminOne.get("/v1/tenants/stale/entries?limit=100").body().get("entries")
                    .forEach(e -> types.add(e.get("sequence").asLong() + " " + e.get("type").asText()));
            assertThat(types).as("each after the head the other instance wrote")
                    .endsWith((head + 1) + " VerificationRecorded", (head + 2) + " EvaluationRecorded",
                            (head + 3) + " ApiKeyIssued", (head + 4) + " EvaluationRecorded",
                            (head + 5) + " TenantSuspended");
        }
    }

    private static Map<String, Object> evaluation(String id) {
        return Map.of("evaluation_id", id, "policy_id", "pol", "policy_version", "1", "subject", "agent:1",
                "input_digest", "sha256:" + "cd".repeat(32), "terminal_state", "APPROVED", "gates", List.of(),
                "occurred_at", "2026-12-04T10:00:00Z");
    }
}
