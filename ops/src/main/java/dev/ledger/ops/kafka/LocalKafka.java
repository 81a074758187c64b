package dev.ledger.ops.kafka;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
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
     * Creates the topics and returns once every partition has a leader in the cluster's metadata. A producer that
     * sends the moment {@code createTopics} answers can meet NOT_LEADER_OR_FOLLOWER on a fresh partition; its
     * idempotent retries then fail with OUT_OF_ORDER_SEQUENCE_NUMBER for good (seen under load), so fixtures wait.
     */
    public static void createTopics(org.apache.kafka.clients.admin.Admin admin, java.util.Collection<org.apache.kafka.clients.admin.NewTopic> topics)
            throws Exception {
        admin.createTopics(topics).all().get(30, java.util.concurrent.TimeUnit.SECONDS);
        java.util.List<String> names = topics.stream().map(org.apache.kafka.clients.admin.NewTopic::name).toList();
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
        while (true) {
            try {
                boolean led = admin.describeTopics(names).allTopicNames().get(10, java.util.concurrent.TimeUnit.SECONDS).values().stream()
                        .flatMap(d -> d.partitions().stream())
                        .allMatch(p -> p.leader() != null && !p.leader().isEmpty() && !p.isr().isEmpty());
                if (led) {
                    return;
                }
            } catch (java.util.concurrent.ExecutionException notYetKnown) {
                // the metadata of a topic just created may not have reached the broker yet
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + names + " have no leader after 30 s");
            }
            Thread.sleep(50);
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
