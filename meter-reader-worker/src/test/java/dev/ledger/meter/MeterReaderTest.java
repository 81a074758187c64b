package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.stripe.StripeClient;
import com.stripe.model.Customer;
import com.stripe.model.billing.Meter;
import com.stripe.model.billing.MeterEventSummary;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.billing.MeterEventSummaryListParams;
import com.stripe.param.billing.MeterListParams;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.tenant.StripeCustomerLinked;
import dev.ledger.core.usage.UsageRecorded;
import dev.ledger.ops.kafka.LocalKafka;
import dev.ledger.ops.postgres.LocalPostgres;
import dev.ledger.ops.stripe.StripeEmulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The meter-reader against a real PostgreSQL, a real Kafka broker and the Stripe emulator, with a recording fake
 * of the ledger's write-back endpoints. Windows are 2 s of ledger time; entries are recorded some 40 s in the past,
 * so every window can close as soon as the reader has caught up.
 */
class MeterReaderTest {

    private static final long WINDOW_SECONDS = 2;
    private static final String SERVICE_KEY = "svc-test-key";
    private static final String ADMIN_TOKEN = "operator-token-for-the-meter-reader-tests";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(45);
    private static final int PARTITIONS = 4;
    private static final AtomicInteger RUNS = new AtomicInteger();

    private static LocalPostgres postgres;
    private static LocalKafka kafka;
    private static Admin admin;
    private static TransactionalSender producer;
    private static KafkaProducer<String, byte[]> publisherLike;

    private final HttpClient http = HttpClient.newHttpClient();
    /** The readers' one clock: tests move it instead of waiting for time to pass. */
    private final BillingWorld.MovableClock clock = new BillingWorld.MovableClock();
    private final List<MeterReader> readers = new ArrayList<>();
    private String topic;
    private String group;
    private String jdbcUrl;
    private StripeEmulator stripe;
    private StripeClient stripeClient;
    private FakeLedger ledger;
    private Instant base;

    @BeforeAll
    static void startInfrastructure() throws Exception {
        postgres = LocalPostgres.start(null, 0);
        kafka = LocalKafka.start(null, 0);
        admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
        // Transactional: a read_committed reader sees each send() whole or not at all.
        producer = new TransactionalSender(kafka.bootstrapServers(), "meter-reader-test");
        // As the ledger's publisher sends: idempotent, no transaction (so no commit marker ends a partition).
        publisherLike = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all",
                "enable.idempotence", "true"), new StringSerializer(), new ByteArraySerializer());
    }

    @AfterAll
    static void stopInfrastructure() throws Exception {
        producer.close();
        publisherLike.close();
        admin.close();
        kafka.close();
        postgres.close();
    }

    @BeforeEach
    void freshWorld() throws Exception {
        int run = RUNS.incrementAndGet();
        topic = "ledger.entries.run" + run;
        group = "meter-reader-run" + run;
        dev.ledger.ops.kafka.LocalKafka.createTopics(admin, List.of(new NewTopic(topic, PARTITIONS, (short) 1)));
        String database = "meter_run" + run;
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("create database " + database);
        }
        jdbcUrl = "jdbc:postgresql://127.0.0.1:" + postgres.port() + "/" + database + "?user=postgres";
        stripe = StripeEmulator.start(0);
        stripeClient = StripeClient.builder().setApiKey("sk_test_local").setApiBase(stripe.url())
                .setMeterEventsBase(stripe.url()).build();
        ledger = new FakeLedger();
        long now = Instant.now().getEpochSecond();
        base = Instant.ofEpochSecond(Math.floorDiv(now - 40, WINDOW_SECONDS) * WINDOW_SECONDS);
    }

    @AfterEach
    void closeWorld() {
        readers.forEach(MeterReader::close);
        stripe.close();
        ledger.close();
    }

    // ------------------------------------------------------------------ scenarios

    @Test
    void givenTwoTenantsWithUsageOverSeveralWindows_thenStripeHoldsTheSumsWithOneEventAndOneWriteBackPerWindow()
            throws Exception {
        String cusA = customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        List<StoredEntry> entries = new ArrayList<>();
        entries.add(a.registered("Tenant A", cusA, at(0)));
        entries.add(b.registered("Tenant B", null, at(0))); // no customer: the reader must create and link one
        entries.addAll(usage(a, b, 0, 30));
        Expected expected = Expected.of(entries);

        MeterReader reader = start();
        send(entries);

        awaitWrittenBack(expected);
        String cusB = customerLinkedFor("tenant-b");
        Customer createdB = stripeClient.v1().customers().retrieve(cusB);
        assertThat(createdB.getMetadata()).containsEntry("tenant_id", "tenant-b");
        assertThat(createdB.getName()).isEqualTo("Tenant B");
        assertStripeTotals(expected, Map.of("tenant-a", cusA, "tenant-b", cusB));
        assertThat(stripe.meterEventCalls()).isEqualTo(expected.windows.size());
        assertWriteBacksMatch(expected);
        assertThat(ledger.calls()).allSatisfy(c -> assertThat(c.authorization()).isEqualTo("Bearer " + SERVICE_KEY));

        assertThat(get(reader, "/health")).isEqualTo(200);
        assertThat(get(reader, "/ready")).isEqualTo(200);
        assertThat(get(reader, "/parked")).as("no METER_READER_ADMIN_TOKEN: operator endpoints off").isEqualTo(403);
        String metrics = body(reader, "/metrics");
        assertThat(gauge(metrics, "meter_reader_windows{status=\"WRITTEN_BACK\"}")).isEqualTo(expected.windows.size());
        assertThat(gauge(metrics, "meter_reader_broken_chains")).isZero();
        assertThat(metrics).contains("meter_reader_stripe_latency_seconds_count", "meter_reader_consumer_lag");
    }

    @Test
    void givenRedeliveredAndOutOfOrderEntries_thenEveryUnitCountsOnce() throws Exception {
        String cusA = customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        List<StoredEntry> entries = new ArrayList<>();
        entries.add(a.registered("Tenant A", cusA, at(0)));
        for (int i = 0; i < 20; i++) {
            entries.add(i % 3 == 0 ? a.usage("tokens", i + 1, at(i * 500L)) : a.evaluation(at(i * 500L)));
        }
        Expected expected = Expected.of(entries);

        start();
        List<StoredEntry> delivery = new ArrayList<>(entries.subList(0, 4));
        delivery.add(entries.get(5)); // sequence 6 ahead of 5: held until 5 arrives
        delivery.add(entries.get(4));
        delivery.addAll(entries.subList(2, 12)); // an at-least-once publisher redelivering a stretch
        delivery.addAll(entries.subList(6, entries.size()));
        delivery.addAll(entries); // and everything once more
        send(delivery);

        awaitWrittenBack(expected);
        assertStripeTotals(expected, Map.of("tenant-a", cusA));
        assertThat(stripe.meterEventCalls()).isEqualTo(expected.windows.size());
        assertWriteBacksMatch(expected);
        assertThat(queryLong("select count(*) from meter_reader_held_entry")).isZero();
    }

    @Test
    void givenATamperedEntryForOneTenant_thenThatTenantStopsWithAnAlertAndTheOtherCarriesOn() throws Exception {
        String cusA = customer("tenant-a");
        String cusB = customer("tenant-b");
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        List<StoredEntry> entries = new ArrayList<>();
        entries.add(a.registered("Tenant A", cusA, at(0)));
        entries.add(b.registered("Tenant B", cusB, at(0)));
        StoredEntry genuine = a.usage("tokens", 5, at(100));
        // Someone edits the stored quantity: the bytes no longer hash to the stored hash.
        entries.add(TenantChain.tampered(genuine, new UsageRecorded("tenant-a", "us-x", "tokens", 5000, at(100).toString())));
        entries.addAll(usage(a, b, 1, 20));
        Expected expectedB = Expected.of(entries.stream().filter(e -> e.tenantId().equals("tenant-b")).toList());

        MeterReader reader = start();
        send(entries);

        awaitWrittenBack(expectedB);
        assertStripeTotals(expectedB, Map.of("tenant-b", cusB));
        assertThat(stripe.meterEventTotal(cusA, "tokens")).isZero();
        assertThat(stripe.meterEventTotal(cusA, "evaluations")).isZero();
        assertThat(ledger.usageReports()).allSatisfy(c -> assertThat(c.path()).contains("/tenant-b/"));
        assertThat(queryString("select broken_sequence || ':' || broken_reason from meter_reader_tenant "
                + "where tenant_id = 'tenant-a'")).isEqualTo("2:hash_mismatch");
        assertThat(gauge(body(reader, "/metrics"), "meter_reader_broken_chains")).isEqualTo(1);
    }

    @Test
    void givenAnEntryThatNeverArrives_thenTheTenantIsMarkedBrokenAfterTheBoundedWait() throws Exception {
        String cusA = customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        List<StoredEntry> entries = new ArrayList<>(List.of(a.registered("Tenant A", cusA, at(0)), a.evaluation(at(10))));
        a.evaluation(at(20)); // sequence 3 is lost on the way
        entries.add(a.evaluation(at(30)));

        MeterReader reader = start(Map.of("METER_GAP_WAIT_SECONDS", "60"));
        send(entries);
        await(() -> queryLong("select count(*) from meter_reader_held_entry where tenant_id = 'tenant-a'") == 1,
                "sequence 4 held");
        assertThat(queryString("select broken_reason from meter_reader_tenant where tenant_id = 'tenant-a'")).isNull();
        clock.advance(Duration.ofSeconds(61)); // the gap wait passes on the reader's clock, not by waiting a minute

        await(() -> "3:sequence_gap".equals(queryString("select broken_sequence || ':' || broken_reason "
                + "from meter_reader_tenant where tenant_id = 'tenant-a'")), "the gap to expire");
        assertThat(gauge(body(reader, "/metrics"), "meter_reader_broken_chains")).isEqualTo(1);
    }

    @Test
    void givenTheReaderRestartsMidStream_thenTotalsAreExact() throws Exception {
        String cusA = customer("tenant-a");
        String cusB = customer("tenant-b");
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        List<StoredEntry> first = new ArrayList<>();
        first.add(a.registered("Tenant A", cusA, at(0)));
        first.add(b.registered("Tenant B", cusB, at(0)));
        first.addAll(usage(a, b, 0, 15));
        // Later windows than any of the first part; the two halves of the second part split at a window boundary.
        List<StoredEntry> whileStopped = usage(a, b, 20, 30);
        List<StoredEntry> afterRestart = usage(a, b, 30, 40);
        List<StoredEntry> all = new ArrayList<>(first);
        all.addAll(whileStopped);
        all.addAll(afterRestart);
        Expected expected = Expected.of(all);

        MeterReader reader = start();
        send(first);
        await(() -> !ledger.usageReports().isEmpty(), "a first window written back");
        reader.close();
        readers.remove(reader);
        send(whileStopped);

        start();
        send(afterRestart);

        awaitWrittenBack(expected);
        assertStripeTotals(expected, Map.of("tenant-a", cusA, "tenant-b", cusB));
        assertWriteBacksMatch(expected);
    }

    @Test
    void givenStripeFailsAThirdOfAllCalls_thenTotalsAreStillExact() throws Exception {
        stripe.setFaultTimeout(Duration.ofMillis(1500)); // longer than the reader's 1 s Stripe timeout below
        String cusA = customer("tenant-a");
        stripe.injectFaults(1.0 / 3, 7);
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        List<StoredEntry> entries = new ArrayList<>();
        entries.add(a.registered("Tenant A", cusA, at(0)));
        entries.add(b.registered("Tenant B", null, at(0)));
        entries.addAll(usage(a, b, 0, 24));
        Expected expected = Expected.of(entries);

        start(Map.of("STRIPE_TIMEOUT_SECONDS", "1"));
        send(entries);

        awaitWrittenBack(expected);
        assertStripeTotals(expected, Map.of("tenant-a", cusA, "tenant-b", customerLinkedFor("tenant-b")));
        assertWriteBacksMatch(expected);
        assertThat(stripe.meterEventCalls()).isGreaterThan(expected.windows.size());
        assertThat(queryLong("select count(*) from meter_reader_window where status = 'PARKED'")).isZero();
    }

    @Test
    void givenTheDatabaseRefusesAThirdOfTheConsumerCommits_thenFailedBatchesAndThoseBehindThemAreRedoneAndTotalsAreExact()
            throws Exception {
        String cusA = customer("tenant-a");
        String cusB = customer("tenant-b");
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        List<StoredEntry> all = new ArrayList<>();
        all.add(a.registered("Tenant A", cusA, at(0)));
        all.add(b.registered("Tenant B", cusB, at(0)));
        all.addAll(usage(a, b, 0, 60));
        Expected expected = Expected.of(all);

        // Everything is in Kafka before the reader starts, so it stays behind (no idle close) until it has read it all.
        for (int from = 0; from < all.size(); from += 7) {
            send(all.subList(from, Math.min(all.size(), from + 7)));
        }
        // a first reader on an empty topic only creates the reader's tables, so the trigger below can be installed
        MeterReader first = start(Map.of("METER_READER_TOPIC", topic + ".empty", "METER_READER_GROUP", group + ".empty"));
        await(() -> queryLong("select count(*) from information_schema.tables where table_name = 'meter_reader_offset'")
                == 1, "the reader's tables");
        first.close();
        readers.remove(first);
        // A refused offset write rolls back the whole consumer transaction, with polls queued behind it in the pipeline.
        execute("""
                create sequence refused_commits;
                create function refuse_some() returns trigger language plpgsql as $$
                begin
                  if random() < 0.34 then
                    perform nextval('refused_commits');
                    raise exception 'refused for the test';
                  end if;
                  return new;
                end $$;
                create trigger refuse_some before insert or update on meter_reader_offset
                  for each row execute function refuse_some();
                """);
        // Polls of 8 records: several are in the pipeline when one of them fails.
        start(Map.of("METER_READER_MAX_POLL_RECORDS", "8"));

        awaitWrittenBack(expected);
        assertThat(queryLong("select coalesce((select last_value from refused_commits where is_called), 0)"))
                .as("consumer commits the database refused").isPositive();
        assertStripeTotals(expected, Map.of("tenant-a", cusA, "tenant-b", cusB));
        assertWriteBacksMatch(expected);
    }

    @Test
    void givenV2StreamModeWithFaultsAndASessionThatStripeExpiresMidway_thenOneEventPerWindowAndExactTotals()
            throws Exception {
        stripe.setFaultTimeout(Duration.ofMillis(1500)); // longer than the reader's 1 s Stripe timeout below
        String cusA = customer("tenant-a");
        stripe.injectFaults(1.0 / 3, 7);
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        List<StoredEntry> first = new ArrayList<>();
        first.add(a.registered("Tenant A", cusA, at(0)));
        first.add(b.registered("Tenant B", null, at(0))); // its customer is created through the v1 API as before
        first.addAll(usage(a, b, 0, 12));
        List<StoredEntry> second = usage(a, b, 15, 27);
        List<StoredEntry> all = new ArrayList<>(first);
        all.addAll(second);
        Expected expected = Expected.of(all);

        start(Map.of("METER_EVENTS_MODE", "v2", "STRIPE_TIMEOUT_SECONDS", "1"));
        send(first);
        awaitWrittenBack(Expected.of(first));
        stripe.advanceClock(Duration.ofMinutes(16)); // Stripe's clock ends the session, the reader's does not
        send(second);

        awaitWrittenBack(expected);
        stripe.injectFaults(0, 0); // for the test's own look at Stripe
        assertSummaryTotals(expected, Map.of("tenant-a", cusA, "tenant-b", customerLinkedFor("tenant-b")));
        assertWriteBacksMatch(expected);
        assertThat(stripe.meterEventsAccepted()).as("one meter event per window").isEqualTo(expected.windows.size());
        assertThat(stripe.meterEventCalls()).as("no v1 meter event calls").isZero();
        assertThat(stripe.meterEventStreamCalls()).isPositive();
        assertThat(stripe.meterEventSessionsExpired()).as("a call met the expired session").isPositive();
        assertThat(stripe.meterEventSessionsCreated()).isGreaterThanOrEqualTo(2);
        assertThat(stripe.meterErrorReports()).as("no event dropped by Stripe after acceptance").isEmpty();
        assertThat(queryLong("select count(*) from meter_reader_window where status = 'PARKED'")).isZero();
    }

    @Test
    void givenWindowsStripeAndTheLedgerRefuse_thenAnOperatorSeesThemParkedAndRetriesThemOnceTheCauseIsFixed()
            throws Exception {
        String cusA = customer("tenant-a"); // the right customer, linked only later
        String cusB = customer("tenant-b");
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        List<StoredEntry> entries = new ArrayList<>();
        entries.add(a.registered("Tenant A", "cus_typo", at(0))); // Stripe has no such customer: 400, parked
        entries.add(b.registered("Tenant B", cusB, at(0)));
        entries.addAll(usage(a, b, 0, 10));
        Expected expected = Expected.of(entries);
        ledger.refuseUsageReports("tenant-b", true); // Stripe takes tenant-b's events, the ledger refuses the reports

        MeterReader reader = start(Map.of("METER_READER_ADMIN_TOKEN", ADMIN_TOKEN));
        send(entries);
        await(() -> queryLong("select count(*) from meter_reader_window where status = 'PARKED'")
                == expected.windows.size(), "every window parked");
        // as an instance from before parked_from existed would have parked them (rolling upgrade)
        execute("update meter_reader_window set parked_from = null where tenant_id = 'tenant-b'");

        assertThat(call(reader, "GET", "/parked", null).statusCode()).isEqualTo(401);
        assertThat(call(reader, "GET", "/parked", "not-" + ADMIN_TOKEN).statusCode()).isEqualTo(401);
        HttpResponse<String> listed = call(reader, "GET", "/parked", ADMIN_TOKEN);
        assertThat(listed.statusCode()).isEqualTo(200);
        JsonNode parked = JSON.readTree(listed.body());
        assertThat(parked.get("count").asLong()).isEqualTo(expected.windows.size());
        Map<String, Long> listedWindows = new HashMap<>();
        for (JsonNode w : parked.get("windows")) {
            String tenant = w.get("tenant_id").asText();
            Instant start = Instant.parse(w.get("window_start").asText());
            assertThat(w.get("identifier").asText()).isEqualTo(UsageWindow.identifier(tenant, w.get("meter").asText(),
                    start));
            assertThat(Instant.parse(w.get("window_end").asText())).isEqualTo(start.plusSeconds(WINDOW_SECONDS));
            assertThat(w.get("stage").asText()).isEqualTo(tenant.equals("tenant-a") ? "stripe" : "write_back");
            assertThat(w.get("reason").asText()).contains(tenant.equals("tenant-a") ? "No such customer" : "422");
            assertThat(Instant.parse(w.get("parked_at").asText())).isBefore(Instant.now().plusSeconds(1));
            listedWindows.put(tenant + "|" + w.get("meter").asText() + "|" + start.getEpochSecond(),
                    w.get("quantity").asLong());
        }
        assertThat(listedWindows).isEqualTo(expected.windows);
        assertThat(gauge(body(reader, "/metrics"), "meter_reader_windows{status=\"PARKED\"}"))
                .isEqualTo(expected.windows.size());

        // The causes are fixed: tenant-a's right customer is linked in the ledger, the ledger takes tenant-b's reports.
        send(List.of(a.append(new StripeCustomerLinked("tenant-a", cusA, "admin"), at(20_000))));
        await(() -> cusA.equals(queryString("select stripe_customer_id from meter_reader_tenant "
                + "where tenant_id = 'tenant-a'")), "the linked customer");
        ledger.refuseUsageReports("tenant-b", false);
        assertThat(call(reader, "POST", "/parked/ledger-nope/retry", ADMIN_TOKEN).statusCode()).isEqualTo(404);
        assertThat(call(reader, "POST", "/parked/" + parked.get("windows").get(0).get("identifier").asText()
                + "/retry", null).statusCode()).isEqualTo(401);
        for (JsonNode w : parked.get("windows")) {
            HttpResponse<String> retried = call(reader, "POST", "/parked/" + w.get("identifier").asText() + "/retry",
                    ADMIN_TOKEN);
            assertThat(retried.statusCode()).isEqualTo(200);
            assertThat(JSON.readTree(retried.body()).get("status").asText())
                    .isEqualTo(w.get("tenant_id").asText().equals("tenant-a") ? "CLOSED" : "DELIVERED");
        }

        awaitWrittenBack(expected);
        assertStripeTotals(expected, Map.of("tenant-a", cusA, "tenant-b", cusB));
        assertWriteBacksMatch(expected);
        assertThat(stripe.meterEventsAccepted()).as("tenant-b's events were not sent again")
                .isEqualTo(expected.windows.size());
        assertThat(JSON.readTree(call(reader, "GET", "/parked", ADMIN_TOKEN).body()).get("count").asLong()).isZero();
        String metrics = body(reader, "/metrics");
        assertThat(gauge(metrics, "meter_reader_windows{status=\"PARKED\"}")).isZero();
        assertThat(gauge(metrics, "meter_reader_parked_requeued_total")).isEqualTo(expected.windows.size());
    }

    @Test
    void givenEventsStripeAcceptsAndThenRefuses_thenItsErrorReportParksTheirWindowsForAnOperatorOnce()
            throws Exception {
        String cus = customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        List<StoredEntry> before = new ArrayList<>();
        before.add(a.registered("Tenant A", cus, at(0)));
        for (int i = 0; i < 3; i++) {
            before.add(a.usage("tokens", 5 + i, at(i * 2_000L + 100)));
        }
        Expected delivered = Expected.of(before);
        MeterReader reader = start(Map.of("METER_READER_ADMIN_TOKEN", ADMIN_TOKEN,
                "METER_READER_ERROR_REPORT_SECONDS", "1"));
        send(before);
        awaitWrittenBack(delivered);

        // The customer is deleted in Stripe behind the worker's back (it checked it once, before the first window):
        // Stripe takes the next windows' events and refuses them only when it processes them.
        stripeClient.v1().customers().delete(cus);
        List<StoredEntry> after = new ArrayList<>();
        for (int i = 3; i < 6; i++) {
            after.add(a.usage("tokens", 5 + i, at(i * 2_000L + 100)));
        }
        Expected refused = Expected.of(after);
        send(after);

        await(() -> queryLong("select count(*) from meter_reader_window where status = 'PARKED'")
                == refused.windows.size(), "the refused windows parked");
        JsonNode parked = JSON.readTree(call(reader, "GET", "/parked", ADMIN_TOKEN).body());
        assertThat(parked.get("count").asLong()).isEqualTo(refused.windows.size());
        Map<String, Long> listed = new HashMap<>();
        for (JsonNode w : parked.get("windows")) {
            assertThat(w.get("stage").asText()).isEqualTo("stripe");
            assertThat(w.get("reason").asText()).contains("meter_event_customer_not_found");
            listed.put(w.get("tenant_id").asText() + "|" + w.get("meter").asText() + "|"
                    + Instant.parse(w.get("window_start").asText()).getEpochSecond(), w.get("quantity").asLong());
        }
        assertThat(listed).as("exactly the windows Stripe refused").isEqualTo(refused.windows);
        assertThat(stripe.meterErrorReports()).hasSize(refused.windows.size());
        String metrics = body(reader, "/metrics");
        assertThat(gauge(metrics, "meter_reader_stripe_refused_events_total{code=\"meter_event_customer_not_found\"}"))
                .isEqualTo(refused.windows.size());
        assertThat(gauge(metrics, "meter_reader_windows{status=\"PARKED\"}")).isEqualTo(refused.windows.size());

        // each report is read once: two later complete passes park and count nothing more
        long reports = queryLong("select count(*) from meter_reader_error_report");
        double passes = gauge(body(reader, "/metrics"), "meter_reader_error_report_passes_total");
        await(() -> {
            try {
                return gauge(body(reader, "/metrics"), "meter_reader_error_report_passes_total") >= passes + 2;
            } catch (Exception e) {
                return false;
            }
        }, "two more passes over Stripe's error reports");
        assertThat(queryLong("select count(*) from meter_reader_error_report")).isEqualTo(reports);
        assertThat(queryLong("select sum(parked) from meter_reader_error_report")).isEqualTo(refused.windows.size());
        assertThat(gauge(body(reader, "/metrics"),
                "meter_reader_stripe_refused_events_total{code=\"meter_event_customer_not_found\"}"))
                .isEqualTo(refused.windows.size());
        assertThat(queryLong("select count(*) from meter_reader_window where status = 'WRITTEN_BACK'"))
                .isEqualTo(delivered.windows.size());
    }

    @Test
    void givenTwoReadersInOneGroup_thenTheyShareThePartitionsAndTotalsAreExact() throws Exception {
        Tenants tenants = tenants(6, 60, 150);
        Map<String, String> customers = tenants.customers;
        List<StoredEntry> entries = tenants.entries;
        Expected expected = Expected.of(entries);

        start();
        start();
        send(entries);

        awaitWrittenBack(expected);
        assertStripeTotals(expected, customers);
        assertWriteBacksMatch(expected);
    }

    /**
     * A case that must keep billing: a rebalance hands a reader back partitions it had already read to the end, with
     * no new record after it. Idle close must still see that nothing is left to read there, or the last window of
     * every tenant on them is never closed, never sent to Stripe and never billed, without an alert. The entries are
     * sent as the ledger's publisher sends them (no transaction): with a commit marker at the end of each partition,
     * the reader's first fetch after the rebalance read the marker and learnt the true end offset by chance.
     */
    @Test
    void givenARebalanceAfterAPartitionWasReadToItsEnd_thenItsLastWindowsStillCloseAndAreBilled() throws Exception {
        clock.advance(Duration.ofMinutes(-10)); // the reader lags real time: no window can idle-close before the rebalance
        Tenants tenants = tenants(8, 80, 100);
        Map<String, String> customers = tenants.customers;
        List<StoredEntry> entries = tenants.entries;
        List<TenantChain> chains = tenants.chains;
        Expected expected = Expected.of(entries);
        start(Map.of("METER_READER_CONSUMERS", "1"));
        sendAsThePublisherDoes(entries);
        long sequences = chains.stream().mapToLong(TenantChain::lastSequence).sum();
        await(() -> queryLong("select coalesce(sum(last_sequence), 0) from meter_reader_tenant") == sequences,
                "every entry read");
        assertThat(queryLong("select count(*) from meter_reader_window where status <> 'OPEN'"))
                .as("windows closed before the rebalance (only the chain passing them closes them)").isLessThan(
                        expected.windows.size());

        // a second member joins the group and leaves again: two rebalances, and the reader keeps some partitions
        try (KafkaConsumer<byte[], byte[]> visitor = new KafkaConsumer<>(Map.of("bootstrap.servers",
                kafka.bootstrapServers(), "group.id", group, "enable.auto.commit", "false",
                "isolation.level", "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            visitor.subscribe(List.of(topic));
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (visitor.assignment().isEmpty()) {
                assertThat(System.nanoTime()).as("the visitor got partitions").isLessThan(deadline);
                visitor.poll(Duration.ofMillis(100));
            }
        }
        await(() -> groupAssignment().equals(List.of(PARTITIONS)), "the reader alone holds every partition again");

        clock.advance(Duration.ofMinutes(10)); // now every window is past the idle close
        awaitWrittenBack(expected);
        assertStripeTotals(expected, customers);
        assertWriteBacksMatch(expected);
    }

    /** The number of partitions each member of the group holds (empty while the group rebalances). */
    private List<Integer> groupAssignment() {
        try {
            return admin.describeConsumerGroups(List.of(group)).all().get().get(group).members().stream()
                    .map(m -> m.assignment().topicPartitions().size()).toList();
        } catch (Exception e) {
            return List.of();
        }
    }

    /** Tenants with a Stripe customer each, registered, then {@code count} entries among them in turn. */
    private record Tenants(Map<String, String> customers, List<TenantChain> chains, List<StoredEntry> entries) { }

    /** Every fourth entry is usage of "tokens" (units 1, 2, ...), the others evaluations, {@code spacing} ms apart. */
    private Tenants tenants(int tenants, int count, long spacingMillis) throws Exception {
        Map<String, String> customers = new LinkedHashMap<>();
        List<StoredEntry> entries = new ArrayList<>();
        List<TenantChain> chains = new ArrayList<>();
        for (int t = 0; t < tenants; t++) {
            String id = "tenant-" + t;
            customers.put(id, customer(id));
            TenantChain chain = new TenantChain(id);
            chains.add(chain);
            entries.add(chain.registered("Tenant " + t, customers.get(id), at(0)));
        }
        for (int i = 0; i < count; i++) {
            TenantChain chain = chains.get(i % chains.size());
            entries.add(i % 4 == 0 ? chain.usage("tokens", i + 1, at(i * spacingMillis))
                    : chain.evaluation(at(i * spacingMillis)));
        }
        return new Tenants(customers, chains, entries);
    }

    // ------------------------------------------------------------------ fixtures

    private MeterReader start() {
        return start(Map.of());
    }

    private MeterReader start(Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>(Map.of(
                "DATABASE_URL", jdbcUrl,
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                "STRIPE_API_BASE", stripe.url(),
                "LEDGER_API_URL", ledger.url(),
                "LEDGER_SERVICE_KEY", SERVICE_KEY,
                "METER_READER_PORT", "0",
                "METER_WINDOW_SECONDS", String.valueOf(WINDOW_SECONDS),
                "METER_IDLE_CLOSE_SECONDS", "1",
                "METER_READER_TOPIC", topic,
                "METER_READER_GROUP", group));
        env.putAll(overrides);
        MeterReader reader = MeterReader.start(MeterReaderConfig.fromEnv(env)
                .withRetry(Duration.ofMillis(50), Duration.ofSeconds(1)), MeterReaderPolicy.fromEnv(env), clock);
        readers.add(reader);
        return reader;
    }

    private Instant at(long millisAfterBase) {
        return base.plusMillis(millisAfterBase);
    }

    /** Evaluations for both tenants every 400 ms of ledger time, usage every third step, steps [from, to). */
    private List<StoredEntry> usage(TenantChain a, TenantChain b, int from, int to) {
        List<StoredEntry> entries = new ArrayList<>();
        for (int i = from; i < to; i++) {
            Instant t = at(i * 400L + 50);
            entries.add(a.evaluation(t));
            entries.add(i % 3 == 0 ? b.usage("tokens", i % 7 + 1, t) : b.evaluation(t));
            if (i % 3 == 1) {
                entries.add(a.usage("tokens", 10 + i, t));
            }
        }
        return entries;
    }

    private String customer(String tenant) throws Exception {
        return stripeClient.v1().customers().create(CustomerCreateParams.builder().setName(tenant)
                .putMetadata("tenant_id", tenant).build()).getId();
    }

    /** Publishes the entries in one Kafka transaction. */
    private void send(List<StoredEntry> entries) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (StoredEntry e : entries) {
            records.add(new ProducerRecord<>(topic, e.tenantId().getBytes(StandardCharsets.UTF_8),
                    TenantChain.encode(e)));
        }
        producer.send(records);
    }

    /** Publishes the entries as the ledger's publisher does: idempotent, acknowledged by all, no transaction. */
    private void sendAsThePublisherDoes(List<StoredEntry> entries) throws InterruptedException {
        LocalKafka.sendAll(publisherLike, entries.stream()
                .map(e -> new ProducerRecord<>(topic, e.tenantId(), TenantChain.encode(e))).toList());
    }

    private String customerLinkedFor(String tenant) {
        return ledger.customerLinks().stream().filter(c -> c.path().equals("/v1/tenants/" + tenant + "/stripe-customer"))
                .map(c -> c.body().get("stripe_customer_id").asText()).findFirst().orElseThrow();
    }

    private void awaitWrittenBack(Expected expected) throws Exception {
        await(() -> ledger.usageReports().size() >= expected.windows.size(),
                expected.windows.size() + " windows written back");
        await(() -> queryLong("select count(*) from meter_reader_window where status = 'WRITTEN_BACK'")
                >= expected.windows.size(), "windows marked WRITTEN_BACK");
    }

    private void assertStripeTotals(Expected expected, Map<String, String> customers) {
        expected.totals().forEach((tenantMeter, total) -> {
            String[] tm = tenantMeter.split("\\|");
            assertThat(stripe.meterEventTotal(customers.get(tm[0]), tm[1])).as("Stripe total of " + tenantMeter)
                    .isEqualTo(total);
        });
    }

    /** Stripe's own meter event summaries (over everything the test sent) against the ledger's totals. */
    private void assertSummaryTotals(Expected expected, Map<String, String> customers) throws Exception {
        Map<String, String> meterIds = new HashMap<>();
        for (Meter m : stripeClient.v1().billing().meters().list(MeterListParams.builder().setLimit(100L).build())
                .getData()) {
            meterIds.put(m.getEventName(), m.getId());
        }
        long from = Math.floorDiv(base.getEpochSecond() - 3600, 60) * 60;
        long to = Math.floorDiv(stripe.now().getEpochSecond() + 3600, 60) * 60;
        for (Map.Entry<String, Long> e : expected.totals().entrySet()) {
            String[] tm = e.getKey().split("\\|");
            List<MeterEventSummary> summaries = stripeClient.v1().billing().meters().eventSummaries()
                    .list(meterIds.get(tm[1]), MeterEventSummaryListParams.builder().setCustomer(customers.get(tm[0]))
                            .setStartTime(from).setEndTime(to).build()).getData();
            assertThat(summaries).singleElement().satisfies(s -> assertThat(s.getAggregatedValue().longValueExact())
                    .as("Stripe summary of " + e.getKey()).isEqualTo(e.getValue()));
        }
    }

    /** One first-time write-back per expected window, each with that window's quantity and times. */
    private void assertWriteBacksMatch(Expected expected) {
        Map<String, Long> written = new HashMap<>();
        for (FakeLedger.Call c : ledger.usageReports()) {
            assertThat(c.idempotencyKey()).isEqualTo(c.body().get("stripe_identifier").asText());
            Instant start = Instant.parse(c.body().get("window_start").asText());
            assertThat(Instant.parse(c.body().get("window_end").asText())).isEqualTo(start.plusSeconds(WINDOW_SECONDS));
            String tenant = c.path().split("/")[3];
            written.put(tenant + "|" + c.body().get("meter").asText() + "|" + start.getEpochSecond(),
                    c.body().get("quantity").asLong());
        }
        assertThat(written).isEqualTo(expected.windows);
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            LockSupport.parkNanos(100_000_000L);
        }
    }

    private void execute(String sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement()) {
            s.execute(sql);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private long queryLong(String sql) {
        return Long.parseLong(queryString(sql));
    }

    private String queryString(String sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private int get(MeterReader reader, String path) throws Exception {
        return http.send(request(reader, path), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private String body(MeterReader reader, String path) throws Exception {
        return http.send(request(reader, path), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** A call to the operator endpoints, with {@code token} as Bearer (none when null). */
    private HttpResponse<String> call(MeterReader reader, String method, String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + reader.port() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest request(MeterReader reader, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + reader.port() + path)).build();
    }

    private static double gauge(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        assertThat(m.find()).as("series " + series).isTrue();
        return Double.parseDouble(m.group(1));
    }

    /** What the ledger entries bill, computed independently: "tenant|meter|windowStartEpoch" → units. */
    private record Expected(Map<String, Long> windows) {

        static Expected of(List<StoredEntry> entries) {
            Map<String, Long> windows = new HashMap<>();
            for (StoredEntry e : entries) {
                LedgerEvent event = dev.ledger.core.entry.EntryTypes.read(e.type(), e.payload());
                event.billable().ifPresent(units -> {
                    long second = Instant.parse(e.recordedAt()).getEpochSecond();
                    long start = Math.floorDiv(second, WINDOW_SECONDS) * WINDOW_SECONDS;
                    windows.merge(e.tenantId() + "|" + units.meter() + "|" + start, units.quantity(), Long::sum);
                });
            }
            return new Expected(windows);
        }

        Map<String, Long> totals() {
            Map<String, Long> totals = new HashMap<>();
            windows.forEach((k, v) -> totals.merge(k.substring(0, k.lastIndexOf('|')), v, Long::sum));
            return totals;
        }
    }
}
