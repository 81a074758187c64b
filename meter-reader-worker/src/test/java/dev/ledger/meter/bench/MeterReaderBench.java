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
import dev.ledger.ops.LocalStack;
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
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Throughput of the meter-reader against a bare Kafka consumer loop over the same topic, on the real local
 * PostgreSQL, Kafka broker and Stripe emulator. Not a test (surefire never runs it):
 * {@code MeterReaderBench [entries=1000000] [tenants=8] [partitions=4] [warm-up entries=entries]
 * [rounds=5] [warm-up rounds=2]}.
 *
 * <p>It publishes {@code entries} correctly chained entries (a registration per tenant, then three evaluations to one
 * usage record) spread over 30 minutes of ledger time ending five minutes ago, then measures (a) a bare
 * kafka-clients consumer that polls and touches every value, and (b) the meter-reader consuming, re-verifying and
 * windowing the same entries, from {@code MeterReader.start} until its stored offsets reach the end of the topic.
 * This JVM holds the broker, PostgreSQL's driver side, the Stripe emulator and a stand-in for the ledger's write-back
 * endpoints, and publishes every topic first; the measuring happens in two other JVMs, one for the meter-reader (as a
 * deployed meter-reader runs in its own) and one for the bare loop. Both first run over separate warm-up topics
 * (reporting to Stripe included), so the figures are of compiled code, not of the JIT. Each measured round has a topic of its own; the summary gives the median of the
 * rounds, since two shared cores make single runs move by a third. After each round the meter-reader keeps running
 * until every window is in Stripe and written back; at the end this JVM compares Stripe's calls and totals with
 * what was published.
 */
public final class MeterReaderBench {

    private static final Duration LEDGER_SPAN = Duration.ofMinutes(30);
    /**
     * Passes of the bare loop over each warm-up topic. With one, its JVM was still warming through the first measured
     * rounds (218,000-256,000 entries/s in rounds 1-2 of a 20-round run, 450,000-610,000 from round 6), which made
     * the first rounds' ratios 0.69-0.83 against a median of 0.50: the ratio is only fair once both JVMs are warm.
     */
    private static final int BARE_WARM_PASSES = 4;
    private static final int WINDOW_SECONDS = 60;
    /**
     * Warm-up topics use shorter windows: six times the Stripe calls and write-backs, so the reporting path is compiled
     * before the measured rounds too (with 60 s windows, C2 was still compiling and deoptimizing it through every
     * measured round, 0.7-1.5 s of CPU each).
     */
    private static final int WARM_UP_WINDOW_SECONDS = 10;
    /**
     * Starts and stops of each measuring JVM's consumer over a small topic after the warm-up rounds. Each measured
     * round starts a fresh meter-reader on a fresh database (Flyway, pgjdbc, the Kafka clients, Micrometer), code a
     * deployed meter-reader runs once: with only the warm-up rounds' starts before them, C2 compiled about 300 such
     * methods in every measured round (0.2-1.4 s of compiler CPU in a 3-4 s round, counted against the meter-reader),
     * each crossing its threshold a few starts later than the last. Cycles push that tail out of the measured rounds.
     */
    private static final int START_CYCLES = 40;
    private static final int CYCLE_ENTRIES_PER_TENANT = 40;

    private final String bootstrap;
    private final int pgPort;
    private final String stripeUrl;
    private final String ledgerUrl;
    private final int tenants;
    private final int partitions;
    /** The parent's servers (null in the measuring JVM). */
    private final StripeEmulator stripe;
    private final LedgerStandIn ledger;

    private MeterReaderBench(String bootstrap, int pgPort, String stripeUrl, String ledgerUrl, int tenants, int partitions,
                             StripeEmulator stripe, LedgerStandIn ledger) {
        this.bootstrap = bootstrap;
        this.pgPort = pgPort;
        this.stripeUrl = stripeUrl;
        this.ledgerUrl = ledgerUrl;
        this.tenants = tenants;
        this.partitions = partitions;
        this.stripe = stripe;
        this.ledger = ledger;
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
        int warmUp = args.length > 3 ? Integer.parseInt(args[3].replace("_", "")) : entries;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        int warmRounds = args.length > 5 ? Integer.parseInt(args[5]) : 2;
        int cycles = args.length > 6 ? Integer.parseInt(args[6]) : START_CYCLES;
        if (entries < tenants * 2 || warmUp != 0 && warmUp < tenants * 2 || rounds < 1) {
            throw new IllegalArgumentException("entries and warm-up entries must be at least twice the tenants");
        }
        System.out.printf("meter-reader bench: %d round(s) of %,d entries (after %d warm-up round(s) of %,d and %d start "
                + "cycle(s)), %d tenants, %d partitions, %d s windows, %d cores%n", rounds, entries, warmRounds, warmUp,
                cycles, tenants, partitions, WINDOW_SECONDS, Runtime.getRuntime().availableProcessors());
        try (LocalPostgres postgres = LocalPostgres.start(null, 0);
             LocalKafka kafka = LocalKafka.start(null, 0);
             StripeEmulator stripe = StripeEmulator.start(0);
             LedgerStandIn ledger = new LedgerStandIn()) {
            MeterReaderBench bench = new MeterReaderBench(kafka.bootstrapServers(), postgres.port(), stripe.url(),
                    ledger.url(), tenants, partitions, stripe, ledger);
            List<Published> warm = new ArrayList<>();
            List<Published> measured = new ArrayList<>();
            try (MeasuringJvm bareJvm = bench.startMeasuringJvm("bare"); MeasuringJvm meterJvm = bench.startMeasuringJvm("meter")) {
                // Each topic is published just before it is measured: this machine keeps little in its page cache,
                // and a topic published minutes earlier would be read back from disk.
                for (int w = 1; w <= warmRounds && warmUp > 0; w++) {
                    warm.add(bench.publish("warmup" + w, warmUp, WARM_UP_WINDOW_SECONDS));
                    for (int pass = 0; pass < BARE_WARM_PASSES; pass++) {
                        bareJvm.measure(warm.getLast());
                    }
                    meterJvm.measure(warm.getLast());
                    bench.deleteTopic(warm.getLast());
                }
                if (cycles > 0) {
                    warm.add(bench.publish("cycles", tenants * CYCLE_ENTRIES_PER_TENANT, WINDOW_SECONDS));
                    long started = System.nanoTime();
                    for (int cycle = 1; cycle <= cycles; cycle++) {
                        bareJvm.measure(warm.getLast().cycle(cycle));
                        meterJvm.measure(warm.getLast().cycle(cycle));
                    }
                    bench.deleteTopic(warm.getLast());
                    System.out.printf("%d start cycle(s) of each JVM in %.1f s%n", cycles, seconds(System.nanoTime() - started));
                }
                Rounds results = new Rounds();
                for (int round = 1; round <= rounds; round++) {
                    measured.add(bench.publish("bench" + round, entries, WINDOW_SECONDS));
                    Rate bare = bareJvm.measure(measured.getLast());
                    Rate reader = meterJvm.measure(measured.getLast());
                    bench.deleteTopic(measured.getLast());
                    results.add(bare, reader);
                }
                bareJvm.finish();
                meterJvm.finish();
                results.summary();
            }
            int windows = 0;
            boolean exact = true;
            for (Published p : warm) {
                windows += p.windows().size();
                exact &= bench.stripeTotalsExact(p);
            }
            for (Published p : measured) {
                windows += p.windows().size();
                exact &= bench.stripeTotalsExact(p);
            }
            // every start cycle's fresh reader sends the cycle topic's windows again: Stripe refuses the repeats by
            // their identifier, and the ledger answers them as repeats
            int repeated = cycles > 1 ? (cycles - 1) * warm.getLast().windows().size() : 0;
            System.out.printf("Stripe meter event calls: %,d for %,d (tenant, meter, window) with units over all rounds, "
                    + "%,d of them the start cycles' repeats; %,d usage reports to the ledger; Stripe totals exact for "
                    + "every (tenant, meter): %s%n", stripe.meterEventCalls(), windows, repeated, ledger.firstReports(),
                    exact ? "yes" : "NO");
        }
    }

    /**
     * The meter-reader runs in a JVM of its own with the heap and collector {@code ./ledger up} gives it (others with
     * {@code -Dbench.jvm="-Xmx... -XX:+Use...GC"}), as it does when deployed; the bare loop runs in a second one with
     * the same options. In the broker's JVM both shared its JIT: Kafka's network code, used by broker and clients
     * alike, was recompiled again and again (a second of compiler CPU per round, charged to whichever consumer was
     * running). Sharing one measuring JVM did the same on a smaller scale: the consumer's fetch code, profiled by
     * the bare loop's 500-record polls and then by the meter-reader's 10,000-record ones, was deoptimized and
     * recompiled in nearly every round (up to 1.2 s of compiler CPU in the meter-reader's time). The JVMs talk over
     * the child's stdin (a topic to measure, or END) and stdout (its report, a RATE line, then DONE).
     *
     * @param mode {@code bare} or {@code meter}: what the JVM measures
     */
    private MeasuringJvm startMeasuringJvm(String mode) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String option : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (option.startsWith("--sun-misc") || option.startsWith("--add-opens") || option.startsWith("--enable-native")) {
                command.add(option);
            }
        }
        command.addAll(List.of(System.getProperty("bench.jvm", LocalStack.METER_READER_JVM).split(" ")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                Child.class.getName(), bootstrap, String.valueOf(pgPort), stripeUrl, ledgerUrl, String.valueOf(tenants),
                String.valueOf(partitions), mode));
        return new MeasuringJvm(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    private static final class MeasuringJvm implements AutoCloseable {
        private final Process process;
        private final java.io.BufferedReader out;
        private final java.io.PrintWriter in;

        MeasuringJvm(Process process) {
            this.process = process;
            this.out = process.inputReader(StandardCharsets.UTF_8);
            this.in = new java.io.PrintWriter(process.outputWriter(StandardCharsets.UTF_8), true);
        }

        /** The rate the JVM measured over the topic (its other output is relayed). */
        Rate measure(Published p) throws IOException {
            in.println(p.target());
            return Rate.parse(relayUntil("DONE " + p.name()));
        }

        void finish() throws Exception {
            in.println("END");
            relayUntil(null);
            if (process.waitFor() != 0) {
                throw new IllegalStateException("the measuring JVM failed (exit " + process.exitValue() + ")");
            }
        }

        /** Prints the child's lines until {@code marker} (null: until it ends); answers its last RATE line. */
        private String relayUntil(String marker) throws IOException {
            String line;
            String rate = null;
            while ((line = out.readLine()) != null) {
                if (line.equals(marker)) {
                    return rate;
                }
                if (line.startsWith(Rate.PREFIX)) {
                    rate = line;
                } else {
                    System.out.println(line);
                }
            }
            if (marker != null) {
                throw new IllegalStateException("the measuring JVM ended before " + marker);
            }
            return rate;
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    /** A measuring JVM: bare loops, or meter-readers, over the topics the parent names on stdin. */
    public static final class Child {
        public static void main(String[] args) {
            try {
                MeterReaderBench bench = new MeterReaderBench(args[0], Integer.parseInt(args[1]), args[2], args[3],
                        Integer.parseInt(args[4]), Integer.parseInt(args[5]), null, null);
                boolean bare = args[6].equals("bare");
                java.io.BufferedReader commands = new java.io.BufferedReader(
                        new java.io.InputStreamReader(System.in, StandardCharsets.UTF_8));
                String line;
                while ((line = commands.readLine()) != null && !line.equals("END")) {
                    Target target = Target.parse(line);
                    if (bare) {
                        System.out.println(bench.bareLoop(target).line());
                    } else {
                        ReaderRun run = bench.meterReader(target);
                        System.out.println(run.rate().line());
                        try (MeterReader r = run.reader()) {
                            bench.awaitWrittenBack(target, r); // in the warm-ups, this warms the reporting path too
                        }
                        if (target.cycle()) {
                            bench.dropDatabase(target);
                        }
                    }
                    System.out.println("DONE " + target.name());
                }
            } catch (Throwable t) {
                t.printStackTrace(System.out);
                System.exit(1);
            }
            System.exit(0);
        }
    }

    /** A published topic as the measuring JVM needs it. */
    private record Target(String name, String topic, long total, int windows, int windowSeconds) {
        /** A start cycle: measured and reported to the parent, but not printed. */
        boolean cycle() {
            return name.startsWith("cycle");
        }

        static Target parse(String s) {
            String[] f = s.split(":");
            return new Target(f[0], f[1], Long.parseLong(f[2]), Integer.parseInt(f[3]), Integer.parseInt(f[4]));
        }
    }

    /** The measured rounds, one topic each, and their medians. */
    private static final class Rounds {
        private final List<Rate> bares = new ArrayList<>();
        private final List<Rate> readers = new ArrayList<>();
        private final List<Double> ratios = new ArrayList<>();

        void add(Rate bare, Rate reader) {
            int round = bares.size() + 1;
            System.out.println();
            System.out.println("round " + round + ":");
            header();
            print("bare kafka-clients consumer loop", bare);
            print("meter-reader (verify + window)", reader);
            double ratio = reader.perSecond() / bare.perSecond();
            System.out.printf("ratio meter-reader / bare loop: %.2f (steady %.2f)%n", ratio,
                    reader.steadyPerSecond() / bare.steadyPerSecond());
            bares.add(bare);
            readers.add(reader);
            ratios.add(ratio);
        }

        void summary() {
            if (bares.isEmpty()) {
                return;
            }
            Rate bare = median(bares);
            Rate reader = median(readers);
            double ratio = ratios.stream().sorted().toList().get(ratios.size() / 2);
            System.out.println();
            System.out.printf("median of %d round(s) (each row its own median; ratios per round: %s):%n", ratios.size(),
                    ratios.stream().map(r -> String.format("%.2f", r)).toList());
            header();
            print("bare kafka-clients consumer loop", bare);
            print("meter-reader (verify + window)", reader);
            System.out.printf("median ratio meter-reader / bare loop: %.2f; targets >= 0.60 and >= 100,000 entries/s: %s%n",
                    ratio, ratio >= 0.6 && reader.perSecond() >= 100_000 ? "met" : "NOT met");
        }
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
                             Map<UsageWindow, Long> windows, int windowSeconds) {
        String target() {
            return name + ":" + topic + ":" + total + ":" + windows.size() + ":" + windowSeconds;
        }

        /** This topic as the {@code n}th start cycle: a name (so a database and a group) of its own. */
        Published cycle(int n) {
            return new Published("cycle" + n, topic, total, customers, windows, windowSeconds);
        }
    }

    /** Entries round-robin over the tenants, evenly over {@link #LEDGER_SPAN} of ledger time ending 5 minutes ago. */
    private Published publish(String name, int entries, int windowSeconds) throws Exception {
        String topic = name + ".entries";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            dev.ledger.ops.kafka.LocalKafka.createTopics(admin, List.of(new NewTopic(topic, partitions, (short) 1)));
            awaitLeaders(admin, topic);
        }
        StripeClient stripeClient = StripeClient.builder().setApiKey("sk_test_local").setApiBase(stripeUrl)
                .setMeterEventsBase(stripeUrl).build();
        Map<String, String> customers = new HashMap<>();
        List<TenantChain> chains = new ArrayList<>();
        for (int t = 0; t < tenants; t++) {
            String tenant = name + "-" + t;
            customers.put(tenant, stripeClient.v1().customers().create(CustomerCreateParams.builder().setName(tenant)
                    .build()).getId());
            chains.add(new TenantChain(tenant, true)); // entries as large as the API's: its metadata on each
        }
        Map<String, Object> props = new HashMap<>();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        Instant end = Instant.now().minus(Duration.ofMinutes(5));
        Instant begin = end.minus(LEDGER_SPAN);
        long stepNanos = LEDGER_SPAN.toNanos() / entries;
        Map<UsageWindow, Long> windows = new HashMap<>();
        Duration window = Duration.ofSeconds(windowSeconds);
        long started = System.nanoTime();
        long bytes = 0;
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
                byte[] value = TenantChain.encode(e);
                bytes += value.length;
                producer.send(new ProducerRecord<>(topic, e.tenantId(), value));
            }
            producer.flush();
        }
        long stored = endOffsets(topic);
        if (stored != entries) {
            // a produce that failed after its retries (seen once: a partition without a leader yet) would leave the
            // meter-reader waiting for entries that never come
            throw new IllegalStateException(name + ": the topic holds " + stored + " records, not the " + entries + " published");
        }
        System.out.printf("%s: published %,d entries (%,d bytes each on average) in %.1f s; %,d (tenant, meter, window) "
                + "with units%n", name, entries, bytes / entries, seconds(System.nanoTime() - started), windows.size());
        return new Published(name, topic, entries, customers, windows, windowSeconds);
    }

    /** Waits until every partition of a new topic has a leader: producing before that failed once, out of sequence. */
    private void awaitLeaders(Admin admin, String topic) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) {
            var description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            if (description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topic " + topic + " has partitions without a leader after 30 s");
            }
            Thread.sleep(50);
        }
    }

    /** The records in a topic: the sum of its partitions' end offsets. */
    private long endOffsets(String topic) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(latest).all().get().values().stream().mapToLong(o -> o.offset()).sum();
        }
    }

    // ------------------------------------------------------------------ (a) the bare loop

    private record Rate(long entries, long nanos, long steadyEntries, long steadyNanos, long cpuNanos) {
        static final String PREFIX = "RATE ";

        /** How a measuring JVM reports it to the parent. */
        String line() {
            return PREFIX + entries + " " + nanos + " " + steadyEntries + " " + steadyNanos + " " + cpuNanos;
        }

        static Rate parse(String line) {
            if (line == null) {
                throw new IllegalStateException("the measuring JVM reported no rate");
            }
            String[] f = line.substring(PREFIX.length()).split(" ");
            return new Rate(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]),
                    Long.parseLong(f[4]));
        }

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
    private Rate bareLoop(Target published) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        long[] machineBefore = machineTicks();
        long[] othersBefore = otherCpu();
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
        if (!published.cycle()) {
            printMachineBusy("bare loop", machineBefore, machineTicks());
            printOtherCpu("bare loop", othersBefore);
        }
        if (touched == 42) {
            System.out.print(""); // keeps the touched bytes alive for the JIT
        }
        return new Rate(count, done - started, count - firstCount, done - firstAt, cpu() - cpuStarted);
    }

    // ------------------------------------------------------------------ (b) the meter-reader

    private record ReaderRun(Rate rate, MeterReader reader) {
    }

    private String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + pgPort + "/" + database + "?user=postgres";
    }

    /** Starts a meter-reader on its own database and waits until its stored offsets reach the end of the topic. */
    private ReaderRun meterReader(Target published) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres")); Statement s = c.createStatement()) {
            s.execute("create database meter_" + published.name());
        }
        String jdbc = jdbcUrl("meter_" + published.name());
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", jdbc);
        env.put("KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        env.put("STRIPE_API_BASE", stripeUrl);
        env.put("LEDGER_API_URL", ledgerUrl);
        env.put("LEDGER_SERVICE_KEY", "svc-bench");
        env.put("METER_READER_PORT", "0");
        env.put("METER_READER_TOPIC", published.topic());
        env.put("METER_READER_GROUP", "meter-reader-" + published.name());
        env.put("METER_WINDOW_SECONDS", String.valueOf(published.windowSeconds()));
        env.put("METER_IDLE_CLOSE_SECONDS", "1");
        if (System.getProperty("consumers") != null) {
            env.put("METER_READER_CONSUMERS", System.getProperty("consumers"));
        }
        if (System.getProperty("meterEvents") != null) {
            env.put("METER_EVENTS_MODE", System.getProperty("meterEvents"));
        }
        if (System.getProperty("maxPollRecords") != null) {
            env.put("METER_READER_MAX_POLL_RECORDS", System.getProperty("maxPollRecords"));
        }
        MeterReaderConfig config = MeterReaderConfig.fromEnv(env);
        Map<String, Long> threadsBefore = threadCpu();
        long[] machineBefore = machineTicks();
        long[] othersBefore = otherCpu();
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
        if (!published.cycle()) {
            printBusiestThreads(threadsBefore, threadCpu());
            printMachineBusy("meter-reader", machineBefore, machineTicks());
            printOtherCpu("meter-reader", othersBefore);
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

    /** Waits until every window of the topic is delivered to Stripe and written back. */
    private void awaitWrittenBack(Target published, MeterReader reader) throws Exception {
        long started = System.nanoTime();
        long written = 0;
        try (Connection c = DriverManager.getConnection(jdbcUrl("meter_" + published.name()));
             PreparedStatement ps = c.prepareStatement(
                     "select count(*) from meter_reader_window where status = 'WRITTEN_BACK'")) {
            while (System.nanoTime() - started < Duration.ofMinutes(5).toNanos()) {
                written = single(ps);
                if (written >= published.windows()) {
                    break;
                }
                Thread.sleep(200);
            }
            if (written < published.windows()) {
                printUndelivered(c);
                printConsumers(published, reader);
            }
        }
        if (!published.cycle() || written < published.windows()) {
            System.out.printf("%s: %,d of %,d (tenant, meter, window) delivered to Stripe and written back %.1f s after the "
                    + "offsets reached the end%n", published.name(), written, published.windows(),
                    seconds(System.nanoTime() - started));
        }
    }

    private void dropDatabase(Target published) throws SQLException {
        try (Connection c = DriverManager.getConnection(jdbcUrl("postgres")); Statement s = c.createStatement()) {
            s.execute("drop database meter_" + published.name() + " with (force)");
        }
    }

    /** The reader's consumers as their last housekeeping saw them, the topic's end offsets and the consumer threads. */
    private void printConsumers(Target published, MeterReader reader) throws Exception {
        reader.describeConsumers().forEach(d -> System.out.println("  consumer " + d));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            Map<TopicPartition, OffsetSpec> ends = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                ends.put(new TopicPartition(published.topic(), p), OffsetSpec.latest());
            }
            admin.listOffsets(ends, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get()
                    .forEach((tp, o) -> System.out.printf("  end offset of partition %d: %d%n", tp.partition(), o.offset()));
        }
        Thread.getAllStackTraces().forEach((t, stack) -> {
            if (t.getName().startsWith("meter-reader")) {
                System.out.println("  thread " + t.getName() + " " + t.getState());
                for (int i = 0; i < Math.min(stack.length, 12); i++) {
                    System.out.println("    at " + stack[i]);
                }
            }
        });
    }

    /** What a round that did not deliver every window left behind: those windows and their tenants' rows. */
    private static void printUndelivered(Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select w.tenant_id, w.meter, w.window_start, w.window_end, w.quantity, w.status, "
                     + "w.attempts, w.last_error, w.parked_from, w.next_attempt_at, t.broken_sequence, t.broken_reason, "
                     + "t.closed_through, t.stripe_customer_id, t.customer_wanted, t.last_sequence, t.kafka_partition "
                     + "from meter_reader_window w left join meter_reader_tenant t using (tenant_id) "
                     + "where w.status <> 'WRITTEN_BACK' order by 1, 2, 3")) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder line = new StringBuilder("  not written back:");
                for (int i = 1; i <= columns; i++) {
                    line.append(' ').append(rs.getMetaData().getColumnName(i)).append('=').append(rs.getString(i));
                }
                System.out.println(line);
            }
        }
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select tenant_id, last_sequence, closed_through, broken_sequence, broken_reason, "
                     + "(select count(*) from meter_reader_held_entry h where h.tenant_id = t.tenant_id) as held "
                     + "from meter_reader_tenant t order by 1")) {
            while (rs.next()) {
                System.out.printf("  tenant %s: last_sequence %s, closed_through %s, broken %s %s, held %s%n", rs.getString(1),
                        rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6));
            }
        }
    }

    /** Stripe's totals per (tenant, meter) against the units published. */
    /**
     * Deletes a measured round's topic (Stripe keeps what it billed, for the totals at the end): each round writes
     * about 1.1 GB, and 20 rounds kept 22 GB on the broker's disk. (The ratios of a long run's first rounds are higher
     * for another reason: the bare loop's JVM is still warming up, 218,000-256,000 entries/s in rounds 1-2 against
     * 450,000-610,000 from round 6 on, while the reader's changes less.)
     */
    private void deleteTopic(Published published) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.deleteTopics(List.of(published.topic())).all().get();
        }
    }

    private boolean stripeTotalsExact(Published published) {
        Map<List<String>, Long> expected = new HashMap<>();
        published.windows().forEach((w, units) -> expected.merge(List.of(w.tenantId(), w.meter()), units, Long::sum));
        return expected.entrySet().stream().allMatch(e ->
                stripe.meterEventTotal(published.customers().get(e.getKey().get(0)), e.getKey().get(1)) == e.getValue());
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

    /** CPU ticks so far of the parent JVM (the broker, the Stripe emulator, the ledger's stand-in) and of PostgreSQL. */
    private static long[] otherCpu() {
        long postgres = 0;
        try (var processes = Files.list(Path.of("/proc"))) {
            for (Path proc : processes.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit)).toList()) {
                try {
                    String stat = Files.readString(proc.resolve("stat"));
                    if (stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).equals("postgres")) {
                        postgres += ticks(proc.resolve("stat"));
                    }
                } catch (IOException | RuntimeException e) {
                    // the process ended meanwhile
                }
            }
        } catch (IOException e) {
            return new long[] {0, 0};
        }
        long parent = ProcessHandle.current().parent().map(ph -> ticks(Path.of("/proc", String.valueOf(ph.pid()), "stat")))
                .orElse(0L);
        return new long[] {parent, postgres};
    }

    /** utime + stime of one /proc stat file (0 when it cannot be read). */
    private static long ticks(Path stat) {
        try {
            String s = Files.readString(stat);
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * What the parent JVM and PostgreSQL took while this measuring JVM consumed (measured before its reader closes:
     * a backend's ticks leave the sum when it ends); answers the ticks now.
     */
    private static long[] printOtherCpu(String what, long[] before) {
        long[] now = otherCpu();
        System.out.printf("other CPU while the %s consumed: broker, Stripe emulator and stand-in %.1f s, PostgreSQL %.1f s%n",
                what, (now[0] - before[0]) / 100.0, (now[1] - before[1]) / 100.0);
        return now;
    }

    /** The machine's busy and total CPU ticks so far (Linux /proc/stat; zeros elsewhere). */
    private static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long total = 0;
            for (int i = 1; i < f.length; i++) {
                total += Long.parseLong(f[i]);
            }
            long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]); // idle and iowait
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }

    /**
     * How busy the whole machine was (every process: broker, PostgreSQL, both JVMs): below its cores, the consumer
     * waited on something other than CPU.
     */
    private static void printMachineBusy(String what, long[] before, long[] after) {
        long total = after[1] - before[1];
        if (total > 0) {
            System.out.printf("machine CPU while the %s consumed: %.2f of %d cores busy%n", what,
                    (double) (after[0] - before[0]) / total * Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().availableProcessors());
        }
    }

    /** CPU time of this JVM (the measuring one: neither the broker, the emulator nor PostgreSQL). */
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
