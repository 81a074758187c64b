package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.ops.kafka.LocalKafka;
import dev.ledger.ops.postgres.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The invoice-worker sums a poll's billable units before it writes them: one usage row write per (tenant, meter,
 * period) per poll, not one statement per entry. Before, 310 usage entries cost 310 upserts against the ledger's
 * database; the sums are the same either way.
 */
class FollowerInvoiceUsageWritesTest {

    @Test
    void givenManyUsageEntriesInAFewPolls_thenEachPollWritesEachTenantsUsageRowOnce() throws Exception {
        try (LocalPostgres postgres = LocalPostgres.start(null, 0);
             LocalKafka kafka = LocalKafka.start(null, 0);
             Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
             KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     kafka.bootstrapServers(), "acks", "all", "enable.idempotence", "true"), new StringSerializer(),
                     new ByteArraySerializer())) {
            LocalKafka.createTopics(admin, List.of(new NewTopic("ledger.entries", 1, (short) 1)));
            List<StoredEntry> entries = new ArrayList<>(WorkerForkTest.chain("tenant-a", 301)); // 2+...+301 tokens
            entries.addAll(WorkerForkTest.chain("tenant-b", 11));                               // 2+...+11 tokens
            try (InvoiceWorker worker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(Map.of(
                    "DATABASE_URL", postgres.jdbcUrl(), "KAFKA_BOOTSTRAP_SERVERS", kafka.bootstrapServers(),
                    "INVOICE_WORKER_PORT", "0")))) {
                countWrites(postgres); // the worker's tables exist once it started
                for (StoredEntry e : entries) {
                    producer.send(new ProducerRecord<>("ledger.entries", e.tenantId(), EntryCodec.encode(e)));
                }
                producer.flush();
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (worker.verifiedEntries() < entries.size() && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(50_000_000L);
                }
                assertThat(worker.verifiedEntries()).isEqualTo(entries.size());
            }
            assertThat(query(postgres, "select quantity from invoice_worker_usage where tenant_id = 'tenant-a'"))
                    .isEqualTo((2 + 301) * 300 / 2);
            assertThat(query(postgres, "select quantity from invoice_worker_usage where tenant_id = 'tenant-b'"))
                    .isEqualTo((2 + 11) * 10 / 2);
            long usageWrites = query(postgres, "select count(*) from write_count where tbl = 'invoice_worker_usage'");
            long polls = query(postgres, "select count(*) from write_count where tbl = 'invoice_worker_offset'");
            assertThat(polls).as("the partition's stored offset, written once per poll").isPositive();
            assertThat(usageWrites).as("usage row writes, at most one per tenant per poll (%d polls)", polls)
                    .isLessThanOrEqualTo(2 * polls);
        }
    }

    /** Counts the rows written to the worker's usage and offset tables, from here on. */
    private static void countWrites(LocalPostgres postgres) throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("create table write_count (tbl text not null)");
            s.execute("create function count_write() returns trigger language plpgsql security definer as "
                    + "$$ begin insert into write_count values (tg_table_name); return null; end $$");
            for (String table : List.of("invoice_worker_usage", "invoice_worker_offset")) {
                s.execute("create trigger " + table + "_writes after insert or update on " + table
                        + " for each row execute function count_write()");
            }
        }
    }

    private static long query(LocalPostgres postgres, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
