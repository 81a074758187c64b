package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.LedgerClient.Answer;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.entry.EntryTypes;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 acceptance 4: an entry is stored, hashed, exported and published under its logical type (EntryTypes), so no
 * stored byte, export line or Kafka record names a Java class, and moving a message class would change none of them.
 * A ledger of its own database and topic, written through the real API with every kind of entry the API makes.
 */
class EntryTypeStoredBytesTest {

    /** Every package of this code base starts so: a class name anywhere in the data would contain it. */
    private static final String CLASS_NAME_MARK = "dev.ledger";
    private static final List<String> WRITTEN_TYPES = List.of("TenantRegistered", "StripeCustomerLinked", "TenantSuspended",
            "TenantReactivated", "ApiKeyIssued", "ApiKeyRevoked", "EvaluationRecorded", "UsageRecorded", "AdminActionRecorded",
            "UsageReported", "VerificationRecorded");

    @Test
    void givenEntriesOfEveryKindWrittenThroughTheApi_thenStoreExportAndTopicHoldLogicalTypesAndNoClassName() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String run = "types" + Long.toString(System.nanoTime() % 2_000_000_000L, 36);
        String topic = run + ".entries";
        infra.postgres.createDatabase(run);
        String tenant = "tt-" + run;
        try (RunningLedger ledger = RunningLedger.start(infra, Map.of("ledger.entries-topic", topic, "ledger.usage.allowed-meters", "tokens",
                "DATABASE_URL", infra.ledgerApiLogin.databaseUrl(run), "LEDGER_MIGRATION_DATABASE_URL", infra.postgres.databaseUrl(run)))) {
            writeEveryKindOfEntry(new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY), tenant);

            // the store: the stored type is the logical name and revision, and no column of any row names a class
            Map<String, String> revisions = new LinkedHashMap<>();
            List<String> classNames = new ArrayList<>();
            long rows = 0;
            try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl(run)); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("select aggregate_identifier, sequence_number, type, payload_type, payload_revision,"
                         + " payload, meta_data from domain_event_entry order by global_index")) {
                while (rs.next()) {
                    rows++;
                    revisions.put(rs.getString("payload_type"), rs.getString("payload_revision"));
                    String where = rs.getString(1) + "#" + (rs.getLong(2) + 1);
                    grep(classNames, where + " type", rs.getString("type"));
                    grep(classNames, where + " payload_type", rs.getString("payload_type"));
                    grep(classNames, where + " payload", new String(rs.getBytes("payload"), StandardCharsets.UTF_8));
                    grep(classNames, where + " meta_data", new String(rs.getBytes("meta_data"), StandardCharsets.UTF_8));
                }
            }
            assertThat(revisions.keySet()).as("the stored types are the registry's logical names").containsAll(WRITTEN_TYPES)
                    .allSatisfy(type -> assertThat(EntryTypes.isKnown(type)).as(type).isTrue());
            revisions.forEach((type, revision) -> assertThat(revision).as(type).isEqualTo(EntryTypes.named(type).orElseThrow().revision()));
            assertThat(classNames).as("stored rows naming a Java class").isEmpty();

            // the export, its payloads and metadata decoded
            String bundle = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY).get("/v1/tenants/" + tenant + "/export").raw().body();
            assertThat(LedgerClient.parse(bundle.lines().findFirst().orElseThrow()).path("chain_format").asInt()).isEqualTo(2);
            Set<String> exportedTypes = new TreeSet<>();
            grep(classNames, "export", bundle);
            for (String line : bundle.lines().toList()) {
                JsonNode l = LedgerClient.parse(line);
                if ("entry".equals(l.path("kind").asText())) {
                    exportedTypes.add(l.get("type").asText());
                    grep(classNames, "export payload " + l.get("sequence"), decode(l.path("payload_b64").asText("")));
                    grep(classNames, "export metadata " + l.get("sequence"), decode(l.path("metadata_b64").asText("")));
                }
            }
            assertThat(exportedTypes).containsAll(WRITTEN_TYPES);
            assertThat(classNames).as("export lines naming a Java class").isEmpty();

            // the entries topic: every record of every chain, raw and decoded
            Set<String> published = new HashSet<>();
            Set<String> publishedTypes = new TreeSet<>();
            try (KafkaConsumer<String, byte[]> consumer = PublicationFixtures.consumer(topic)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (published.size() < rows && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                        StoredEntry e = EntryCodec.decode(r.value());
                        String where = "record " + e.tenantId() + "#" + e.sequence();
                        published.add(e.tenantId() + "#" + e.sequence());
                        publishedTypes.add(e.type());
                        grep(classNames, where + " key", r.key());
                        grep(classNames, where + " value", new String(r.value(), StandardCharsets.UTF_8));
                        grep(classNames, where + " payload", e.payload() == null ? "" : new String(e.payload(), StandardCharsets.UTF_8));
                        grep(classNames, where + " metadata", new String(e.metadata(), StandardCharsets.UTF_8));
                        for (Header h : r.headers()) {
                            grep(classNames, where + " header " + h.key(), h.key() + new String(h.value(), StandardCharsets.UTF_8));
                        }
                    }
                }
            }
            assertThat(published).as("every stored entry was published").hasSize((int) rows);
            assertThat(publishedTypes).containsAll(WRITTEN_TYPES);
            assertThat(classNames).as("Kafka records naming a Java class").isEmpty();
        }
    }

    @Test
    void givenATenantPastTheSnapshotThreshold_thenItsSnapshotIsStoredUnderALogicalNameAndReadsBackAfterARestart() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String run = "snaps" + Long.toString(System.nanoTime() % 2_000_000_000L, 36);
        infra.postgres.createDatabase(run);
        Map<String, Object> own = Map.of("ledger.entries-topic", run + ".entries", "DATABASE_URL", infra.ledgerApiLogin.databaseUrl(run),
                "LEDGER_MIGRATION_DATABASE_URL", infra.postgres.databaseUrl(run));
        String tenant = "ts-" + run;
        String key;
        try (RunningLedger ledger = RunningLedger.start(infra, own)) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            created(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Snapshots Inc")));
            key = created(admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write"))))
                    .body().get("key").asText();
            LedgerClient client = admin.withKey(key);
            for (int b = 0; b < 10; b++) {
                List<Map<String, Object>> items = new ArrayList<>();
                for (int i = 0; i < 1000; i++) {
                    Map<String, Object> item = new LinkedHashMap<>(LedgerClient.evaluation("ev_" + b + "_" + i));
                    item.put("idempotency_key", "s-" + b + "-" + i);
                    items.add(item);
                }
                assertThat(client.post("/v1/evaluations:batch", Map.of("items", items)).status()).isEqualTo(200);
            }
            // the snapshot is taken after the commit, on a thread of its own
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (snapshots(infra, run).isEmpty() && System.nanoTime() < deadline) {
                LockSupport.parkNanos(200_000_000L);
            }
        }
        List<String> stored = snapshots(infra, run);
        assertThat(stored).as("a snapshot was stored").isNotEmpty();
        List<String> classNames = new ArrayList<>();
        for (String row : stored) {
            assertThat(row).startsWith("TenantLedgerSnapshot|" + dev.ledger.core.entry.EntryTypes.TENANT_LEDGER_SNAPSHOT.revision() + "|");
            grep(classNames, "snapshot", row);
        }
        assertThat(classNames).as("snapshot rows naming a Java class").isEmpty();
        // and a restarted ledger (no tenant in memory) loads the tenant from that snapshot and appends after it
        try (RunningLedger ledger = RunningLedger.start(infra, own)) {
            created(new LedgerClient(ledger.url(), key).post("/v1/evaluations", LedgerClient.evaluation("after"), "after-restart"));
        }
    }

    /** Each snapshot row as "payload_type|payload_revision|type|payload|meta_data". */
    private static List<String> snapshots(SharedInfrastructure infra, String database) throws Exception {
        List<String> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl(database)); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select payload_type, payload_revision, type, payload, meta_data from snapshot_event_entry")) {
            while (rs.next()) {
                rows.add(rs.getString(1) + "|" + rs.getString(2) + "|" + rs.getString(3) + "|"
                        + new String(rs.getBytes(4), StandardCharsets.UTF_8) + "|" + new String(rs.getBytes(5), StandardCharsets.UTF_8));
            }
        }
        return rows;
    }

    private static void writeEveryKindOfEntry(LedgerClient admin, String tenant) {
        created(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Types Inc")));
        Answer key = created(admin.post("/v1/tenants/" + tenant + "/api-keys",
                Map.of("scopes", List.of("evaluations:write", "usage:write", "audit:write"))));
        LedgerClient client = admin.withKey(key.body().get("key").asText());
        created(client.post("/v1/evaluations", LedgerClient.evaluation("ev-1"), "t-ev-1"));
        created(client.post("/v1/usage", Map.of("usage_id", "u-1", "meter", "tokens", "quantity", 3,
                "occurred_at", "2026-12-03T09:45:00Z"), "t-u-1"));
        created(client.post("/v1/admin-actions", Map.of("actor", "ops", "action", "import", "target", "catalog",
                "details", Map.of("rows", 1)), "t-admin-1"));
        LedgerClient service = admin.withKey(created(admin.post("/v1/service-keys", Map.of())).body().get("key").asText());
        assertThat(service.put("/v1/tenants/" + tenant + "/stripe-customer", Map.of("stripe_customer_id", "cus_Types1")).status())
                .isEqualTo(200);
        created(service.post("/v1/tenants/" + tenant + "/usage-reports", Map.of("meter", "tokens", "window_start",
                "2026-12-03T09:45:00Z", "window_end", "2026-12-03T09:46:00Z", "quantity", 3, "stripe_identifier", tenant + "-tokens-1")));
        ok(admin.post("/v1/tenants/" + tenant + "/suspend", Map.of("reason", "unpaid")));
        ok(admin.post("/v1/tenants/" + tenant + "/reactivate", Map.of("reason", "paid")));
        Answer revoked = admin.delete("/v1/tenants/" + tenant + "/api-keys/" + key.body().get("key_id").asText());
        assertThat(revoked.status()).as(revoked.raw().body()).isBetween(200, 204);
        ok(admin.post("/v1/tenants/" + tenant + "/verifications", Map.of()));
    }

    private static Answer created(Answer a) {
        assertThat(a.status()).as(a.raw().body()).isEqualTo(201);
        return a;
    }

    private static void ok(Answer a) {
        assertThat(a.status()).as(a.raw().body()).isBetween(200, 201);
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
    }

    private static void grep(List<String> found, String where, String text) {
        if (text != null && text.contains(CLASS_NAME_MARK)) {
            found.add(where + ": " + text.substring(Math.max(0, text.indexOf(CLASS_NAME_MARK) - 40),
                    Math.min(text.length(), text.indexOf(CLASS_NAME_MARK) + 80)));
        }
    }
}
