package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.core.verify.BundleVerification;
import dev.ledger.core.verify.BundleVerifier;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One checkpoint auditor (ledger-core CheckpointAudit): {@code POST /v1/tenants/{t}/verifications} and the offline
 * verifier, on an export of the same chain, give the same verdict and the same first broken sequence, also where
 * checkpoints are sparse, the chain runs past its last checkpoint, or a checkpoint itself was tampered with.
 */
class PrimitiveCheckpointAuditTest {

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

    /** 14 entries (2 admin entries, then evaluations) with signed checkpoints at 5 and 10 only: the last 4 unvouched. */
    private static String sparselyCheckpointedTenant() {
        String t = "audit-" + UUID.randomUUID().toString().substring(0, 8);
        admin.post("/v1/tenants", Map.of("tenant_id", t, "name", "Audit"));
        String key = admin.post("/v1/tenants/" + t + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")))
                .body().get("key").asText();
        LedgerClient client = admin.withKey(key);
        for (int i = 0; i < 12; i++) {
            assertThat(client.post("/v1/evaluations", LedgerClient.evaluation("ev_" + i), "k" + i).status()).isEqualTo(201);
            long size = 3 + i;
            if (size == 5 || size == 10) {
                assertThat(admin.post("/v1/tenants/" + t + "/checkpoints", Map.of()).body().get("size").asLong()).isEqualTo(size);
            }
        }
        return t;
    }

    /** The API's verdict and the offline verifier's on the API's export, as "STATUS first_broken reason". */
    private static List<String> bothVerdicts(String tenant) throws Exception {
        LedgerClient.Answer a = admin.post("/v1/tenants/" + tenant + "/verifications", Map.of());
        assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
        JsonNode api = a.body();
        String apiVerdict = api.get("status").asText() + (api.hasNonNull("first_broken_sequence")
                ? " " + api.get("first_broken_sequence").asLong() + " " + api.get("reason").asText() : "");
        HttpResponse<byte[]> export = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(ledger.url() + "/v1/tenants/" + tenant + "/export"))
                .header("Authorization", "Bearer " + RunningLedger.ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(export.statusCode()).isEqualTo(200);
        BundleVerification offline = new BundleVerifier().verify(new ByteArrayInputStream(export.body()));
        String offlineVerdict = offline.status().name() + (offline.firstBrokenSequence() != null
                ? " " + offline.firstBrokenSequence() + " " + offline.reason().name() : "");
        return List.of(apiVerdict, offlineVerdict);
    }

    private static void tamper(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("set session_replication_role = replica");
            s.execute(sql);
        }
    }

    private static String entry(String tenant, long sequence) {
        return " where aggregate_identifier = '" + tenant + "' and sequence_number = " + (sequence - 1);
    }

    @Test
    void givenAChainLongerThanItsLastCheckpointWhenVerifiedBothWaysThenBothSayValid() throws Exception {
        String t = sparselyCheckpointedTenant();
        assertThat(bothVerdicts(t)).containsExactly("VALID", "VALID");
    }

    /** The API once kept growing the tree past the break and answered 6 checkpoint_mismatch (checkpoint 10 differs). */
    @Test
    void givenSparseCheckpointsAndAChangedStoredHashWhenVerifiedBothWaysThenBothNameThatEntry() throws Exception {
        String t = sparselyCheckpointedTenant();
        tamper("update domain_event_entry set entry_hash = sha256('forged')" + entry(t, 7));
        assertThat(bothVerdicts(t)).containsExactly("BROKEN 7 hash_mismatch", "BROKEN 7 hash_mismatch");
    }

    @Test
    void givenAnEntryPastTheLastCheckpointChangedWhenVerifiedBothWaysThenBothNameThatEntry() throws Exception {
        String t = sparselyCheckpointedTenant();
        tamper("update domain_event_entry set payload = overlay(payload placing '\\x58'::bytea from 12 for 1)" + entry(t, 12));
        assertThat(bothVerdicts(t)).containsExactly("BROKEN 12 hash_mismatch", "BROKEN 12 hash_mismatch");
    }

    @Test
    void givenATamperedCheckpointWhenVerifiedBothWaysThenBothNameTheFirstUnvouchedEntry() throws Exception {
        String t = sparselyCheckpointedTenant();
        tamper("update checkpoint set root_hash = sha256('forged') where tenant_id = '" + t + "' and size = 10");
        assertThat(bothVerdicts(t)).containsExactly("BROKEN 6 checkpoint_mismatch", "BROKEN 6 checkpoint_mismatch");
    }

    /**
     * A checkpoint row beyond the head whose signature does not hold vouches for nothing: it is not a cut-off tail
     * (the API once answered 15, "the tail was cut off", without checking its signature).
     */
    @Test
    void givenAForgedCheckpointBeyondTheHeadWhenVerifiedBothWaysThenBothNameTheEntryAfterTheLastValidCheckpoint() throws Exception {
        String t = sparselyCheckpointedTenant();
        tamper("insert into checkpoint (tenant_id, size, root_hash, issued_at, key_id, signature) select tenant_id, 20, root_hash,"
                + " issued_at, key_id, signature from checkpoint where tenant_id = '" + t + "' and size = 10");
        assertThat(bothVerdicts(t)).containsExactly("BROKEN 11 checkpoint_mismatch", "BROKEN 11 checkpoint_mismatch");
    }
}
