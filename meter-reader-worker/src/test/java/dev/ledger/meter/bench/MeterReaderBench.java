package dev.ledger.meter.bench;

import com.stripe.StripeClient;
import com.stripe.param.CustomerCreateParams;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.meter.MeterReader;
import dev.ledger.meter.MeterReaderConfig;
import dev.ledger.meter.TenantChain;
import dev.ledger.meter.UsageWindow;
import dev.ledger.ops.kafka.LocalKafka;
import dev.ledger.ops.postgres.LocalPostgres;
import dev.ledger.ops.stripe.StripeEmulator;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Throughput of the meter-reader against a bare Kafka consumer loop over the same topic, on the real local
 * PostgreSQL, Kafka broker and Stripe emulator. Not a test (surefire never runs it):
 * {@code MeterReaderBench [entries=1000000] [tenants=8] [partitions=4] [warm-up entries=min(200000, entries/4)]
 * [rounds=3] [warm-up rounds=2]}.
 *
 * <p>It publishes {@code entries} correctly chained entries (a registration per tenant, then three evaluations to one
 * usage record) spread over 30 minutes of ledger time ending five minutes ago, then measures (a) a bare
 * kafka-clients consumer that polls and touches every value, and (b) the meter-reader consuming, re-verifying and
 * windowing the same entries, from {@code MeterReader.start} until its stored offsets reach the end of the topic.
 * Both first run over separate warm-up topics, so the figures are of compiled code, not of the JIT. Each measured
 * round publishes a topic of its own and measures both on it; the summary gives the median of the rounds, since
 * two shared cores make single runs move by a third. After each round it waits for every window to reach Stripe and
 * prints the Stripe calls against the windows.
 */
public final class MeterReaderBench {

    private static final Duration LEDGER_SPAN = Duration.ofMinutes(30);
    private static final int WINDOW_SECONDS = 60;

    private final LocalPostgres postgres;
    private final LocalKafka kafka;
    private final StripeEmulator stripe;
    private final LedgerStandIn ledger;
    private final int tenants;
    private final int partitions;

    private MeterReaderBench(LocalPostgres postgres, LocalKafka kafka, StripeEmulator stripe, LedgerStandIn ledger,
                             int tenants, int partitions) {
        this.postgres = postgres;
        this.kafka = kafka;
        this.stripe = stripe;
        this.ledger = ledger;
        this.tenants = tenants;
        this.partitions = partitions;
    }

    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            t.printStackTrace();
            System.exit(1);
        }
        System.exit(0); // the broker's and the clients' threads would keep the JVM alive
    }

    static void run(String[] args) throws Exception {
        System.setProperty("sun.net.httpserver.nodelay", "true");
        int entries = args.length > 0 ? Integer.parseInt(args[0].replace("_", "")) : 1_000_000;
        int tenants = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int warmUp = args.length > 3 ? Integer.parseInt(args[3].replace("_", "")) : Math.min(200_000, entries / 4);
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        int warmRounds = args.length > 5 ? Integer.parseInt(args[5]) : 2;
        if (entries < tenants * 2 || warmUp != 0 && warmUp < tenants * 2 || rounds < 1) {
            throw new IllegalArgumentException("entries and warm-up entries must be at least twice the tenants");
        }
        System.out.printf("meter-reader bench: %d round(s) of %,d entries (after %d warm-up round(s) of %,d), %d tenants, "
                + "%d partitions, %d s windows, %d cores%n", rounds, entries, warmRounds, warmUp, tenants, partitions,
                WINDOW_SECONDS, Runtime.getRuntime().availableProcessors());
        try (LocalPostgres postgres = LocalPostgres.start(null, 0);
             LocalKafka kafka = LocalKafka.start(null, 0);
             StripeEmulator stripe = StripeEmulator.start(0);
             LedgerStandIn ledger = new LedgerStandIn()) {
            new MeterReaderBench(postgres, kafka, stripe, ledger, tenants, partitions).measure(entries, warmUp, rounds,
                    warmRounds);
        }
    }

    private void measure(int entries, int warmUp, int rounds, int warmRounds) throws Exception {
        for (int w = 1; w <= warmRounds && warmUp > 0; w++) {
            Published warm = publish("warmup" + w, warmUp);
            bareLoop(warm);
            int callsBefore = stripe.meterEventCalls();
            try (MeterReader r = meterReader(warm).reader()) {
                awaitDelivery(warm, callsBefore); // the reporting path (Stripe, HTTP, JDBC) is warmed too
                System.out.println("warm-up round " + w + " done");
            }
        }
        List<Rate> bares = new ArrayList<>();
        List<Rate> readers = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            Published published = publish("bench" + round, entries);
            Rate bare = bareLoop(published);
            int callsBefore = stripe.meterEventCalls();
            ReaderRun run = meterReader(published);
            Rate reader = run.rate();
            System.out.println();
            System.out.println("round " + round + ":");
            header();
            print("bare kafka-clients consumer loop", bare);
            print("meter-reader (verify + window)", reader);
            double ratio = reader.perSecond() / bare.perSecond();
            System.out.printf("ratio meter-reader / bare loop: %.2f (steady %.2f)%n", ratio,
                    reader.steadyPerSecond() / bare.steadyPerSecond());
            try (MeterReader r = run.reader()) {
                awaitDelivery(published, callsBefore);
            }
            bares.add(bare);
            readers.add(reader);
            ratios.add(ratio);
        }
        Rate bare = median(bares);
        Rate reader = median(readers);
        double ratio = ratios.stream().sorted().toList().get(ratios.size() / 2);
        System.out.println();
        System.out.printf("median of %d round(s) (each row its own median; ratios per round: %s):%n", rounds,
                ratios.stream().map(r -> String.format("%.2f", r)).toList());
        header();
        print("bare kafka-clients consumer loop", bare);
        print("meter-reader (verify + window)", reader);
        System.out.printf("median ratio meter-reader / bare loop: %.2f; targets >= 0.60 and >= 100,000 entries/s: %s%n",
                ratio, ratio >= 0.6 && reader.perSecond() >= 100_000 ? "met" : "NOT met");
    }

    private static Rate median(List<Rate> rates) {
        return rates.stream().sorted(java.util.Comparator.comparingDouble(Rate::perSecond)).toList().get(rates.size() / 2);
    }

    private static void header() {
        System.out.printf("%-34s %12s %10s %14s %18s %16s%n", "", "entries", "seconds", "entries/s", "steady entries/s",
                "JVM CPU us/entry");
    }

    // ------------------------------------------------------------------ publishing

    /** What was published to one topic: its entries, the tenants' Stripe customers, units per window. */
    private record Published(String name, String topic, long total, Map<String, String> customers,
                             Map<UsageWindow, Long> windows) {
    }

    /** Entries round-robin over the tenants, evenly over {@link #LEDGER_SPAN} of ledger time ending 5 minutes ago. */
    private Published publish(String name, int entries) throws Exception {
        String topic = name + ".entries";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get();
        }
        StripeClient stripeClient = StripeClient.builder().setApiKey("sk_test_local").setApiBase(stripe.url())
                .setMeterEventsBase(stripe.url()).build();
        Map<String, String> customers = new HashMap<>();
        List<TenantChain> chains = new ArrayList<>();
        for (int t = 0; t < tenants; t++) {
            String tenant = name + "-" + t;
            customers.put(tenant, stripeClient.v1().customers().create(CustomerCreateParams.builder().setName(tenant)
                    .build()).getId());
            chains.add(new TenantChain(tenant));
        }
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        Instant end = Instant.now().minus(Duration.ofMinutes(5));
        Instant begin = end.minus(LEDGER_SPAN);
        long stepNanos = LEDGER_SPAN.toNanos() / entries;
        Map<UsageWindow, Long> windows = new HashMap<>();
        Duration window = Duration.ofSeconds(WINDOW_SECONDS);
        long started = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < entries; i++) {
                TenantChain chain = chains.get(i % chains.size());
                Instant at = begin.plusNanos(stepNanos * i);
                StoredEntry e;
                int step = i / chains.size();
                if (step == 0) {
                    e = chain.registered(chain.tenantId(), customers.get(chain.tenantId()), at);
                } else if (step % 4 == 0) {
                    long quantity = 1 + ThreadLocalRandom.current().nextInt(100);
                    e = chain.usage("tokens", quantity, at);
                    windows.merge(UsageWindow.containing(chain.tenantId(), "tokens", at, window), quantity, Long::sum);
                } else {
                    e = chain.evaluation(at);
                    windows.merge(UsageWindow.containing(chain.tenantId(), "evaluations", at, window), 1L, Long::sum);
                }
                producer.send(new ProducerRecord<>(topic, e.tenantId(), TenantChain.encode(e)));
            }
            producer.flush();
        }
        System.out.printf("%s: published %,d entries in %.1f s; %,d (tenant, meter, window) with units%n", name, entries,
                seconds(System.nanoTime() - started), windows.size());
        return new Published(name, topic, entries, customers, windows);
    }

    // ------------------------------------------------------------------ (a) the bare loop

    private record Rate(long entries, long nanos, long steadyEntries, long steadyNanos, long cpuNanos) {
        double cpuMicrosPerEntry() {
            return cpuNanos / 1e3 / entries;
        }

        double perSecond() {
            return entries / seconds(nanos);
        }

        double steadyPerSecond() {
            return steadyEntries / seconds(steadyNanos);
        }
    }

    /** Polls every partition from the beginning and touches each value, until it has seen every entry. */
    private Rate bareLoop(Published published) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        long cpuStarted = cpu();
        long started = System.nanoTime();
        long firstAt = 0;
        long firstCount = 0;
        long count = 0;
        long touched = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(published.topic(), p));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            while (count < published.total()) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    byte[] v = r.value();
                    touched += v.length + v[v.length / 2];
                    count++;
                }
                if (firstAt == 0 && count > 0) {
                    firstAt = System.nanoTime();
                    firstCount = count;
                }
            }
        }
        long done = System.nanoTime();
        if (touched == 42) {
            System.out.print(""); // keeps the touched bytes alive for the JIT
        }
        return new Rate(count, done - started, count - firstCount, done - firstAt, cpu() - cpuStarted);
    }

    // ------------------------------------------------------------------ (b) the meter-reader

    private record ReaderRun(Rate rate, MeterReader reader) {
    }

    private String jdbcUrl(Published published) {
        return "jdbc:postgresql://127.0.0.1:" + postgres.port() + "/meter_" + published.name() + "?user=postgres";
    }

    /** Starts a meter-reader on its own database and waits until its stored offsets reach the end of the topic. */
    private ReaderRun meterReader(Published published) throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("create database meter_" + published.name());
        }
        String jdbc = jdbcUrl(published);
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", jdbc);
        env.put("KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("STRIPE_API_BASE", stripe.url());
        env.put("LEDGER_API_URL", ledger.url());
        env.put("LEDGER_SERVICE_KEY", "svc-bench");
        env.put("METER_READER_PORT", "0");
        env.put("METER_READER_TOPIC", published.topic());
        env.put("METER_READER_GROUP", "meter-reader-" + published.name());
        env.put("METER_WINDOW_SECONDS", String.valueOf(WINDOW_SECONDS));
        env.put("METER_IDLE_CLOSE_SECONDS", "1");
        MeterReaderConfig config = MeterReaderConfig.fromEnv(env);
        Map<String, Long> threadsBefore = threadCpu();
        long cpuStarted = cpu();
        long started = System.nanoTime();
        long firstAt = 0;
        long firstCount = 0;
        long stored;
        MeterReader reader = MeterReader.start(config);
        try (Connection c = DriverManager.getConnection(jdbc);
             PreparedStatement ps = c.prepareStatement(
                     "select coalesce(sum(next_offset), 0) from meter_reader_offset where topic = ?")) {
            ps.setString(1, published.topic());
            while (true) {
                stored = single(ps);
                if (firstAt == 0 && stored > 0) {
                    firstAt = System.nanoTime();
                    firstCount = stored;
                }
                if (stored >= published.total()) {
                    break;
                }
                if (System.nanoTime() - started > Duration.ofMinutes(30).toNanos()) {
                    reader.close();
                    throw new IllegalStateException("the meter-reader stored only " + stored + " of " + published.total());
                }
                Thread.sleep(20);
            }
        }
        long done = System.nanoTime();
        long cpuUsed = cpu() - cpuStarted;
        if (!published.name().equals("warmup")) {
            printBusiestThreads(threadsBefore, threadCpu());
            Thread.sleep(600); // PostgreSQL publishes table statistics with a delay of up to 500 ms
            try (Connection c = DriverManager.getConnection(jdbc);
                 PreparedStatement ps = c.prepareStatement(
                         "select n_tup_upd + n_tup_ins from pg_stat_user_tables where relname = 'meter_reader_offset'")) {
                System.out.printf("meter-reader: %,d stored-offset writes (one per partition per consumer transaction)%n",
                        single(ps));
            }
        }
        return new ReaderRun(new Rate(stored, done - started, stored - firstCount, done - firstAt, cpuUsed), reader);
    }

    /** Waits until every window is written back, then compares Stripe's calls and totals with the windows. */
    private void awaitDelivery(Published published, int callsBefore) throws Exception {
        long started = System.nanoTime();
        long written = 0;
        try (Connection c = DriverManager.getConnection(jdbcUrl(published));
             PreparedStatement ps = c.prepareStatement(
                     "select count(*) from meter_reader_window where status = 'WRITTEN_BACK'")) {
            while (System.nanoTime() - started < Duration.ofMinutes(5).toNanos()) {
                written = single(ps);
                if (written >= published.windows().size()) {
                    break;
                }
                Thread.sleep(200);
            }
        }
        Map<List<String>, Long> expected = new HashMap<>();
        published.windows().forEach((w, units) -> expected.merge(List.of(w.tenantId(), w.meter()), units, Long::sum));
        boolean exact = expected.entrySet().stream().allMatch(e ->
                stripe.meterEventTotal(published.customers().get(e.getKey().get(0)), e.getKey().get(1)) == e.getValue());
        System.out.printf("Stripe meter event calls: %,d for %,d (tenant, meter, window) with units; %,d windows written "
                        + "back %.1f s after the offsets reached the end (%,d usage reports to the ledger in all); "
                        + "Stripe totals exact: %s%n",
                stripe.meterEventCalls() - callsBefore, published.windows().size(), written,
                seconds(System.nanoTime() - started), ledger.firstReports(), exact ? "yes" : "NO");
    }

    // ------------------------------------------------------------------ helpers

    private static long single(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** CPU ticks per thread name of this process (Linux /proc), JIT and GC threads included; empty elsewhere. */
    private static Map<String, Long> threadCpu() {
        Map<String, Long> ticks = new HashMap<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("\\d+", "#");
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum); // utime + stime
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return Map.of();
        }
        return ticks;
    }

    private static void printBusiestThreads(Map<String, Long> before, Map<String, Long> after) {
        StringBuilder line = new StringBuilder("busiest threads while the meter-reader consumed (CPU s):");
        after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
                .forEach(e -> line.append(String.format(" %s %.1f;", e.getKey(), e.getValue() / 100.0)));
        System.out.println(line);
    }

    /** CPU time of this JVM (the broker and the emulator included, PostgreSQL not). */
    private static long cpu() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static double seconds(long nanos) {
        return nanos / 1e9;
    }

    private static void print(String what, Rate r) {
        System.out.printf("%-34s %,12d %10.2f %,14.0f %,18.0f %16.1f%n", what, r.entries(), seconds(r.nanos()),
                r.perSecond(), r.steadyPerSecond(), r.cpuMicrosPerEntry());
    }

    /** Stands in for the ledger's two write-back endpoints: 201 for a new usage report, 200 for a repeat. */
    private static final class LedgerStandIn implements AutoCloseable {
        private final HttpServer server;
        private final Set<String> seen = ConcurrentHashMap.newKeySet();
        private final AtomicInteger first = new AtomicInteger();

        LedgerStandIn() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
            server.createContext("/v1/tenants/", this::handle);
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort();
        }

        int firstReports() {
            return first.get();
        }

        private void handle(HttpExchange ex) throws IOException {
            try (ex) {
                ex.getRequestBody().readAllBytes();
                String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
                int status = 200;
                if (ex.getRequestMethod().equals("POST") && key != null && seen.add(key)) {
                    status = 201;
                    first.incrementAndGet();
                }
                byte[] body = "{\"sequence\":1}".getBytes(StandardCharsets.UTF_8);
                ex.getResponseHeaders().set("Content-Type", "application/json");
                ex.sendResponseHeaders(status, body.length);
                ex.getResponseBody().write(body);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
