package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.verify.BundleVerification;
import dev.ledger.core.verify.BundleVerifier;
import dev.ledger.core.chain.Sha256;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tampering done as a database superuser who bypasses the triggers is found — by the API's verification and by the
 * offline verifier on an export — with the reason and the exact first broken sequence.
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

    /** 2 admin entries then 10 evaluations (sequences 3..12), with a signed checkpoint after every entry. */
    private static String tenantWithHistory() {
        String t = "tamper-" + UUID.randomUUID().toString().substring(0, 8);
        admin.post("/v1/tenants", Map.of("tenant_id", t, "name", "Tamper"));
        String key = admin.post("/v1/tenants/" + t + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")))
                .body().get("key").asText();
        LedgerClient client = admin.withKey(key);
        assertThat(admin.post("/v1/tenants/" + t + "/checkpoints", Map.of()).status()).isEqualTo(201);
        for (int i = 0; i < 10; i++) {
            assertThat(client.post("/v1/evaluations", LedgerClient.evaluation("ev_" + i), "k" + i).status()).isEqualTo(201);
            assertThat(admin.post("/v1/tenants/" + t + "/checkpoints", Map.of()).body().get("size").asLong()).isEqualTo(3 + i);
        }
        assertThat(offline(t).valid()).isTrue();
        return t;
    }

    private static JsonNode verify(String tenant) {
        LedgerClient.Answer a = admin.post("/v1/tenants/" + tenant + "/verifications", Map.of());
        assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
        return a.body();
    }

    /** Exports the tenant's bundle through the API and checks it with the offline verifier. */
    private static BundleVerification offline(String tenant) {
        try {
            return new BundleVerifier().verify(new ByteArrayInputStream(export(tenant)));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static byte[] export(String tenant) {
        try {
            HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/tenants/" + tenant + "/export"))
                    .header("Authorization", "Bearer " + RunningLedger.ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofByteArray());
            assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
            return r.body();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * What a worker's record check (ledger-core EntryReader and ChainVerifier, as the followers run them) finds in the
     * exported entries, each line read as the entry record it carries: the first break, or null.
     */
    private static dev.ledger.core.chain.ChainVerifier.Break worker(String tenant) {
        dev.ledger.core.chain.EntryReader reader = new dev.ledger.core.chain.EntryReader();
        dev.ledger.core.chain.ChainVerifier chain = new dev.ledger.core.chain.ChainVerifier();
        String prefix = "{\"kind\":\"entry\",";
        for (String line : new String(export(tenant), StandardCharsets.UTF_8).split("\n")) {
            if (line.startsWith(prefix)) {
                dev.ledger.core.chain.EntryReader.Link l = reader.read(("{" + line.substring(prefix.length())).getBytes(StandardCharsets.UTF_8));
                dev.ledger.core.chain.ChainVerifier.Break b = chain.accept(l.sequence(), l.prevHash(), l.hash(), l.recomputed());
                if (b != null) {
                    return b;
                }
            }
        }
        return null;
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
        BundleVerification bundle = offline(tenant);
        assertThat(bundle.valid()).as(bundle.summary()).isFalse();
        assertThat(bundle.firstBrokenSequence()).as(bundle.summary()).isEqualTo(sequence);
        assertThat(bundle.reason().name()).as(bundle.summary()).isEqualTo(reason);
        JsonNode result = verify(tenant);
        assertThat(result.get("status").asText()).isEqualTo("BROKEN");
        assertThat(result.get("first_broken_sequence").asLong()).as(result.toString()).isEqualTo(sequence);
        assertThat(result.get("reason").asText()).as(result.toString()).isEqualTo(reason);
        dev.ledger.core.chain.ChainVerifier.Break seenByWorker = worker(tenant);
        if (reason.equals("checkpoint_mismatch")) {
            // a recomputed chain links and hashes: only signed checkpoints catch it (the meter-reader's witness checks them)
            assertThat(seenByWorker).isNull();
        } else {
            assertThat(seenByWorker).as("the worker's record check").isNotNull();
            assertThat(seenByWorker.sequence()).isEqualTo(sequence);
            assertThat(seenByWorker.reason().name()).isEqualTo(reason);
        }
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
        assertBroken(t, 8, "broken_link");
    }

    @Test
    void anInsertedEntryWithARecomputedChainIsCaughtByTheSignedCheckpoints() throws Exception {
        String t = tenantWithHistory();
        insertWithRecomputedChain(t, 6);
        assertBroken(t, 6, "checkpoint_mismatch");
    }

    @Test
    void aCutOffTailIsCaughtAgainstTheLatestSignedCheckpoint() throws Exception {
        String t = tenantWithHistory();
        tamper("delete from domain_event_entry where aggregate_identifier = '" + t + "' and sequence_number >= 10");
        assertBroken(t, 11, "checkpoint_mismatch");
    }

    @Test
    void aRangedVerificationChecksOnlyThatRangeAndEveryRunIsRecordedInTheChain() {
        String t = tenantWithHistory();
        LedgerClient.Answer ranged = admin.post("/v1/tenants/" + t + "/verifications", Map.of("from_sequence", 4, "to_sequence", 8));
        assertThat(ranged.body().get("status").asText()).isEqualTo("VALID");
        assertThat(ranged.body().get("checked").asLong()).isEqualTo(5);
        assertThat(verify(t).get("status").asText()).isEqualTo("VALID");
        JsonNode entries = admin.get("/v1/tenants/" + t + "/entries?after=12&limit=10").body().get("entries");
        assertThat(entries.findValuesAsText("type")).containsExactly("VerificationRecorded", "VerificationRecorded");
    }

    /** Shifts entries from {@code at} up by one, inserts a plausible entry there, and re-links everything after it. */
    private static void insertWithRecomputedChain(String tenant, long at) throws Exception {
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl())) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("set session_replication_role = replica");
                s.execute("update domain_event_entry set sequence_number = -sequence_number - 1000 where aggregate_identifier = '"
                        + tenant + "' and sequence_number >= " + (at - 1));
                s.execute("update domain_event_entry set sequence_number = -(sequence_number + 1000) + 1 where aggregate_identifier = '"
                        + tenant + "' and sequence_number < -999");
                s.execute("insert into domain_event_entry (event_identifier, aggregate_identifier, sequence_number, type, time_stamp,"
                        + " payload_type, payload_revision, payload, meta_data, prev_hash, entry_hash)"
                        + " select '" + UUID.randomUUID() + "', aggregate_identifier, " + (at - 1) + ", type, time_stamp, payload_type,"
                        + " payload_revision, payload, meta_data, prev_hash, entry_hash from domain_event_entry"
                        + row(tenant, at + 1));
            }
            List<Object[]> rows = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("select sequence_number, event_identifier, payload_type, payload_revision,"
                    + " time_stamp, payload, meta_data from domain_event_entry where aggregate_identifier = ? and sequence_number >= ?"
                    + " order by sequence_number")) {
                ps.setString(1, tenant);
                ps.setLong(2, at - 1);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        rows.add(new Object[] {rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                                rs.getBytes(6), rs.getBytes(7)});
                    }
                }
            }
            byte[] prev;
            try (PreparedStatement ps = c.prepareStatement("select entry_hash from domain_event_entry where aggregate_identifier = ? and sequence_number = ?")) {
                ps.setString(1, tenant);
                ps.setLong(2, at - 2);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    prev = rs.getBytes(1);
                }
            }
            try (PreparedStatement update = c.prepareStatement("update domain_event_entry set prev_hash = ?, entry_hash = ?"
                    + " where aggregate_identifier = ? and sequence_number = ?")) {
                for (Object[] r : rows) {
                    long seq = (Long) r[0] + 1;
                    byte[] hash = EntryFraming.hash(tenant, seq, (String) r[1], (String) r[2], (String) r[3], (String) r[4],
                            Sha256.of((byte[]) r[5]), Sha256.of((byte[]) r[6]), prev);
                    update.setBytes(1, prev);
                    update.setBytes(2, hash);
                    update.setString(3, tenant);
                    update.setLong(4, (Long) r[0]);
                    update.executeUpdate();
                    prev = hash;
                }
            }
            c.commit();
        }
    }
}
