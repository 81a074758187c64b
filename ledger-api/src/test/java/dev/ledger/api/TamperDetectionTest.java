package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tampering done as a database superuser who bypasses the triggers is found by verification, with the reason and
 * the exact first broken sequence.
 */
class TamperDetectionTest {

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

    /** A tenant whose chain holds 2 admin entries then 10 evaluations (sequences 3..12). */
    private static String tenantWithHistory() {
        String t = "tamper-" + System.nanoTime() % 1000000;
        admin.post("/v1/tenants", Map.of("tenant_id", t, "name", "Tamper"));
        String key = admin.post("/v1/tenants/" + t + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")))
                .body().get("key").asText();
        LedgerClient client = admin.withKey(key);
        for (int i = 0; i < 10; i++) {
            assertThat(client.post("/v1/evaluations", LedgerClient.evaluation("ev_" + i), "k" + i).status()).isEqualTo(201);
        }
        assertThat(verify(t).get("status").asText()).isEqualTo("VALID");
        return t;
    }

    private static JsonNode verify(String tenant) {
        LedgerClient.Answer a = admin.post("/v1/tenants/" + tenant + "/verifications", Map.of());
        assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
        return a.body();
    }

    /** Runs SQL as the superuser with triggers disabled, as an attacker with database access would. */
    private static void tamper(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("set session_replication_role = replica");
            s.execute(sql);
        }
    }

    private static String row(String tenant, long sequence) {
        return " where aggregate_identifier = '" + tenant + "' and sequence_number = " + (sequence - 1);
    }

    private static void assertBroken(String tenant, long sequence, String reason) {
        JsonNode result = verify(tenant);
        assertThat(result.get("status").asText()).isEqualTo("BROKEN");
        assertThat(result.get("first_broken_sequence").asLong()).isEqualTo(sequence);
        assertThat(result.get("reason").asText()).isEqualTo(reason);
    }

    @Test
    void oneChangedPayloadByteIsAHashMismatchAtThatEntry() throws Exception {
        String t = tenantWithHistory();
        tamper("update domain_event_entry set payload = overlay(payload placing '\\x58'::bytea from 12 for 1)" + row(t, 7));
        assertBroken(t, 7, "hash_mismatch");
    }

    @Test
    void changedMetadataIsAHashMismatchAtThatEntry() throws Exception {
        String t = tenantWithHistory();
        tamper("update domain_event_entry set meta_data = convert_to('{\"actor\":\"mallory\"}', 'UTF8')" + row(t, 5));
        assertBroken(t, 5, "hash_mismatch");
    }

    @Test
    void aChangedStoredHashIsFoundAtThatEntry() throws Exception {
        String t = tenantWithHistory();
        tamper("update domain_event_entry set entry_hash = sha256('forged')" + row(t, 9));
        assertBroken(t, 9, "hash_mismatch");
    }

    @Test
    void aDeletedEntryIsASequenceGap() throws Exception {
        String t = tenantWithHistory();
        tamper("delete from domain_event_entry" + row(t, 6));
        assertBroken(t, 6, "sequence_gap");
    }

    @Test
    void twoSwappedEntriesBreakTheLinkAtTheFirstOfThem() throws Exception {
        String t = tenantWithHistory();
        tamper("update domain_event_entry set sequence_number = -1" + row(t, 8) + ";"
                + "update domain_event_entry set sequence_number = 7" + row(t, 9) + ";"
                + "update domain_event_entry set sequence_number = 8 where aggregate_identifier = '" + t + "' and sequence_number = -1");
        JsonNode result = verify(t);
        assertThat(result.get("status").asText()).isEqualTo("BROKEN");
        assertThat(result.get("first_broken_sequence").asLong()).isEqualTo(8);
        assertThat(result.get("reason").asText()).isIn("broken_link", "hash_mismatch");
    }

    @Test
    void aRangedVerificationChecksOnlyThatRangeAndEveryRunIsRecordedInTheChain() {
        String t = tenantWithHistory();
        LedgerClient.Answer ranged = admin.post("/v1/tenants/" + t + "/verifications", Map.of("from_sequence", 4, "to_sequence", 8));
        assertThat(ranged.body().get("status").asText()).isEqualTo("VALID");
        assertThat(ranged.body().get("checked").asLong()).isEqualTo(5);
        JsonNode entries = admin.get("/v1/tenants/" + t + "/entries?after=12&limit=10").body().get("entries");
        assertThat(entries.findValuesAsText("type")).containsExactly("VerificationRecorded", "VerificationRecorded");
    }
}
