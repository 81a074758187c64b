package dev.ledger.invoice;

import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.ops.kafka.LocalKafka;
import dev.ledger.ops.postgres.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * What an invoice-worker test runs against: a real PostgreSQL and Kafka broker of its own, the topic
 * {@code ledger.entries}, and a producer that publishes entries as the ledger's publisher does (idempotent,
 * acknowledged by all, keyed by tenant).
 */
final class InvoiceWorld implements AutoCloseable {

    static final String TOPIC = "ledger.entries";

    final LocalPostgres postgres;
    final LocalKafka kafka;
    final Admin admin;
    final KafkaProducer<String, byte[]> producer;
    private int partitions;

    private InvoiceWorld(LocalPostgres postgres, LocalKafka kafka) {
        this.postgres = postgres;
        this.kafka = kafka;
        this.admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
        this.producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(), "acks", "all",
                "enable.idempotence", "true"), new StringSerializer(), new ByteArraySerializer());
    }

    /** The servers, and the topic with this many partitions. */
    static InvoiceWorld start(int partitions) throws Exception {
        LocalPostgres postgres = LocalPostgres.start(null, 0);
        InvoiceWorld world;
        try {
            world = new InvoiceWorld(postgres, LocalKafka.start(null, 0));
        } catch (Exception | Error e) {
            postgres.close();
            throw e;
        }
        try {
            LocalKafka.createTopics(world.admin, List.of(new NewTopic(TOPIC, partitions, (short) 1)));
            world.partitions = partitions;
        } catch (Exception | Error e) {
            world.close();
            throw e;
        }
        return world;
    }

    /** A worker's environment here: this database and broker, an ephemeral probe port, and {@code extra}. */
    Map<String, String> env(String... extra) {
        Map<String, String> env = new HashMap<>(Map.of("DATABASE_URL", postgres.jdbcUrl(),
                "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(), "INVOICE_WORKER_PORT", "0"));
        for (int i = 0; i + 1 < extra.length; i += 2) {
            env.put(extra[i], extra[i + 1]);
        }
        return env;
    }

    /** Publishes the entries and waits until the broker has them all. */
    void send(List<StoredEntry> entries) throws InterruptedException {
        LocalKafka.sendAll(producer, entries.stream()
                .map(e -> new ProducerRecord<>(TOPIC, e.tenantId(), EntryCodec.encode(e))).toList());
    }

    /**
     * Waits until the worker's stored offsets reach the end of the topic: every record sent has been applied (or
     * skipped) and committed, so none is left to change what the worker has verified.
     */
    void awaitCaughtUp() throws Exception {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        for (int p = 0; p < partitions; p++) {
            latest.put(new TopicPartition(TOPIC, p), OffsetSpec.latest());
        }
        long end = 0;
        for (var r : admin.listOffsets(latest).all().get().values()) {
            end += r.offset();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String stored = "select coalesce(sum(next_offset), 0) from invoice_worker_offset where topic = '" + TOPIC + "'";
        while (query(stored) < end) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the worker's stored offsets did not reach the topic's end, " + end);
            }
            LockSupport.parkNanos(50_000_000L);
        }
    }

    /** Runs one statement (an update behind the worker's back, say). */
    void execute(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    /** The first column of the first row. */
    long query(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Override
    public void close() throws Exception {
        producer.close();
        admin.close();
        kafka.close();
        postgres.close();
    }
}
