package dev.ledger.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.billing.Meter;
import com.stripe.model.billing.MeterEventSummary;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.billing.MeterEventSummaryListParams;
import com.stripe.param.billing.MeterListParams;
import dev.ledger.api.LedgerClient.Answer;
import dev.ledger.api.LedgerClient;
import dev.ledger.api.RunningLedger;
import dev.ledger.api.SharedInfrastructure;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue acceptance of the meter-reader's exactly-once effect, on the real PostgreSQL, Kafka broker and Stripe
 * emulator and a real ledger-api with its own topic: the worker runs as separate OS processes that are killed with
 * SIGKILL while 50,000 usage units (2,500 usage records) for 5 tenants and 2 meters flow through the ledger.
 * Afterwards every (tenant, meter) has the ledger's total in Stripe's meter event summaries and in the UsageReported
 * entries, and each window is reported exactly once. Windows are 2 s long and close 1 s after going idle.
 * The plan and the kill moments come from a seeded {@link Random}; {@code -Dcrash.seed=N} replays them.
 */
class MeterReaderCrashTest {

    private static final int TENANTS = 5;
    private static final List<String> METERS = List.of("tokens", "requests");
    private static final int RECORDS = 2_500;
    private static final long UNITS = 50_000;
    private static final int PARTITIONS = 4;
    /** The workers run with the default METER_READER_CONSUMERS: each process is that many members of the group. */
    private static final int CONSUMERS_PER_WORKER = 2;
    private static final int KILLS = 30;
    private static final Path LOGS = Path.of("target", "meter-reader-crash");

    private final SharedInfrastructure infra = SharedInfrastructure.get();
    private final List<MeterReaderProcess> workers = new ArrayList<>();
    private final StripeClient stripe = StripeClient.builder().setApiKey("sk_test_crash").setApiBase(infra.stripe.url())
            .setMeterEventsBase(infra.stripe.url()).build();
    private Random random;
    private String run;
    private String topic;
    private RunningLedger ledger;
    private LedgerClient admin;
    private String serviceKey;
    private final Map<String, LedgerClient> tenantClients = new LinkedHashMap<>();
    private UsagePosting posting;

    @BeforeEach
    void ledgerWithItsOwnTopicAndFiveTenants() throws Exception {
        long seed = Long.getLong("crash.seed", System.nanoTime());
        System.out.println("MeterReaderCrashTest seed " + seed + " (replay with -Dcrash.seed=" + seed + ")");
        random = new Random(seed);
        run = "crash" + Long.toString(System.nanoTime() % 2_000_000_000L, 36);
        topic = run + ".entries";
        try (Admin kafka = kafkaAdmin()) {
            dev.ledger.ops.kafka.LocalKafka.createTopics(kafka, List.of(new NewTopic(topic, PARTITIONS, (short) 1)));
        }
        // a ledger of its own (database and topic): every chain, the system chain included, starts on this topic
        infra.postgres.createDatabase(run);
        ledger = RunningLedger.start(infra, Map.of("ledger.entries-topic", topic, "ledger.usage.allowed-meters", String.join(",", METERS),
                "DATABASE_URL", infra.ledgerApiLogin.databaseUrl(run), "LEDGER_MIGRATION_DATABASE_URL", infra.postgres.databaseUrl(run)));
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        serviceKey = admin.post("/v1/service-keys", Map.of()).body().get("key").asText();
        List<String> tenants = tenantsOnEveryPartition();
        for (int i = 0; i < tenants.size(); i++) {
            String tenant = tenants.get(i);
            Map<String, Object> registration = new HashMap<>(Map.of("tenant_id", tenant, "name", "Crash " + i));
            if (i < 3) {
                // the other two are registered without a customer: the worker creates and links theirs
                registration.put("stripe_customer_id", stripe.v1().customers().create(CustomerCreateParams.builder()
                        .setName("Crash " + i).build()).getId());
            }
            assertThat(admin.post("/v1/tenants", registration).status()).isEqualTo(201);
            Answer key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("usage:write")));
            tenantClients.put(tenant, admin.withKey(key.body().get("key").asText()));
        }
    }

    @AfterEach
    void stopEverything() throws Exception {
        if (posting != null) {
            posting.stop();
        }
        for (MeterReaderProcess w : workers) {
            w.close();
        }
        if (ledger != null) {
            ledger.close();
        }
    }

    // ------------------------------------------------------------------ scenarios

    @Test
    void givenUsageFlowing_whenTheWorkerIsKilledThirtyTimesAndRestarted_thenStripeAndTheLedgerHoldEveryUnitExactlyOnce()
            throws Exception {
        int callsBefore = infra.stripe.meterEventCalls();
        posting = UsagePosting.start(plan(), tenantClients, Duration.ofSeconds(90));

        int duringStartUp = 0;
        for (int i = 1; i <= KILLS; i++) {
            // Each restart joins a fresh consumer group: offsets live in PostgreSQL, not in Kafka, and a restarted
            // member of the old group would wait out the dead member's session before getting any partition.
            MeterReaderProcess worker = startWorker("worker-" + i, run + "-life-" + i);
            String moment;
            if (random.nextInt(5) == 0) {
                // one life in five dies somewhere in its start-up (JVM, migrations check, joining the group)
                Thread.sleep(200 + random.nextInt(2_300));
                moment = "at " + seconds(worker.uptime()) + " s into start-up";
            } else {
                // the others while consuming, closing windows, calling Stripe or writing back
                assertThat(worker.awaitStarted(Duration.ofSeconds(60))).as(worker.name() + " started").isTrue();
                double startedAfter = worker.uptime();
                Thread.sleep(random.nextInt(2_000));
                moment = seconds(worker.uptime() - startedAfter) + " s after its start-up of " + seconds(startedAfter) + " s";
            }
            boolean started = worker.started();
            worker.kill();
            duringStartUp += started ? 0 : 1;
            System.out.printf("kill %2d: pid %d SIGKILLed %s; %d of %d usage records posted%n", i, worker.pid(), moment,
                    posting.posted(), RECORDS);
        }
        System.out.printf("%d of %d kills hit a worker still starting; usage posting %s%n", duringStartUp, KILLS,
                posting.posted() < RECORDS ? "still running" : "done");
        posting.await(Duration.ofSeconds(120));

        MeterReaderProcess last = startWorker("worker-final", run + "-life-final");
        Observed settled = awaitSettled(posting, Duration.ofSeconds(90));
        System.out.printf("%d meter event calls reached the emulator for %d windows%n",
                infra.stripe.meterEventCalls() - callsBefore, settled.reportsPerWindow().size());
        assertExactlyOnce(posting, settled, last);
        assertThat(last.alive()).isTrue();
    }

    @Test
    void givenTwoWorkersInOneGroup_whenOneIsKilledMidStream_thenTheOtherTakesOverAndEveryUnitArrivesExactlyOnce()
            throws Exception {
        int callsBefore = infra.stripe.meterEventCalls();
        String group = run + "-shared";
        MeterReaderProcess a = startWorker("worker-a", group);
        MeterReaderProcess b = startWorker("worker-b", group);
        awaitGroup(group, 2 * CONSUMERS_PER_WORKER, Duration.ofSeconds(60));

        posting = UsagePosting.start(plan(), tenantClients, Duration.ofSeconds(20));
        Thread.sleep(4_000 + random.nextInt(8_000));
        MeterReaderProcess victim = random.nextBoolean() ? a : b;
        MeterReaderProcess survivor = victim == a ? b : a;
        victim.kill();
        System.out.printf("%s (pid %d) SIGKILLed after %d of %d usage records; not restarted%n", victim.name(), victim.pid(),
                posting.posted(), RECORDS);
        posting.await(Duration.ofSeconds(120));

        // the survivor gets the victim's partitions once the group gives up on it (the 10 s session timeout)
        Observed settled = awaitSettled(posting, Duration.ofSeconds(150));
        System.out.printf("%d meter event calls reached the emulator for %d windows%n",
                infra.stripe.meterEventCalls() - callsBefore, settled.reportsPerWindow().size());
        assertExactlyOnce(posting, settled, survivor);
        assertThat(survivor.alive()).isTrue();
        // only the survivor's consumers are left in the group, and together they hold every partition
        ConsumerGroupDescription description = describe(group);
        assertThat(description.members()).hasSize(CONSUMERS_PER_WORKER)
                .allSatisfy(m -> assertThat(m.clientId()).startsWith("meter-reader-" + survivor.pid() + "-"));
        assertThat(description.members().stream().mapToInt(m -> m.assignment().topicPartitions().size()).sum())
                .isEqualTo(PARTITIONS);
    }

    // ------------------------------------------------------------------ the worker processes

    private static String seconds(double s) {
        return String.format("%.2f", s);
    }

    private MeterReaderProcess startWorker(String name, String group) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", infra.postgres.jdbcUrl(run));
        env.put("KAFKA_BOOTSTRAP_SERVERS", infra.kafka.bootstrapServers());
        env.put("STRIPE_API_BASE", infra.stripe.url());
        env.put("STRIPE_TIMEOUT_SECONDS", "10");
        env.put("LEDGER_API_URL", ledger.url());
        env.put("LEDGER_SERVICE_KEY", serviceKey);
        env.put("METER_READER_PORT", "0");
        env.put("METER_READER_TOPIC", topic);
        env.put("METER_READER_GROUP", group);
        env.put("LEDGER_ALLOWED_METERS", String.join(",", METERS));
        env.put("METER_WINDOW_SECONDS", "2");
        env.put("METER_IDLE_CLOSE_SECONDS", "1");
        // a killed worker's partitions move to the survivor after 10 s instead of Kafka's 45 s (the same mechanism)
        env.put("METER_READER_SESSION_TIMEOUT_SECONDS", "10");
        MeterReaderProcess worker = MeterReaderProcess.start(name, env, LOGS.resolve(run));
        workers.add(worker);
        return worker;
    }

    private Admin kafkaAdmin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, infra.kafka.bootstrapServers()));
    }

    private ConsumerGroupDescription describe(String group) throws Exception {
        try (Admin kafka = kafkaAdmin()) {
            return kafka.describeConsumerGroups(List.of(group)).describedGroups().get(group).get(10, TimeUnit.SECONDS);
        }
    }

    /** Waits until the group has {@code members} members that each own at least one partition of the topic. */
    private void awaitGroup(String group, int members, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Collection<MemberDescription> m;
            try {
                m = describe(group).members();
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                    throw e;
                }
                m = List.of(); // no member has joined yet
            }
            if (m.size() == members && m.stream().allMatch(d -> !d.assignment().topicPartitions().isEmpty())) {
                return;
            }
            LockSupport.parkNanos(250_000_000L);
        }
        throw new AssertionError("group " + group + " did not reach " + members + " members with partitions in " + timeout);
    }

    // ------------------------------------------------------------------ the usage

    private record Pair(String tenant, String meter) implements Comparable<Pair> {
        @Override
        public int compareTo(Pair o) {
            return toString().compareTo(o.toString());
        }
    }

    record Usage(String tenant, String usageId, String meter, long quantity) {
    }

    /** 2,500 usage records, 250 per (tenant, meter), whose random quantities add up to 5,000 units per pair. */
    private List<Usage> plan() {
        List<Usage> plan = new ArrayList<>();
        long perPair = UNITS / (TENANTS * METERS.size());
        int recordsPerPair = RECORDS / (TENANTS * METERS.size());
        for (String tenant : tenantClients.keySet()) {
            for (String meter : METERS) {
                // recordsPerPair - 1 distinct cut points in (0, perPair) split it into positive quantities
                TreeSet<Long> cuts = new TreeSet<>();
                while (cuts.size() < recordsPerPair - 1) {
                    cuts.add(1 + (long) random.nextInt((int) perPair - 1));
                }
                cuts.add(perPair);
                long previous = 0;
                for (long cut : cuts) {
                    plan.add(new Usage(tenant, "u-" + meter + "-" + plan.size(), meter, cut - previous));
                    previous = cut;
                }
            }
        }
        Collections.shuffle(plan, random);
        assertThat(plan).hasSize(RECORDS);
        assertThat(plan.stream().mapToLong(Usage::quantity).sum()).isEqualTo(UNITS);
        return plan;
    }

    /**
     * Posts the plan from four threads, paced to spread over {@code spread}; each record is retried with its own
     * Idempotency-Key until the ledger answers with a receipt, whose quantity then counts as accepted.
     */
    static final class UsagePosting {
        private final ExecutorService threads = Executors.newFixedThreadPool(4);
        private final Map<Pair, Long> accepted = new ConcurrentHashMap<>();
        private final List<String> failures = new CopyOnWriteArrayList<>();
        private final AtomicInteger next = new AtomicInteger();
        private final AtomicInteger posted = new AtomicInteger();

        static UsagePosting start(List<Usage> plan, Map<String, LedgerClient> clients, Duration spread) {
            UsagePosting p = new UsagePosting();
            long begin = System.nanoTime();
            long interval = spread.toNanos() / plan.size();
            for (int t = 0; t < 4; t++) {
                p.threads.submit(() -> {
                    int i;
                    while ((i = p.next.getAndIncrement()) < plan.size()) {
                        long wait = begin + i * interval - System.nanoTime();
                        if (wait > 0) {
                            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                        }
                        p.post(plan.get(i), clients.get(plan.get(i).tenant()));
                    }
                    return null;
                });
            }
            p.threads.shutdown();
            return p;
        }

        private void post(Usage u, LedgerClient client) throws InterruptedException {
            Map<String, Object> body = Map.of("usage_id", u.usageId(), "meter", u.meter(), "quantity", u.quantity(),
                    "occurred_at", Instant.now().toString());
            String last = null;
            for (int attempt = 0; attempt < 30; attempt++) {
                try {
                    Answer a = client.post("/v1/usage", body, u.usageId());
                    if (a.status() == 201 || a.status() == 200) {
                        accepted.merge(new Pair(u.tenant(), u.meter()), u.quantity(), Long::sum);
                        posted.incrementAndGet();
                        return;
                    }
                    last = a.status() + " " + a.code();
                    if (a.status() != 409 && a.status() != 429 && a.status() < 500) {
                        break;
                    }
                } catch (RuntimeException e) {
                    last = e.toString();
                }
                Thread.sleep(200);
            }
            failures.add(u.usageId() + ": " + last);
        }

        int posted() {
            return posted.get();
        }

        /** Stops posting (a failed test must not leave threads posting to a stopped ledger). */
        void stop() {
            threads.shutdownNow();
        }

        void await(Duration timeout) throws InterruptedException {
            assertThat(threads.awaitTermination(timeout.toSeconds(), TimeUnit.SECONDS)).as("usage posted in time").isTrue();
            assertThat(failures).as("usage records the ledger refused").isEmpty();
        }

        Map<Pair, Long> accepted() {
            return new TreeMap<>(accepted);
        }
    }

    /** Tenant ids whose Kafka partitions (the default partitioner, key = tenant id) cover every partition. */
    private List<String> tenantsOnEveryPartition() {
        List<String> chosen = new ArrayList<>();
        Set<Integer> covered = new TreeSet<>();
        for (int i = 0; chosen.size() < TENANTS; i++) {
            String candidate = run + "-t" + i;
            int partition = Utils.toPositive(Utils.murmur2(candidate.getBytes(StandardCharsets.UTF_8))) % PARTITIONS;
            if (covered.add(partition) || covered.size() == PARTITIONS && chosen.size() >= PARTITIONS) {
                chosen.add(candidate);
            }
        }
        return chosen;
    }

    // ------------------------------------------------------------------ what the ledger, Stripe and the worker hold

    /**
     * One look at everything: per (tenant, meter) the units recorded in the chain, reported back in UsageReported
     * entries, and summed by Stripe; per window the number of UsageReported entries; the worker's window states.
     */
    private record Observed(Map<Pair, Long> recorded, Map<Pair, Long> reported, Map<Pair, Long> stripeSummaries,
                            Map<Pair, Long> stripeEvents, Map<String, Integer> reportsPerWindow,
                            Map<String, Integer> reportsPerIdentifier, Map<String, Long> windowStates, long brokenChains) {

        boolean settled(Map<Pair, Long> accepted) {
            return recorded.equals(accepted) && reported.equals(recorded) && stripeSummaries.equals(recorded)
                    && stripeEvents.equals(recorded) && windowStates.keySet().equals(Set.of("WRITTEN_BACK"))
                    && reportsPerWindow.values().stream().allMatch(n -> n == 1);
        }
    }

    private Observed observe() throws Exception {
        Map<Pair, Long> recorded = new TreeMap<>();
        Map<Pair, Long> reported = new TreeMap<>();
        Map<Pair, Long> summaries = new TreeMap<>();
        Map<Pair, Long> events = new TreeMap<>();
        Map<String, Integer> perWindow = new TreeMap<>();
        Map<String, Integer> perIdentifier = new TreeMap<>();
        Map<String, List<String>> meterIds = meterIds();
        for (String tenant : tenantClients.keySet()) {
            long after = 0;
            while (true) {
                Answer page = admin.get("/v1/tenants/" + tenant + "/entries?after=" + after + "&limit=1000");
                assertThat(page.status()).isEqualTo(200);
                for (JsonNode e : page.body().get("entries")) {
                    JsonNode p = e.get("payload");
                    switch (e.get("type").asText()) {
                        case "UsageRecorded" -> recorded.merge(new Pair(tenant, p.get("meter").asText()),
                                p.get("quantity").asLong(), Long::sum);
                        case "UsageReported" -> {
                            reported.merge(new Pair(tenant, p.get("meter").asText()), p.get("quantity").asLong(), Long::sum);
                            perWindow.merge(tenant + " " + p.get("meter").asText() + " " + p.get("window_start").asText(), 1,
                                    Integer::sum);
                            perIdentifier.merge(p.get("stripe_identifier").asText(), 1, Integer::sum);
                        }
                        default -> {
                        }
                    }
                }
                if (!page.body().path("next_after").isNumber()) {
                    break;
                }
                after = page.body().get("next_after").asLong();
            }
            String customer = admin.get("/v1/tenants/" + tenant).body().path("stripe_customer_id").asText("");
            for (String meter : METERS) {
                if (!customer.isEmpty()) {
                    summaries.put(new Pair(tenant, meter), summaryTotal(meterIds.getOrDefault(meter, List.of()), customer));
                    events.put(new Pair(tenant, meter), infra.stripe.meterEventTotal(customer, meter));
                }
            }
        }
        Map<String, Long> states = new TreeMap<>();
        long broken;
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl(run))) {
            String[] ids = tenantClients.keySet().toArray(String[]::new);
            try (PreparedStatement ps = c.prepareStatement(
                    "select status, count(*) from meter_reader_window where tenant_id = any(?) group by status")) {
                ps.setArray(1, c.createArrayOf("varchar", ids));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        states.put(rs.getString(1), rs.getLong(2));
                    }
                }
            }
            broken = count(c, "select count(*) from meter_reader_tenant where tenant_id = any(?) "
                    + "and broken_sequence is not null", ids);
        }
        return new Observed(recorded, reported, summaries, events, perWindow, perIdentifier, states, broken);
    }

    private static long count(Connection c, String sql, String[] ids) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setArray(1, c.createArrayOf("varchar", ids));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Event name → ids of the emulator's meters with that event name. */
    private Map<String, List<String>> meterIds() throws StripeException {
        Map<String, List<String>> ids = new HashMap<>();
        for (Meter m : stripe.v1().billing().meters().list(MeterListParams.builder().setLimit(100L).build())
                .autoPagingIterable()) {
            ids.computeIfAbsent(m.getEventName(), k -> new ArrayList<>()).add(m.getId());
        }
        return ids;
    }

    /** Stripe's meter event summary for the customer over the last day (minute-aligned, as Stripe requires). */
    private long summaryTotal(List<String> meterIds, String customer) throws StripeException {
        long end = (Instant.now().getEpochSecond() / 60 + 10) * 60;
        long sum = 0;
        for (String meterId : meterIds) {
            for (MeterEventSummary s : stripe.v1().billing().meters().eventSummaries().list(meterId,
                    MeterEventSummaryListParams.builder().setCustomer(customer).setStartTime(end - 86_400).setEndTime(end)
                            .build()).getData()) {
                sum += s.getAggregatedValue().longValue();
            }
        }
        return sum;
    }

    /** Observes until everything agrees (or the timeout), then once more a little later to catch a late double. */
    private Observed awaitSettled(UsagePosting posting, Duration timeout) throws Exception {
        long started = System.nanoTime();
        long deadline = started + timeout.toNanos();
        Observed o = observe();
        while (!o.settled(posting.accepted()) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000_000L);
            o = observe();
        }
        if (o.settled(posting.accepted())) {
            System.out.printf("settled after %.1f s of waiting%n", (System.nanoTime() - started) / 1e9);
            Thread.sleep(3_000);
            o = observe();
        }
        return o;
    }

    private void assertExactlyOnce(UsagePosting posting, Observed o, MeterReaderProcess current) {
        Map<Pair, Long> accepted = posting.accepted();
        try {
            System.out.println("per (tenant, meter): accepted " + accepted + "\n  Stripe summaries " + o.stripeSummaries()
                    + "\n  UsageReported " + o.reported() + "\n  worker windows " + o.windowStates() + ", "
                    + o.reportsPerWindow().size() + " windows reported");
            assertThat(accepted.values().stream().mapToLong(Long::longValue).sum()).as("units the ledger accepted")
                    .isEqualTo(UNITS);
            assertThat(accepted).hasSize(TENANTS * METERS.size());
            assertThat(o.recorded()).as("units recorded in the chains (the ledger's totals)").isEqualTo(accepted);
            assertThat(o.stripeSummaries()).as("Stripe meter event summaries").isEqualTo(o.recorded());
            assertThat(o.stripeEvents()).as("the emulator's accepted meter events").isEqualTo(o.recorded());
            assertThat(o.reported()).as("units in UsageReported entries").isEqualTo(o.recorded());
            assertThat(o.reportsPerWindow()).as("UsageReported entries per (tenant, meter, window)")
                    .allSatisfy((window, n) -> assertThat(n).as(window).isEqualTo(1));
            assertThat(o.reportsPerIdentifier()).as("UsageReported entries per Stripe identifier")
                    .allSatisfy((id, n) -> assertThat(n).as(id).isEqualTo(1));
            assertThat(o.windowStates()).as("the worker's windows").containsOnlyKeys("WRITTEN_BACK");
            assertThat(o.windowStates().get("WRITTEN_BACK")).isEqualTo((long) o.reportsPerWindow().size());
            assertThat(o.brokenChains()).as("chains the worker considers broken").isZero();
        } catch (AssertionError e) {
            System.out.println("--- last lines of " + current.name() + " ---\n" + current.logTail(60));
            throw e;
        }
        for (MeterReaderProcess w : workers) {
            assertThat(w.log()).as(w.name() + " output").doesNotContain("ALERT", "PARKED");
        }
    }
}
