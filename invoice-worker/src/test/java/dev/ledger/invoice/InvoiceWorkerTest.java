package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.usage.UsageRecorded;
import dev.ledger.core.chain.Sha256;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class InvoiceWorkerTest {


    @Test
    void givenChainedEntriesOnTheTopic_thenItVerifiesEachOnceFlagsTheTamperedTenantAndReportsHealthy() throws Exception {
        try (InvoiceWorld world = InvoiceWorld.start(4)) {
            List<StoredEntry> good = chain("tenant-a", 10);
            List<StoredEntry> tampered = chain("tenant-b", 5);
            StoredEntry third = tampered.get(2);
            tampered.set(2, StoredEntry.of(third.tenantId(), third.sequence(), third.eventId(), third.type(),
                    third.revision(), third.recordedAt(), payload(new UsageRecorded("tenant-b", "u", "tokens", 999,
                            third.recordedAt())), third.metadata(), third.prevHash(), third.hash()));
            List<StoredEntry> delivery = new ArrayList<>(good);
            delivery.addAll(good.subList(3, 7)); // redelivered
            delivery.addAll(tampered);
            world.send(delivery);

            try (InvoiceWorker worker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(world.env()))) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while ((worker.verifiedEntries() < 12 || worker.brokenChains() < 1) && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(100_000_000L);
                }
                assertThat(worker.verifiedEntries()).isEqualTo(10 + 2); // tenant-b verifies up to its tampered entry
                assertThat(worker.brokenChains()).isEqualTo(1);
                assertThat(worker.isHealthy()).isTrue();

                HttpClient http = HttpClient.newHttpClient();
                assertThat(status(http, worker, "/health")).isEqualTo(200);
                assertThat(status(http, worker, "/ready")).isEqualTo(200);
                String metrics = http.send(get(worker, "/metrics"), HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("invoice_worker_broken_chains 1.0", "invoice_worker_verified_entries 12.0",
                        "invoice_worker_entries_total{outcome=\"duplicate\"} 4.0");
            }
        }
    }

    private static List<StoredEntry> chain(String tenant, int length) {
        List<StoredEntry> entries = new ArrayList<>();
        byte[] prev = EntryFraming.genesis();
        Instant at = Instant.parse("2026-11-22T02:10:00.123Z");
        for (long seq = 1; seq <= length; seq++) {
            LedgerEvent event = seq == 1 ? new TenantRegistered(tenant, tenant, null, "test")
                    : new UsageRecorded(tenant, "u-" + seq, "tokens", seq, at.toString());
            byte[] payload = payload(event);
            String eventId = UUID.randomUUID().toString();
            String recordedAt = at.plusSeconds(seq).toString();
            String type = dev.ledger.core.entry.EntryTypes.nameOf(event.getClass());
            byte[] metadata = WorkerForkTest.metadata(event);
            byte[] hash = EntryFraming.hash(tenant, seq, eventId, type, "1", recordedAt, Sha256.of(payload),
                    Sha256.of(metadata), prev);
            entries.add(StoredEntry.of(tenant, seq, eventId, type, "1", recordedAt, payload, metadata, prev, hash));
            prev = hash;
        }
        return entries;
    }

    private static byte[] payload(LedgerEvent event) {
        try {
            return LedgerJson.mapper().writeValueAsBytes(event);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static int status(HttpClient http, InvoiceWorker worker, String path) throws Exception {
        return http.send(get(worker, path), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static HttpRequest get(InvoiceWorker worker, String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.port() + path)).build();
    }
}
