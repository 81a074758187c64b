package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.LedgerClient.Answer;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WalkingSkeletonTest {

    @Test
    void givenATenantAndKey_whenEvaluationsArePosted_thenReceiptsFormOneGaplessChain() {
        SharedInfrastructure infra = SharedInfrastructure.get();
        try (RunningLedger ledger = RunningLedger.start(infra)) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            Answer created = admin.post("/v1/tenants", Map.of("tenant_id", "skel", "name", "Skeleton Inc"));
            assertThat(created.status()).as(created.raw().body()).isEqualTo(201);
            Answer key = admin.post("/v1/tenants/skel/api-keys", Map.of("scopes", List.of("evaluations:write")));
            assertThat(key.status()).as(key.raw().body()).isEqualTo(201);
            LedgerClient tenant = admin.withKey(key.body().get("key").asText());

            List<Answer> receipts = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                Answer r = tenant.post("/v1/evaluations", LedgerClient.evaluation("ev_" + i), "idem-" + i);
                assertThat(r.status()).as(r.raw().body()).isEqualTo(201);
                receipts.add(r);
            }
            for (int i = 1; i < receipts.size(); i++) {
                assertThat(receipts.get(i).body().get("sequence").asLong()).isEqualTo(receipts.get(i - 1).body().get("sequence").asLong() + 1);
                assertThat(receipts.get(i).body().get("prev_hash").asText()).isEqualTo(receipts.get(i - 1).body().get("hash").asText());
            }

            // what the chain commits to as an evaluation's metadata is exactly what the write path put there: who, and the
            // keys that make a retry safe; no framework trace or correlation ids
            String bundle = admin.get("/v1/tenants/skel/export").raw().body();
            JsonNode last = bundle.lines().map(LedgerClient::parse).filter(l -> "entry".equals(l.path("kind").asText()))
                    .reduce((a, b) -> b).orElseThrow();
            JsonNode metadata = LedgerClient.parse(new String(Base64.getDecoder().decode(last.get("metadata_b64").asText())));
            List<String> names = new ArrayList<>();
            metadata.fieldNames().forEachRemaining(names::add);
            // the billable facts travel in the hashed metadata: one unit of meter evaluations
            assertThat(names).containsExactlyInAnyOrder("actor", "idempotency_key", "request_digest", "entity_key", "meter", "quantity");
            assertThat(metadata.get("meter").asText()).isEqualTo("evaluations");
            assertThat(metadata.get("quantity").asText()).isEqualTo("1");
            assertThat(metadata.get("idempotency_key").asText()).isEqualTo("idem-4");
            assertThat(metadata.get("entity_key").asText()).isEqualTo("evaluation_id:ev_4");
        }
    }
}
