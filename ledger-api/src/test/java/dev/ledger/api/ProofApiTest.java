package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.LedgerClient.Answer;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKeys;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.Hex;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What an auditor does with the proof endpoints, checked with nothing but ledger-core's RFC 6962 verification and the
 * published keys: signed checkpoints, inclusion proofs of every entry against them, a consistency proof between two
 * checkpoints. No tree is held in memory: every answer comes from the stored frontier and subtree roots.
 */
class ProofApiTest {

    @Test
    void proofsFromStoredSubtreesVerifyAgainstSignedCheckpoints() {
        SharedInfrastructure infra = SharedInfrastructure.get();
        try (RunningLedger ledger = RunningLedger.start(infra)) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            CheckpointKeys published = CheckpointKeys.fromJson(admin.get("/v1/checkpoint-keys").body());
            List<String> tenants = List.of("proof-a", "proof-b");
            for (String t : tenants) {
                admin.post("/v1/tenants", Map.of("tenant_id", t, "name", t));
                String key = admin.post("/v1/tenants/" + t + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")))
                        .body().get("key").asText();
                LedgerClient writer = admin.withKey(key);
                for (int i = 0; i < 12; i++) {
                    assertThat(writer.post("/v1/evaluations", LedgerClient.evaluation("ev_" + i), t + "-" + i).status()).isEqualTo(201);
                }
            }
            for (String t : tenants) {
                Answer issued = admin.post("/v1/tenants/" + t + "/checkpoints", Map.of());
                assertThat(issued.status()).as(issued.raw().body()).isEqualTo(201);
                Checkpoint small = Checkpoint.fromJson(issued.body());
                assertThat(published.verify(small)).as("signed by a published key").isTrue();

                // more entries, a second checkpoint, and the proof that the second extends the first
                LedgerClient writer = admin.withKey(admin.post("/v1/tenants/" + t + "/api-keys",
                        Map.of("scopes", List.of("evaluations:write"))).body().get("key").asText());
                for (int i = 12; i < 17; i++) {
                    writer.post("/v1/evaluations", LedgerClient.evaluation("ev_" + i), t + "-" + i);
                }
                Checkpoint large = Checkpoint.fromJson(admin.post("/v1/tenants/" + t + "/checkpoints", Map.of()).body());
                assertThat(large.size()).isGreaterThan(small.size());
                Answer consistency = admin.get("/v1/tenants/" + t + "/consistency?from=" + small.size() + "&to=" + large.size());
                assertThat(consistency.status()).as(consistency.raw().body()).isEqualTo(200);
                assertThat(MerkleTree.verifyConsistency(small.size(), large.size(), small.rootHash(), large.rootHash(),
                        hashes(consistency.body().get("proof")))).isTrue();

                // every entry is in the large checkpoint; the other tenant's tree is asked for in between (evicting this one)
                List<JsonNode> entries = new ArrayList<>();
                admin.get("/v1/tenants/" + t + "/entries?limit=1000").body().get("entries").forEach(entries::add);
                assertThat((long) entries.size()).isGreaterThanOrEqualTo(large.size());
                String other = tenants.get(1 - tenants.indexOf(t));
                for (int k = 1; k <= large.size(); k++) {
                    admin.get("/v1/tenants/" + other + "/entries/1/proof");
                    Answer proof = admin.get("/v1/tenants/" + t + "/entries/" + k + "/proof?size=" + large.size());
                    assertThat(proof.status()).as(proof.raw().body()).isEqualTo(200);
                    assertThat(proof.body().get("root_hash").asText()).isEqualTo(Hex.of(large.rootHash()));
                    byte[] entryHash = Hex.parse(entries.get(k - 1).get("hash").asText());
                    List<byte[]> path = hashes(proof.body().get("audit_path"));
                    assertThat(MerkleTree.verifyInclusion(entryHash, k - 1, large.size(), path, large.rootHash()))
                            .as("entry %d of %s", k, t).isTrue();
                    // the same proof does not vouch for another entry
                    byte[] otherHash = Hex.parse(entries.get(k % (int) large.size()).get("hash").asText());
                    assertThat(MerkleTree.verifyInclusion(otherHash, k - 1, large.size(), path, large.rootHash())).isFalse();
                }
            }
        }
    }

    private static List<byte[]> hashes(JsonNode hexArray) {
        List<byte[]> out = new ArrayList<>();
        hexArray.forEach(h -> out.add(Hex.parse(h.asText())));
        return out;
    }
}
