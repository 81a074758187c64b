package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.usage.UsageRecorded;
import dev.ledger.core.chain.Sha256;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 items 10 and 18 for the invoice-worker: a second record of a known (tenant, sequence) with another hash
 * is a fork (alert, tenant stopped, others go on), no longer dropped as a duplicate; its probe port is on loopback.
 */
class WorkerForkTest {

    private static final byte[] METADATA = "{}".getBytes(StandardCharsets.UTF_8);

    @Test
    void givenAForgedRecordForAKnownSequence_thenTheInvoiceWorkerRaisesAForkAlertAndStopsOnlyThatTenant()
            throws Exception {
        try (InvoiceWorld world = InvoiceWorld.start(2)) {
            List<StoredEntry> a = chain("tenant-a", 5);
            List<StoredEntry> b = chain("tenant-b", 4);
            StoredEntry forged = entry("tenant-a", 3, new UsageRecorded("tenant-a", "forged", "tokens", 9_000,
                    a.get(2).recordedAt()), a.get(2).recordedAt(), a.get(1).hash());
            List<StoredEntry> delivery = new ArrayList<>(a);
            delivery.add(a.get(3)); // an honest redelivery: a duplicate, not a fork
            delivery.add(forged);
            delivery.addAll(b);
            world.send(delivery);

            try (InvoiceWorker worker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(world.env()))) {
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while ((worker.verifiedEntries() < 9 || worker.forkedTenants() < 1) && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(100_000_000L);
                }
                assertThat(worker.verifiedEntries()).isEqualTo(9);
                assertThat(worker.forkedTenants()).isEqualTo(1);
                assertThat(worker.brokenChains()).isZero();
                HttpClient http = HttpClient.newHttpClient();
                String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + worker.port()
                        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("ledger_chain_forks_total{reason=\"fork\"} 1.0",
                        "ledger_chain_forked_tenants 1.0", "invoice_worker_entries_total{outcome=\"duplicate\"} 1.0");

                InetAddress external = externalAddress();
                if (external != null) {
                    assertThrows(IOException.class, () -> {
                        try (Socket s = new Socket()) {
                            s.connect(new InetSocketAddress(external, worker.port()), 2_000);
                        }
                    }, "the probe port must listen on loopback only");
                }
            }
        }
    }

    static List<StoredEntry> chain(String tenant, int length) {
        List<StoredEntry> entries = new ArrayList<>();
        byte[] prev = EntryFraming.genesis();
        Instant at = Instant.parse("2026-11-22T02:10:00.123Z");
        for (long seq = 1; seq <= length; seq++) {
            LedgerEvent event = seq == 1 ? new TenantRegistered(tenant, tenant, null, "test")
                    : new UsageRecorded(tenant, "u-" + seq, "tokens", seq, at.toString());
            StoredEntry e = entry(tenant, seq, event, at.plusSeconds(seq).toString(), prev);
            entries.add(e);
            prev = e.hash();
        }
        return entries;
    }

    private static StoredEntry entry(String tenant, long seq, LedgerEvent event, String recordedAt, byte[] prev) {
        byte[] payload;
        try {
            payload = LedgerJson.mapper().writeValueAsBytes(event);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        String eventId = UUID.randomUUID().toString();
        String type = dev.ledger.core.entry.EntryTypes.nameOf(event.getClass());
        byte[] metadata = metadata(event);
        byte[] hash = EntryFraming.hash(tenant, seq, eventId, type, "1", recordedAt, Sha256.of(payload),
                Sha256.of(metadata), prev);
        return StoredEntry.of(tenant, seq, eventId, type, "1", recordedAt, payload, metadata, prev, hash);
    }

    /** The hashed metadata the ledger writes: a billable entry's meter and quantity, else nothing. */
    static byte[] metadata(LedgerEvent event) {
        return event.billable().map(b -> ("{\"meter\":\"" + b.meter() + "\",\"quantity\":\"" + b.quantity() + "\"}")
                .getBytes(StandardCharsets.UTF_8)).orElse(METADATA);
    }

    private static InetAddress externalAddress() throws IOException {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (ni.isUp() && !ni.isLoopback()) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    if (a instanceof Inet4Address) {
                        return a;
                    }
                }
            }
        }
        return null;
    }
}
