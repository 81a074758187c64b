package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import com.stripe.StripeClient;
import com.stripe.param.CustomerCreateParams;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.ops.kafka.LocalKafka;
import dev.ledger.ops.postgres.LocalPostgres;
import dev.ledger.ops.stripe.StripeEmulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Test fixture for the billing and fork tests: a real PostgreSQL and Kafka broker shared by a test class, and per
 * test a fresh topic, database, Stripe emulator and {@link FakeLedger}, plus a worker clock the test moves.
 * Windows are 2 s of ledger time; entries are recorded some 40 s in the past, so windows close once caught up.
 */
final class BillingWorld implements AutoCloseable {

    static final long WINDOW_SECONDS = 2;
    static final String SERVICE_KEY = "svc-test-key";
    private static final Duration DEADLINE = Duration.ofSeconds(45);
    private static final AtomicInteger RUNS = new AtomicInteger();

    /** The servers a test class shares. */
    static final class Servers implements AutoCloseable {
        final LocalPostgres postgres;
        final LocalKafka kafka;
        final Admin admin;
        final TransactionalSender producer;

        Servers() throws Exception {
            postgres = LocalPostgres.start(null, 0);
            kafka = LocalKafka.start(null, 0);
            admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
            producer = new TransactionalSender(kafka.bootstrapServers(), "billing-test-" + System.nanoTime());
        }

        @Override
        public void close() throws Exception {
            producer.close();
            admin.close();
            kafka.close();
            postgres.close();
        }
    }

    /** A clock the test moves: system time plus an offset. */
    static final class MovableClock extends Clock {
        private record Move(BooleanSupplier when, Runnable move, CountDownLatch done) {
        }

        private final AtomicReference<Duration> offset = new AtomicReference<>(Duration.ZERO);
        private final AtomicReference<Move> armed = new AtomicReference<>();

        void advance(Duration by) {
            offset.updateAndGet(d -> d.plus(by));
        }

        /**
         * Runs {@code move} (which moves this clock and others) on the worker's reporter thread, at its first reading
         * of this clock that finds {@code when} true; answers once it has run. The reporter reads the clock only
         * between its Stripe calls, so unlike a move from the test's thread this one cannot fall between a call
         * leaving the worker and Stripe taking it, where a send decided at the old time would reach a Stripe already
         * at the new one.
         */
        void moveOnReporterThread(BooleanSupplier when, Runnable move) throws InterruptedException {
            Move m = new Move(when, move, new CountDownLatch(1));
            armed.set(m);
            if (!m.done().await(45, TimeUnit.SECONDS)) {
                throw new AssertionError("the reporter never read the clock");
            }
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            Move m = armed.get();
            if (m != null && Thread.currentThread().getName().equals("meter-reader-reporter") && m.when().getAsBoolean()
                    && armed.compareAndSet(m, null)) {
                m.move().run();
                m.done().countDown();
            }
            return Instant.now().plus(offset.get());
        }
    }

    final Servers servers;
    final String topic;
    final String group;
    final String jdbcUrl;
    final StripeEmulator stripe;
    final StripeClient stripeClient;
    final FakeLedger ledger;
    final Instant base;
    final MovableClock clock = new MovableClock();
    private final List<MeterReader> readers = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    BillingWorld(Servers servers, int partitions) throws Exception {
        this.servers = servers;
        int run = RUNS.incrementAndGet();
        topic = "billing.entries.run" + run + "." + System.nanoTime();
        group = "billing-run" + run;
        dev.ledger.ops.kafka.LocalKafka.createTopics(servers.admin, List.of(new NewTopic(topic, partitions, (short) 1)));
        String database = "billing_run" + run + "_" + (System.nanoTime() % 100_000);
        try (Connection c = DriverManager.getConnection(servers.postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("create database " + database);
        }
        jdbcUrl = "jdbc:postgresql://127.0.0.1:" + servers.postgres.port() + "/" + database + "?user=postgres";
        stripe = StripeEmulator.start(0);
        stripeClient = StripeClient.builder().setApiKey("sk_test_local").setApiBase(stripe.url())
                .setMeterEventsBase(stripe.url()).build();
        ledger = new FakeLedger();
        long now = Instant.now().getEpochSecond();
        base = Instant.ofEpochSecond(Math.floorDiv(now - 40, WINDOW_SECONDS) * WINDOW_SECONDS);
    }

    MeterReader start(Map<String, String> overrides) {
        Map<String, String> env = new HashMap<>(Map.of(
                "DATABASE_URL", jdbcUrl,
                "KAFKA_BOOTSTRAP_SERVERS", servers.kafka.bootstrapServers(),
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

    void stop(MeterReader reader) {
        reader.close();
        readers.remove(reader);
    }

    Instant at(long millisAfterBase) {
        return base.plusMillis(millisAfterBase);
    }

    String customer(String tenant) throws Exception {
        return stripeClient.v1().customers().create(CustomerCreateParams.builder().setName(tenant)
                .putMetadata("tenant_id", tenant).build()).getId();
    }

    /** Publishes the entries in one Kafka transaction, keyed by tenant. */
    void send(List<StoredEntry> entries) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (StoredEntry e : entries) {
            records.add(new ProducerRecord<>(topic, e.tenantId().getBytes(), TenantChain.encode(e)));
        }
        sendRecords(records);
    }

    void sendRecords(List<ProducerRecord<byte[], byte[]>> records) {
        servers.producer.send(records);
    }

    static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            LockSupport.parkNanos(100_000_000L);
        }
    }

    void awaitWrittenBack(int windows) throws InterruptedException {
        await(() -> ledger.usageReports().size() >= windows, windows + " windows written back");
        await(() -> queryLong("select count(*) from meter_reader_window where status = 'WRITTEN_BACK'") >= windows,
                "windows marked WRITTEN_BACK");
    }

    String stopReason(String tenant) {
        return queryString("select broken_sequence || ':' || broken_reason from meter_reader_tenant where tenant_id = '"
                + tenant + "'");
    }

    long queryLong(String sql) {
        String v = queryString(sql);
        return v == null ? 0 : Long.parseLong(v);
    }

    String queryString(String sql) {
        try (Connection c = DriverManager.getConnection(jdbcUrl); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (java.sql.SQLException e) {
            if ("42P01".equals(e.getSQLState())) {
                return null; // the reader has not created its tables yet
            }
            throw new IllegalStateException(e);
        }
    }

    String metrics(MeterReader reader) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + reader.port() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    static double series(String metrics, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(metrics);
        assertThat(m.find()).as("series " + series + " in\n" + metrics).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Override
    public void close() {
        readers.forEach(MeterReader::close);
        readers.clear();
        stripe.close();
        ledger.close();
    }
}
