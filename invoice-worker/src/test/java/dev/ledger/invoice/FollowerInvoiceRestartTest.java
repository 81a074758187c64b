package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.ops.kafka.LocalKafka;
import dev.ledger.ops.postgres.LocalPostgres;
import dev.ledger.core.chain.Sha256;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 (one chain follower): the invoice-worker keeps its offsets, chain positions and usage in its own database,
 * in one transaction per poll. Restarted, it resumes after its stored position: nothing is verified or billed twice,
 * and entries redelivered to the topic are skipped as duplicates. It bills from the entries' metadata alone: an
 * entry of a type it does not know is verified and bills nothing. Before, it kept its state in memory and re-read its
 * partitions from the beginning on every start.
 */
class FollowerInvoiceRestartTest {

    @Test
    void givenARestart_thenTheWorkerResumesAfterItsStoredPositionWithNoDuplicateEffects() throws Exception {
        try (LocalPostgres postgres = LocalPostgres.start(null, 0);
             LocalKafka kafka = LocalKafka.start(null, 0);
             Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     kafka.bootstrapServers(), "acks", "all", "enable.idempotence", "true"), new StringSerializer(),
                     new ByteArraySerializer())) {
            dev.ledger.ops.kafka.LocalKafka.createTopics(admin, List.of(new NewTopic("ledger.entries", 2, (short) 1)));
            List<StoredEntry> a = new ArrayList<>(WorkerForkTest.chain("tenant-a", 6)); // usage 2+3+4+5+6 = 20 tokens
            a.add(unknownType(a.get(5)));                                                    // sequence 7: a newer type
            List<StoredEntry> b = WorkerForkTest.chain("tenant-b", 4);                       // 2+3+4 = 9 tokens
            Map<String, String> env = Map.of("DATABASE_URL", postgres.jdbcUrl(),
                    "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(), "INVOICE_WORKER_PORT", "0");

            send(producer, a.subList(0, 4));
            send(producer, b.subList(0, 2));
            try (InvoiceWorker worker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(env))) {
                await(() -> worker.verifiedEntries() >= 6);
                assertThat(worker.verifiedEntries()).isEqualTo(6);
            }
            assertThat(usage(postgres, "tenant-a")).isEqualTo(2 + 3 + 4);
            assertThat(usage(postgres, "tenant-b")).isEqualTo(2);

            send(producer, a.subList(2, 7)); // 3 and 4 again (a redelivery), then 5, 6 and the unknown type
            send(producer, b.subList(1, 4)); // 2 again, then 3 and 4
            try (InvoiceWorker again = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(env))) {
                await(() -> again.verifiedEntries() >= 5);
                Thread.sleep(500); // a few more polls: nothing else is verified
                assertThat(again.verifiedEntries()).as("only what came after the stored position").isEqualTo(5);
                assertThat(again.brokenChains()).isZero();
                assertThat(again.forkedTenants()).isZero();
            }
            assertThat(usage(postgres, "tenant-a")).isEqualTo(20);
            assertThat(usage(postgres, "tenant-b")).isEqualTo(9);
            assertThat(query(postgres, "select last_sequence from invoice_worker_chain where tenant_id = 'tenant-a'"))
                    .isEqualTo(7);
        }
    }

    /** The next entry after {@code last}, of a type this code base does not know, with billable-looking payload. */
    private static StoredEntry unknownType(StoredEntry last) {
        byte[] payload = "{\"quantity\":500}".getBytes(StandardCharsets.UTF_8);
        byte[] metadata = "{}".getBytes(StandardCharsets.UTF_8);
        String eventId = UUID.randomUUID().toString();
        long seq = last.sequence() + 1;
        byte[] hash = EntryFraming.hash(last.tenantId(), seq, eventId, "ShipmentDispatched", "1", last.recordedAt(),
                Sha256.of(payload), Sha256.of(metadata), last.hash());
        return StoredEntry.of(last.tenantId(), seq, eventId, "ShipmentDispatched", "1", last.recordedAt(), payload,
                metadata, last.hash(), hash);
    }

    private static void send(KafkaProducer<String, byte[]> producer, List<StoredEntry> entries) {
        for (StoredEntry e : entries) {
            producer.send(new ProducerRecord<>("ledger.entries", e.tenantId(), EntryCodec.encode(e)));
        }
        producer.flush();
    }

    private static long usage(LocalPostgres postgres, String tenant) throws Exception {
        return query(postgres, "select coalesce(sum(quantity), 0) from invoice_worker_usage where tenant_id = '" + tenant
                + "' and meter = 'tokens'");
    }

    private static long query(LocalPostgres postgres, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.call() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000_000L);
        }
    }
}
