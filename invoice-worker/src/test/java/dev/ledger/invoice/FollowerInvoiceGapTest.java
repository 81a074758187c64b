package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.StoredEntry;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 (one chain follower): the invoice-worker holds an entry ahead of a missing one for a bounded time only,
 * measured on its clock. Before, it held such entries in memory for ever and the tenant never showed as broken.
 */
class FollowerInvoiceGapTest {

    @Test
    void givenAMissingSequence_whenTheClockPassesTheGapWait_thenOnlyThatTenantsChainBreaksAsASequenceGap()
            throws Exception {
        try (InvoiceWorld world = InvoiceWorld.start(2)) {
            List<StoredEntry> delivery = new ArrayList<>(WorkerForkTest.chain("tenant-a", 5));
            delivery.remove(2); // sequence 3 never arrives
            delivery.addAll(WorkerForkTest.chain("tenant-b", 4));
            world.send(delivery);

            FollowerMovableClock clock = new FollowerMovableClock(Instant.parse("2026-12-01T00:00:00Z"));
            try (InvoiceWorker worker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(
                    world.env("INVOICE_WORKER_GAP_WAIT_SECONDS", "60")), InetAddress.getLoopbackAddress(), clock)) {
                await(() -> worker.verifiedEntries() >= 6 && held(worker) >= 2);
                assertThat(worker.verifiedEntries()).isEqualTo(6); // a: 1, 2; b: 1..4
                assertThat(worker.brokenChains()).isZero();

                clock.advance(Duration.ofSeconds(59));
                long passes = worker.gapPasses();
                await(() -> worker.gapPasses() >= passes + 2); // a whole pass on a clock short of the gap wait
                assertThat(worker.brokenChains()).isZero();

                clock.advance(Duration.ofSeconds(2));
                await(() -> worker.brokenChains() >= 1);
                assertThat(worker.brokenChains()).isEqualTo(1);
                assertThat(metrics(worker)).contains("invoice_worker_chain_breaks_total{reason=\"sequence_gap\"} 1.0");
                assertThat(worker.verifiedEntries()).isEqualTo(6);
            }
        }
    }

    private static long held(InvoiceWorker worker) throws Exception {
        String line = metrics(worker).lines().filter(l -> l.startsWith("invoice_worker_entries_total{outcome=\"held\"}"))
                .findFirst().orElse("x 0");
        return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
    }

    private static String metrics(InvoiceWorker worker) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.port()
                + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void await(java.util.concurrent.Callable<Boolean> condition) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.call() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000_000L);
        }
    }
}
