package dev.ledger.ops.kafka;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/** A real single-node KRaft Kafka broker (controller and broker in one process) from the org.apache.kafka jars. */
public final class LocalKafka implements AutoCloseable {

    private static final int NODE_ID = 1;
    private final KafkaRaftServer server;
    private final int port;
    private final Path throwAway;

    private LocalKafka(KafkaRaftServer server, int port, Path throwAway) {
        this.server = server;
        this.port = port;
        this.throwAway = throwAway;
    }

    /**
     * @param dataDir kept across starts when given (for {@code ./ledger up}); null for a throw-away directory
     * @param port    client port, 0 for any free one
     */
    public static LocalKafka start(Path dataDir, int port) throws Exception {
        Path dir = dataDir != null ? dataDir : Files.createTempDirectory("ledger-kafka");
        Files.createDirectories(dir);
        int clientPort = port > 0 ? port : freePort();
        int controllerPort = freePort();
        Path logDir = dir.resolve("logs");
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + clientPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + clientPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("log.dirs", logDir.toString());
        p.put("num.partitions", "4");
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "true");
        p.put("log.flush.interval.messages", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        KafkaConfig config = KafkaConfig.fromProps(p, false);

        if (!Files.exists(logDir.resolve("meta.properties"))) {
            new Formatter()
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .addDirectory(logDir.toString())
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
                    .setControllerListenerName("CONTROLLER")
                    .setMetadataLogDirectory(logDir.toString())
                    .setIgnoreFormatted(true)
                    .setPrintStream(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()))
                    .run();
        }
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        server.startup();
        return new LocalKafka(server, clientPort, dataDir == null ? dir : null);
    }

    /**
     * Creates the topics and returns once every partition's leader serves it. A producer that sends the moment
     * {@code createTopics} answers can meet NOT_LEADER_OR_FOLLOWER on a fresh partition; its idempotent retries then
     * fail with OUT_OF_ORDER_SEQUENCE_NUMBER for good (seen under load), so fixtures wait. A leader in the metadata is
     * not enough: the broker publishes its metadata cache before its replica manager takes the partition on, so this
     * also waits until the leader answers a latest-offset lookup for every partition, which only a leading replica
     * does.
     */
    public static void createTopics(Admin admin, Collection<NewTopic> topics) throws Exception {
        admin.createTopics(topics).all().get(30, TimeUnit.SECONDS);
        List<String> names = topics.stream().map(NewTopic::name).toList();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!served(admin, names)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + names + " are not served by a leader after 30 s");
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    private static boolean served(Admin admin, List<String> names) throws InterruptedException, TimeoutException {
        try {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (TopicDescription d : admin.describeTopics(names).allTopicNames().get(10, TimeUnit.SECONDS).values()) {
                for (TopicPartitionInfo p : d.partitions()) {
                    if (p.leader() == null || p.leader().isEmpty() || p.isr().isEmpty()) {
                        return false;
                    }
                    latest.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest());
                }
            }
            admin.listOffsets(latest).all().get(10, TimeUnit.SECONDS);
            return true;
        } catch (ExecutionException notYet) {
            // a topic just created may be unknown to the broker yet, or its leader not yet serving it
            return false;
        }
    }

    /**
     * Sends the records and returns once the broker has acknowledged every one. {@link Producer#flush()} alone
     * returns when the sends are done, failed ones included, and a fixture that goes on after a failed send waits
     * for records that will never come; this fails at once instead, naming the first failure.
     */
    public static <K, V> void sendAll(Producer<K, V> producer, Collection<ProducerRecord<K, V>> records)
            throws InterruptedException {
        List<Future<RecordMetadata>> sent = new ArrayList<>(records.size());
        for (ProducerRecord<K, V> r : records) {
            sent.add(producer.send(r));
        }
        producer.flush();
        int failed = 0;
        Throwable first = null;
        for (Future<RecordMetadata> f : sent) {
            try {
                f.get();
            } catch (ExecutionException e) {
                failed++;
                first = first == null ? e.getCause() : first;
            }
        }
        if (first != null) {
            throw new IllegalStateException(failed + " of " + sent.size() + " records were not written", first);
        }
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        server.shutdown();
        server.awaitShutdown();
        if (throwAway != null) {
            deleteRecursively(throwAway);
        }
    }

    /** Best effort: a throw-away broker's logs are about 1 GB of preallocated segments, never worth keeping. */
    static void deleteRecursively(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | java.io.UncheckedIOException ignored) {
            // a leftover temporary directory is not worth failing a shutdown for
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
