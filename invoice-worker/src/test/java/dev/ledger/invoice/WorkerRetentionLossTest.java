package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.StoredEntry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 11, the invoice-worker's side: when the topic's retention deleted a tenant's first entries before the
 * worker read them, the worker says so (alert log, metric) and verifies the rest of the chain, rather than holding
 * the tenant's entries for ever behind entries no broker holds any more.
 */
class WorkerRetentionLossTest {

    @Test
    void givenTheTopicsBeginningDeletedByRetention_thenTheLossIsReportedAndTheRestOfTheChainVerified() throws Exception {
        try (InvoiceWorld world = InvoiceWorld.start(1)) {
            List<StoredEntry> delivery = new ArrayList<>(WorkerForkTest.chain("tenant-old", 6));
            delivery.addAll(WorkerForkTest.chain("tenant-new", 3));
            world.send(delivery);
            // what retention does to a topic's oldest segment: tenant-old's entries 1-3 are gone
            world.admin.deleteRecords(Map.of(new TopicPartition(InvoiceWorld.TOPIC, 0), RecordsToDelete.beforeOffset(3)))
                    .all().get();

            try (InvoiceWorker worker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(world.env()))) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (worker.verifiedEntries() < 6 && System.nanoTime() < deadline) {
                    java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
                }
                assertThat(worker.verifiedEntries()).as("tenant-old 4-6 and tenant-new 1-3").isEqualTo(6);
                assertThat(worker.brokenChains()).isZero();
                // the gauges follow at the worker's next housekeeping pass (every 250 ms, later when the machine is busy)
                List<String> expected = List.of("invoice_worker_records_lost_to_retention_total 1.0",
                        "invoice_worker_tenants_lost_to_retention 1.0", "invoice_worker_broken_chains 0.0");
                String metrics = "";
                while (System.nanoTime() < deadline) {
                    metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                            + worker.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                    String seen = metrics;
                    if (expected.stream().allMatch(seen::contains)) {
                        break;
                    }
                    java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
                }
                assertThat(metrics).contains("invoice_worker_records_lost_to_retention_total 1.0",
                        "invoice_worker_tenants_lost_to_retention 1.0", "invoice_worker_broken_chains 0.0");
            }
        }
    }
}
