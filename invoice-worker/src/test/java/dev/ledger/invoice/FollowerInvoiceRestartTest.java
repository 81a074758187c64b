package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.chain.Sha256;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
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
        try (InvoiceWorld world = InvoiceWorld.start(2)) {
            List<StoredEntry> a = new ArrayList<>(WorkerForkTest.chain("tenant-a", 6)); // usage 2+3+4+5+6 = 20 tokens
            a.add(unknownType(a.get(5)));                                                    // sequence 7: a newer type
            List<StoredEntry> b = WorkerForkTest.chain("tenant-b", 4);                       // 2+3+4 = 9 tokens
            Map<String, String> env = world.env();

            world.send(a.subList(0, 4));
            world.send(b.subList(0, 2));
            try (InvoiceWorker worker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(env))) {
                await(() -> worker.verifiedEntries() >= 6);
                assertThat(worker.verifiedEntries()).isEqualTo(6);
            }
            assertThat(usage(world, "tenant-a")).isEqualTo(2 + 3 + 4);
            assertThat(usage(world, "tenant-b")).isEqualTo(2);

            world.send(a.subList(2, 7)); // 3 and 4 again (a redelivery), then 5, 6 and the unknown type
            world.send(b.subList(1, 4)); // 2 again, then 3 and 4
            try (InvoiceWorker again = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(env))) {
                await(() -> again.verifiedEntries() >= 5);
                world.awaitCaughtUp(); // every record applied: nothing else can be verified
                assertThat(again.verifiedEntries()).as("only what came after the stored position").isEqualTo(5);
                assertThat(again.brokenChains()).isZero();
                assertThat(again.forkedTenants()).isZero();
            }
            assertThat(usage(world, "tenant-a")).isEqualTo(20);
            assertThat(usage(world, "tenant-b")).isEqualTo(9);
            assertThat(world.query("select last_sequence from invoice_worker_chain where tenant_id = 'tenant-a'"))
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

    private static long usage(InvoiceWorld world, String tenant) throws Exception {
        return world.query("select coalesce(sum(quantity), 0) from invoice_worker_usage where tenant_id = '" + tenant
                + "' and meter = 'tokens'");
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.call() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000_000L);
        }
    }
}
