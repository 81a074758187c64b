package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.LedgerClient.Answer;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKeys;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.MerkleTree;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ledger's half of witnessing invoices: a witnessed invoice's checkpoint verifies with the published keys and its
 * metadata form reads back to it; the next invoice's record proves the tree grew from the previous one's; asking again
 * answers the same; a tampered chain gets the invoice held, with the first broken entry; only admin and service keys.
 */
class InvoiceWitnessApiTest {

    private static RunningLedger ledger;
    private static LedgerClient admin;
    private static LedgerClient service;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get());
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        service = admin.withKey(admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
    }

    @AfterAll
    static void stop() {
        if (ledger != null) {
            ledger.close();
        }
    }

    private static String tenantWithEvaluations(int n) {
        String tenant = "wit-" + System.nanoTime() % 100_000_000;
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Witnessed")).status()).isEqualTo(201);
        String key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write")))
                .body().get("key").asText();
        evaluations(admin.withKey(key), n, "a");
        return tenant;
    }

    private static void evaluations(LedgerClient client, int n, String prefix) {
        for (int i = 0; i < n; i++) {
            assertThat(client.post("/v1/evaluations", LedgerClient.evaluation(prefix + i), prefix + "-" + i).status()).isEqualTo(201);
        }
    }

    private static Map<String, Object> witness(String invoice, long quantity) {
        return Map.of("invoice_id", invoice, "period_start", "2026-11-01T00:00:00Z", "period_end", "2026-12-01T00:00:00Z",
                "quantities", List.of(Map.of("meter", "evaluations", "ledger", quantity, "stripe", quantity, "invoiced", quantity)));
    }

    private static List<JsonNode> entries(String tenant, String type) {
        List<JsonNode> out = new ArrayList<>();
        admin.get("/v1/tenants/" + tenant + "/entries?after=0&limit=1000").body().get("entries").forEach(e -> {
            if (e.get("type").asText().equals(type)) {
                out.add(e);
            }
        });
        return out;
    }

    @Test
    void givenTwoInvoicesThenEachCheckpointVerifiesAndTheSecondRecordProvesTheTreeGrewFromTheFirst() throws Exception {
        String tenant = tenantWithEvaluations(5);
        CheckpointKeys keys = CheckpointKeys.fromJson(admin.withKey(null).get("/v1/checkpoint-keys").body());

        Answer first = service.post("/v1/tenants/" + tenant + "/invoice-witnesses", witness("in_first" + tenant.substring(4), 5));
        assertThat(first.status()).as(first.raw().body()).isEqualTo(200);
        assertThat(first.body().get("status").asText()).isEqualTo("witnessed");
        Checkpoint one = Checkpoint.fromMetadata(first.body().get("ledger_checkpoint").asText());
        assertThat(first.body().get("ledger_checkpoint").asText()).hasSizeLessThanOrEqualTo(500);
        assertThat(one).isEqualTo(Checkpoint.fromJson(first.body().get("checkpoint")));
        assertThat(keys.verify(one)).isTrue();
        assertThat(one.size()).isEqualTo(7); // registered, key issued, 5 evaluations
        assertThat(first.body().get("previous").isNull()).isTrue();

        Answer again = service.post("/v1/tenants/" + tenant + "/invoice-witnesses", witness("in_first" + tenant.substring(4), 5));
        assertThat(again.raw().headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(again.body()).isEqualTo(first.body());

        String key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write")))
                .body().get("key").asText();
        evaluations(admin.withKey(key), 3, "b");
        Answer second = service.post("/v1/tenants/" + tenant + "/invoice-witnesses", witness("in_second" + tenant.substring(4), 3));
        assertThat(second.body().get("status").asText()).isEqualTo("witnessed");
        Checkpoint two = Checkpoint.fromMetadata(second.body().get("ledger_checkpoint").asText());
        assertThat(keys.verify(two)).isTrue();
        JsonNode previous = second.body().get("previous");
        assertThat(previous.get("invoice_id").asText()).isEqualTo("in_first" + tenant.substring(4));
        assertThat(previous.get("size").asLong()).isEqualTo(one.size());
        List<byte[]> proof = new ArrayList<>();
        second.body().get("consistency_proof").forEach(h -> proof.add(Hex.parse(h.asText())));
        assertThat(MerkleTree.verifyConsistency(one.size(), two.size(), one.rootHash(), two.rootHash(), proof)).isTrue();
        assertThat(MerkleTree.verifyConsistency(one.size(), two.size(), two.rootHash(), one.rootHash(), proof)).isFalse();

        List<JsonNode> recorded = entries(tenant, "InvoiceWitnessed");
        assertThat(recorded).hasSize(2);
        JsonNode record = recorded.get(1).get("payload");
        assertThat(record.get("consistency_proof")).isEqualTo(second.body().get("consistency_proof"));
        assertThat(record.get("checkpoint")).isEqualTo(second.body().get("checkpoint"));
        assertThat(record.get("quantities").get(0).get("ledger").asLong()).isEqualTo(3);
        assertThat(record.get("actor").asText()).startsWith("key:");
    }

    @Test
    void givenATamperedChainThenTheInvoiceIsHeldNamingTheFirstBrokenEntry() throws Exception {
        String tenant = tenantWithEvaluations(4);
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("set session_replication_role = replica");
            s.execute("update domain_event_entry set payload = overlay(payload placing '\\x58'::bytea from 12 for 1) "
                    + "where aggregate_identifier = '" + tenant + "' and sequence_number = 4");
        }
        Answer held = service.post("/v1/tenants/" + tenant + "/invoice-witnesses", witness("in_tampered" + tenant.substring(4), 4));

        assertThat(held.status()).as(held.raw().body()).isEqualTo(200);
        assertThat(held.body().get("status").asText()).isEqualTo("held");
        assertThat(held.body().get("reason").asText()).isEqualTo("chain_broken");
        assertThat(held.body().get("first_broken_sequence").asLong()).isEqualTo(5);
        assertThat(held.body().has("ledger_checkpoint")).isFalse();
        List<JsonNode> holds = entries(tenant, "InvoiceHeld");
        assertThat(holds).hasSize(1);
        assertThat(holds.get(0).get("payload").get("reason").asText()).isEqualTo("chain_broken");
        assertThat(holds.get(0).get("payload").get("detail").asText()).contains("entry 5");
        assertThat(entries(tenant, "InvoiceWitnessed")).isEmpty();
    }

    @Test
    void onlyTheAdminAndServiceKeysWitnessAndAHoldNeedsAKnownReason() {
        String tenant = tenantWithEvaluations(1);
        String tenantKey = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")))
                .body().get("key").asText();
        assertThat(admin.withKey(null).post("/v1/tenants/" + tenant + "/invoice-witnesses", witness("in_x1", 1)).status())
                .isEqualTo(401);
        Answer refused = admin.withKey(tenantKey).post("/v1/tenants/" + tenant + "/invoice-witnesses", witness("in_x1", 1));
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.body().get("code").asText()).isEqualTo("insufficient_scope");
        assertThat(service.post("/v1/tenants/nobody-here/invoice-witnesses", witness("in_x1", 1)).status()).isEqualTo(404);

        Answer badReason = service.post("/v1/tenants/" + tenant + "/invoice-holds", Map.of("invoice_id", "in_x2",
                "period_start", "2026-11-01T00:00:00Z", "period_end", "2026-12-01T00:00:00Z", "reason", "because",
                "detail", "no", "quantities", List.of()));
        assertThat(badReason.status()).isEqualTo(422);
        assertThat(badReason.body().get("code").asText()).isEqualTo("validation_failed");
        Answer notAnInvoice = service.post("/v1/tenants/" + tenant + "/invoice-witnesses", witness("ch_x3", 1));
        assertThat(notAnInvoice.status()).isEqualTo(422);

        Answer held = service.post("/v1/tenants/" + tenant + "/invoice-holds", Map.of("invoice_id", "in_x4",
                "period_start", "2026-11-01T00:00:00Z", "period_end", "2026-12-01T00:00:00Z", "reason", "quantity_mismatch",
                "detail", "evaluations: ledger 3, Stripe 2, invoiced 2",
                "quantities", List.of(Map.of("meter", "evaluations", "ledger", 3, "stripe", 2, "invoiced", 2))));
        assertThat(held.status()).as(held.raw().body()).isEqualTo(200);
        assertThat(held.body().get("status").asText()).isEqualTo("held");
        assertThat(entries(tenant, "InvoiceHeld")).extracting(e -> e.get("payload").get("reason").asText())
                .containsExactly("quantity_mismatch");
        assertThat(entries(tenant, "TenantRegistered")).hasSize(1);
    }
}
