package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.redaction.Redactions;
import dev.ledger.api.redaction.RetentionScan;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.TenantCommand.RedactPayloads;
import dev.ledger.core.verify.BundleVerifier;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Redaction (issue 17): an admin erases the payload of an evaluation and of a usage record; the bytes are gone from the
 * store and the export, every verifier (the API, the offline verifier, a worker's record check) still finds the chain
 * VALID through the retained digests, billing totals stay, a payload is redacted once, entries carrying decision state
 * never, and the database refuses every other change. A redaction whose erasure a stopped process left undone is
 * finished by a retry and by the applier; a retention policy redacts old payloads on the moved clock.
 */
class RedactionTest {

    private static final MovableClock clock = new MovableClock();
    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        // the schedules stay out of the way: the test runs the applier and the retention scan itself
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.redaction.apply-millis", "3600000",
                "ledger.retention.scan-millis", "3600000"), clock);
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    private static String tenant(String prefix) {
        String t = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", t, "name", "Redaction")).status()).isEqualTo(201);
        return t;
    }

    private static LedgerClient client(String t) {
        String key = admin.post("/v1/tenants/" + t + "/api-keys", Map.of("scopes", List.of("evaluations:write", "usage:write",
                "audit:read", "finance:read"))).body().get("key").asText();
        return admin.withKey(key);
    }

    private static void evaluation(LedgerClient c, String id) {
        assertThat(c.post("/v1/evaluations", LedgerClient.evaluation(id), id).status()).isEqualTo(201);
    }

    private static void usage(LedgerClient c, String id, long quantity) {
        LedgerClient.Answer a = c.post("/v1/usage", Map.of("usage_id", id, "meter", "tokens", "quantity", quantity,
                "occurred_at", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString()), id);
        assertThat(a.status()).as(a.raw().body()).isEqualTo(201);
    }

    private static LedgerClient.Answer redact(String t, long seq, String reason, String key) {
        return admin.post("/v1/tenants/" + t + "/entries/" + seq + "/redaction", Map.of("reason", reason), key);
    }

    private static String one(String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl());
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    private static int payloadLength(String t, long seq) throws SQLException {
        return Integer.parseInt(one("select octet_length(payload) from domain_event_entry where aggregate_identifier = '" + t
                + "' and sequence_number = " + (seq - 1)));
    }

    private static String digest(String t, long seq) throws SQLException {
        return one("select encode(sha256(payload), 'hex') from domain_event_entry where aggregate_identifier = '" + t
                + "' and sequence_number = " + (seq - 1));
    }

    private static String verdict(String t) {
        LedgerClient.Answer a = admin.post("/v1/tenants/" + t + "/verifications", Map.of());
        assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
        return a.body().get("status").asText();
    }

    private static byte[] export(String t) throws Exception {
        HttpResponse<byte[]> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/tenants/" + t + "/export"))
                .header("Authorization", "Bearer " + RunningLedger.ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** The export's entry lines by sequence. */
    private static Map<Long, JsonNode> exportedEntries(byte[] bundle) throws Exception {
        Map<Long, JsonNode> lines = new HashMap<>();
        for (String line : new String(bundle, StandardCharsets.UTF_8).split("\n")) {
            JsonNode n = LedgerJson.mapper().readTree(line);
            if ("entry".equals(n.path("kind").asText())) {
                lines.put(n.get("sequence").asLong(), n);
            }
        }
        return lines;
    }

    /** A worker's check of the exported records (ledger-core EntryReader and ChainVerifier): the first break, or null. */
    private static dev.ledger.core.chain.ChainVerifier.Break worker(byte[] bundle) {
        dev.ledger.core.chain.EntryReader reader = new dev.ledger.core.chain.EntryReader();
        dev.ledger.core.chain.ChainVerifier chain = new dev.ledger.core.chain.ChainVerifier();
        String prefix = "{\"kind\":\"entry\",";
        for (String line : new String(bundle, StandardCharsets.UTF_8).split("\n")) {
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

    private static String usageTotals(LedgerClient c, String t) throws Exception {
        String path = "/v1/finance/usage?granularity=day&tenant_id=" + t;
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String totals;
        while (true) {
            JsonNode buckets = c.get(path).body().get("buckets");
            List<String> all = new ArrayList<>();
            buckets.forEach(b -> all.add(b.get("meter").asText() + "=" + b.get("ledger_quantity").asLong()));
            totals = String.join(",", all.stream().sorted().toList());
            if (totals.contains("tokens=300") && totals.contains("evaluations=2") || System.nanoTime() > deadline) {
                return totals;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos()); // the projection catches up
        }
    }

    @Test
    void anEvaluationAndAUsageRecordAreRedactedAndEverythingStillVerifiesAndBills() throws Exception {
        String t = tenant("redact");
        LedgerClient c = client(t); // 1 registration, 2 key
        evaluation(c, "ev-1"); // 3
        evaluation(c, "ev-2"); // 4
        usage(c, "u-1", 100); // 5
        usage(c, "u-2", 200); // 6
        String totals = usageTotals(c, t);
        assertThat(totals).contains("tokens=300", "evaluations=2");
        String evaluationDigest = digest(t, 3);
        String usageDigest = digest(t, 5);

        LedgerClient.Answer first = redact(t, 3, "erasure request PRIV-1", "r-1");
        assertThat(first.status()).as(first.raw().body()).isEqualTo(201);
        assertThat(first.body().get("sequence").asLong()).isEqualTo(7);
        assertThat(first.body().get("redacted_sequence").asLong()).isEqualTo(3);
        assertThat(first.body().get("payload_sha256").asText()).isEqualTo(evaluationDigest);
        assertThat(first.body().get("hash").asText()).hasSize(64);
        LedgerClient.Answer second = redact(t, 5, "erasure request PRIV-1", "r-2");
        assertThat(second.status()).as(second.raw().body()).isEqualTo(201);
        assertThat(second.body().get("payload_sha256").asText()).isEqualTo(usageDigest);

        // the bytes are gone from the store; nothing else is
        assertThat(payloadLength(t, 3)).isZero();
        assertThat(payloadLength(t, 5)).isZero();
        assertThat(payloadLength(t, 4)).isPositive();
        assertThat(payloadLength(t, 6)).isPositive();
        assertThat(one("select count(*) from entry_redaction where tenant_id = '" + t + "'")).isEqualTo("2");
        assertThat(one("select payload is null and payload_sha256 = decode('" + evaluationDigest + "', 'hex') from ledger_entry"
                + " where tenant_id = '" + t + "' and sequence = 3")).isEqualTo("t");

        // the entries API shows what is redacted, by which entry, and why
        JsonNode entries = admin.get("/v1/tenants/" + t + "/entries").body().get("entries");
        JsonNode redacted = entries.get(2);
        assertThat(redacted.get("sequence").asLong()).isEqualTo(3);
        assertThat(redacted.get("payload").isNull()).isTrue();
        assertThat(redacted.get("payload_sha256").asText()).isEqualTo(evaluationDigest);
        assertThat(redacted.get("redacted").get("redaction_sequence").asLong()).isEqualTo(7);
        assertThat(redacted.get("redacted").get("reason").asText()).isEqualTo("erasure request PRIV-1");
        assertThat(entries.get(3).has("payload_sha256")).isFalse();
        assertThat(entries.get(3).get("payload").get("evaluation_id").asText()).isEqualTo("ev-2");
        JsonNode redaction = entries.get(6).get("payload");
        assertThat(entries.get(6).get("type").asText()).isEqualTo("PayloadsRedacted");
        assertThat(redaction.get("redactions").get(0).get("sequence").asLong()).isEqualTo(3);
        assertThat(redaction.get("redactions").get(0).get("payload_sha256").asText()).isEqualTo(evaluationDigest);
        assertThat(redaction.get("redactions").get(0).get("type").asText()).isEqualTo("EvaluationRecorded");
        assertThat(redaction.get("policy").isNull()).isTrue();

        // every verifier: the API, the offline verifier on the export, a worker's record check
        assertThat(verdict(t)).isEqualTo("VALID");
        byte[] bundle = export(t);
        Map<Long, JsonNode> lines = exportedEntries(bundle);
        for (long seq : new long[] {3, 5}) {
            assertThat(lines.get(seq).path("payload_b64").isMissingNode() || lines.get(seq).get("payload_b64").isNull()).isTrue();
            assertThat(lines.get(seq).get("payload_sha256").asText()).isEqualTo(seq == 3 ? evaluationDigest : usageDigest);
        }
        assertThat(lines.get(4L).get("payload_b64").asText()).isNotEmpty();
        assertThat(new BundleVerifier().verify(new ByteArrayInputStream(bundle)).valid()).isTrue();
        assertThat(worker(bundle)).isNull();

        // billing: the meter and quantity are in the hashed metadata, untouched; also after the projection is rebuilt
        assertThat(usageTotals(c, t)).isEqualTo(totals);
        assertThat(admin.post("/v1/admin/projections/finance/rebuild", Map.of()).status()).isEqualTo(202);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!admin.get("/v1/admin/projections").body().get("projections").get(0).get("state").asText().equals("live")) {
            assertThat(System.nanoTime()).as("the rebuild finished").isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // poll
        }
        assertThat(usageTotals(c, t)).isEqualTo(totals);

        // once; never an entry carrying decision state, nor a redaction; only inside the chain; only by the admin
        LedgerClient.Answer again = redact(t, 3, "again", "r-3");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.code()).isEqualTo("already_redacted");
        LedgerClient.Answer replay = redact(t, 3, "erasure request PRIV-1", "r-1");
        assertThat(replay.status()).isEqualTo(201);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replay.body().get("sequence").asLong()).isEqualTo(7);
        assertThat(redact(t, 1, "the registration", "r-4").code()).isEqualTo("not_redactable");
        assertThat(redact(t, 1, "the registration", "r-4").status()).isEqualTo(422);
        assertThat(redact(t, 2, "a key", "r-5").code()).isEqualTo("not_redactable");
        assertThat(redact(t, 7, "the redaction", "r-6").code()).isEqualTo("not_redactable");
        LedgerClient.Answer outside = redact(t, 99, "not there", "r-7");
        assertThat(outside.status()).isEqualTo(404);
        assertThat(outside.code()).isEqualTo("entry_not_in_chain");
        assertThat(c.post("/v1/tenants/" + t + "/entries/4/redaction", Map.of("reason", "mine"), "r-8").code()).isEqualTo("admin_only");
        assertThat(admin.post("/v1/tenants/" + t + "/entries/4/redaction", Map.of("reason", ""), "r-9").code()).isEqualTo("validation_failed");
        assertThat(admin.post("/v1/tenants/" + t + "/entries/4/redaction", Map.of("reason", "x")).code()).isEqualTo("idempotency_key_missing");
        assertThat(payloadLength(t, 4)).isPositive();
        assertThat(verdict(t)).isEqualTo("VALID");

        theDatabaseRefusesEveryOtherChange(t, evaluationDigest);
    }

    /** The row of entry {@code seq} of tenant {@code t}, as a where clause. */
    private static String row(String t, long seq) {
        return " where aggregate_identifier = '" + t + "' and sequence_number = " + (seq - 1);
    }

    /** As the service's role and as the owner (triggers on): every change but the recorded erasure is refused. */
    private static void theDatabaseRefusesEveryOtherChange(String t, String evaluationDigest) throws Exception {
        List<String> refused = List.of(
                "update domain_event_entry set payload = convert_to('{}', 'UTF8')" + row(t, 3), // a redacted payload back
                "update domain_event_entry set payload = ''::bytea" + row(t, 3), // a second erasure
                "update domain_event_entry set payload = payload" + row(t, 3),
                "update domain_event_entry set payload = convert_to('{\"x\":1}', 'UTF8')" + row(t, 4), // other bytes
                "update domain_event_entry set payload = ''::bytea" + row(t, 4), // an erasure without a redaction
                "update domain_event_entry set payload = ''::bytea" + row(t, 6),
                "update domain_event_entry set meta_data = meta_data || 'x'::bytea" + row(t, 4), // any other column
                "update domain_event_entry set payload_type = 'UsageRecorded'" + row(t, 4),
                "update domain_event_entry set request_id = 'r'" + row(t, 3),
                "update domain_event_entry set type = type" + row(t, 4),
                "update entry_redaction set reason = 'other' where tenant_id = '" + t + "'",
                "delete from entry_redaction where tenant_id = '" + t + "'",
                "delete from domain_event_entry" + row(t, 3),
                "delete from domain_event_entry" + row(t, 4),
                "truncate domain_event_entry",
                "truncate entry_redaction");
        for (String role : new String[] {"ledger_app", null}) {
            for (String sql : refused) {
                assertThat((Throwable) refusal(role, List.of(sql))).as(role + ": " + sql).isNotNull();
            }
            // a redaction row made up for entry 4 (its digest right, but the PayloadsRedacted entry 7 names entry 3 only)
            SQLException madeUp = refusal(role, List.of("insert into entry_redaction (tenant_id, sequence, payload_sha256,"
                    + " redaction_sequence, reason) select aggregate_identifier, 4, sha256(payload), 7, 'made up' from domain_event_entry"
                    + row(t, 4), "update domain_event_entry set payload = ''::bytea" + row(t, 4)));
            assertThat((Throwable) madeUp).as(role + ": an erasure of entry 4 under entry 7's redaction").isNotNull();
        }
        assertThat(payloadLength(t, 4)).isPositive();
        assertThat(payloadLength(t, 3)).isZero();
        assertThat(one("select count(*) from entry_redaction where tenant_id = '" + t + "'")).isEqualTo("2");
        assertThat(verdict(t)).isEqualTo("VALID");
    }

    /** Runs the statements in one transaction that is rolled back; the first refusal, or null if all ran. */
    private static SQLException refusal(String role, List<String> statements) throws SQLException {
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl()); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            try {
                if (role != null) {
                    s.execute("set local role " + role);
                }
                for (String sql : statements) {
                    SQLException e = catchThrowableOfType(SQLException.class, () -> s.execute(sql));
                    if (e != null) {
                        return e;
                    }
                    assertThat(sql.startsWith("update") && s.getUpdateCount() == 0).as("a row matched: " + sql).isFalse();
                }
                return null;
            } finally {
                c.rollback();
            }
        }
    }

    @Test
    void aRedactionLeftUnappliedByAStoppedProcessIsFinishedByItsRetryAndByTheApplier() throws Exception {
        String t = tenant("redact-crash");
        LedgerClient c = client(t);
        evaluation(c, "ev-1"); // 3
        evaluation(c, "ev-2"); // 4
        Redactions redactions = ledger.context().getBean(Redactions.class);
        LedgerWriter writer = ledger.context().getBean(LedgerWriter.class);

        // the append of the request with key "crash", then the process stops before the erasure
        RedactPayloads.Target target = redactions.target(t, 3);
        LedgerWriter.Written appended = writer.append(t, new LedgerWriter.Write(new RedactPayloads(List.of(target), "crash", null),
                "crash", Redactions.requestDigest(3, "crash"), "admin", null, null));
        assertThat(payloadLength(t, 3)).isPositive();
        assertThat(verdict(t)).isEqualTo("VALID");
        // the one erasure the database admits: that payload, to no bytes, under its recorded redaction, nothing else with it
        long redactionSequence = appended.receipt().sequence();
        String redactionRow = "insert into entry_redaction (tenant_id, sequence, payload_sha256, redaction_sequence, reason)"
                + " select aggregate_identifier, 3, sha256(payload), " + redactionSequence + ", 'crash' from domain_event_entry" + row(t, 3);
        for (String role : new String[] {"ledger_app", null}) {
            assertThat((Throwable) refusal(role, List.of(redactionRow, "update domain_event_entry set payload = ''::bytea" + row(t, 3))))
                    .as(role).isNull();
            assertThat((Throwable) refusal(role, List.of(redactionRow,
                    "update domain_event_entry set payload = ''::bytea, request_id = 'x'" + row(t, 3)))).as(role).isNotNull();
            assertThat((Throwable) refusal(role, List.of(redactionRow,
                    "update domain_event_entry set payload = convert_to('{}', 'UTF8')" + row(t, 3)))).as(role).isNotNull();
        }
        assertThat((Throwable) refusal(null, List.of(redactionRow,
                "update domain_event_entry set payload = ''::bytea, time_stamp = time_stamp || ' '" + row(t, 3)))).isNotNull();
        assertThat(payloadLength(t, 3)).isPositive();
        LedgerClient.Answer retry = redact(t, 3, "crash", "crash");
        assertThat(retry.status()).as(retry.raw().body()).isEqualTo(201);
        assertThat(retry.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(retry.body().get("sequence").asLong()).isEqualTo(appended.receipt().sequence());
        assertThat(payloadLength(t, 3)).isZero();

        // the ledger's own redaction appended, never applied: the applier finds it
        writer.appendAll(t, List.of(new RedactPayloads(List.of(redactions.target(t, 4)), "stopped", null)), "admin");
        assertThat(payloadLength(t, 4)).isPositive();
        assertThat(redactions.applyPending(1000)).isGreaterThanOrEqualTo(1);
        assertThat(payloadLength(t, 4)).isZero();
        assertThat(redactions.applyPending(1000)).isZero();
        assertThat(verdict(t)).isEqualTo("VALID");
        assertThat(new BundleVerifier().verify(new ByteArrayInputStream(export(t))).valid()).isTrue();
    }

    @Test
    void aRetentionPolicyRedactsThePayloadsOlderThanItsDaysOnTheLedgersClock() throws Exception {
        String t = tenant("retention");
        LedgerClient c = client(t);
        evaluation(c, "old-1"); // 3
        usage(c, "old-u", 5); // 4
        assertThat(admin.put("/v1/tenants/" + t + "/retention", Map.of("redact_payloads_after_days", 0)).code())
                .isEqualTo("validation_failed");
        assertThat(c.put("/v1/tenants/" + t + "/retention", Map.of("redact_payloads_after_days", 30)).code()).isEqualTo("admin_only");
        LedgerClient.Answer set = admin.put("/v1/tenants/" + t + "/retention", Map.of("redact_payloads_after_days", 30)); // 5
        assertThat(set.status()).as(set.raw().body()).isEqualTo(200);
        assertThat(set.body().get("redact_payloads_after_days").asInt()).isEqualTo(30);
        assertThat(set.body().get("sequence").asLong()).isEqualTo(5);
        RetentionScan scan = ledger.context().getBean(RetentionScan.class);

        clock.advance(Duration.ofDays(29));
        scan.scan();
        assertThat(payloadLength(t, 3)).isPositive(); // 29 days old: kept

        clock.advance(Duration.ofDays(2));
        evaluation(c, "new-1"); // 6, recorded now
        scan.scan(); // 7: PayloadsRedacted of 3 and 4 (and 5, the admin action setting the policy)
        assertThat(payloadLength(t, 3)).isZero();
        assertThat(payloadLength(t, 4)).isZero();
        assertThat(payloadLength(t, 6)).isPositive();
        assertThat(payloadLength(t, 1)).isPositive(); // the registration: never
        assertThat(payloadLength(t, 2)).isPositive(); // the key: never
        JsonNode redaction = admin.get("/v1/tenants/" + t + "/entries?type=PayloadsRedacted").body().get("entries").get(0);
        assertThat(redaction.get("payload").get("policy").asText()).isEqualTo("retention:30d");
        assertThat(redaction.get("payload").get("redactions")).extracting(r -> r.get("sequence").asLong()).contains(3L, 4L)
                .doesNotContain(1L, 2L, 6L);
        scan.scan();
        assertThat(admin.get("/v1/tenants/" + t + "/entries?type=PayloadsRedacted").body().get("entries")).hasSize(1);
        assertThat(verdict(t)).isEqualTo("VALID");
        assertThat(new BundleVerifier().verify(new ByteArrayInputStream(export(t))).valid()).isTrue();

        Map<String, Object> clear = new HashMap<>();
        clear.put("redact_payloads_after_days", null);
        LedgerClient.Answer cleared = admin.put("/v1/tenants/" + t + "/retention", clear);
        assertThat(cleared.status()).as(cleared.raw().body()).isEqualTo(200);
        assertThat(cleared.body().get("redact_payloads_after_days").isNull()).isTrue();
        assertThat(one("select count(*) from retention_policy where tenant_id = '" + t + "'")).isEqualTo("0");
        assertThat(admin.put("/v1/tenants/nobody-" + t + "/retention", Map.of("redact_payloads_after_days", 3)).status()).isEqualTo(404);
    }
}
