package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.Test;

/**
 * Two ledger-api instances on one database and one Kafka, clients writing to the same tenants through both at once,
 * the same Idempotency-Key sent to both: one chain per tenant without fork or gap, every receipt the entry the chain
 * holds at its sequence, one entry per idempotency key, and every entry on Kafka.
 */
class TwoInstancesTest {

    private static final String TOPIC = "two-instances-" + System.nanoTime();

    @Test
    void givenTwoInstancesWritingToTheSameTenantsThenTheChainsStayWholeAndEveryEntryReachesKafka() throws Exception {
        Map<String, Object> settings = Map.of("ledger.entries-topic", TOPIC, "ledger.rate-limit.requests-per-second", 100000,
                "ledger.rate-limit.burst", 100000);
        try (RunningLedger a = RunningLedger.start(SharedInfrastructure.get(), settings);
             RunningLedger b = RunningLedger.start(SharedInfrastructure.get(), settings);
             KafkaConsumer<String, byte[]> consumer = PublicationFixtures.consumer(TOPIC)) {
            LedgerClient adminA = new LedgerClient(a.url(), RunningLedger.ADMIN_KEY);
            List<String> tenants = List.of("two-" + System.nanoTime() % 100_000_000 + "-x", "two-" + System.nanoTime() % 100_000_000 + "-y");
            Map<String, String> keys = new ConcurrentHashMap<>();
            for (String t : tenants) {
                assertThat(adminA.post("/v1/tenants", Map.of("tenant_id", t, "name", "Two " + t)).status()).isEqualTo(201);
                keys.put(t, adminA.post("/v1/tenants/" + t + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")))
                        .body().get("key").asText());
            }
            // four writers per tenant, two through each instance; each idempotency key is sent through both instances
            Map<String, JsonNode> receipts = new ConcurrentHashMap<>();
            List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> work = new ArrayList<>();
            int perWriter = 30;
            for (String t : tenants) {
                for (int w = 0; w < 4; w++) {
                    int writer = w;
                    LedgerClient client = new LedgerClient((w % 2 == 0 ? a : b).url(), keys.get(t));
                    work.add(pool.submit(() -> {
                        for (int i = 0; i < perWriter; i++) {
                            // writers 0 and 1 share keys (one through each instance), as do 2 and 3
                            String id = t + "-" + (writer / 2) + "-" + i;
                            LedgerClient.Answer r = send(client, id);
                            if (r.status() != 201) {
                                problems.add(id + " via " + (writer % 2 == 0 ? "a" : "b") + ": " + r.status() + " " + r.raw().body());
                                continue;
                            }
                            JsonNode earlier = receipts.putIfAbsent(id, r.body());
                            if (earlier != null && !earlier.get("hash").equals(r.body().get("hash"))) {
                                problems.add(id + ": two receipts " + earlier + " and " + r.body());
                            }
                        }
                        return null;
                    }));
                }
            }
            for (Future<?> f : work) {
                f.get();
            }
            pool.shutdown();
            assertThat(problems).isEmpty();
            assertThat(receipts).hasSize(tenants.size() * 2 * perWriter);

            Set<String> expected = new HashSet<>();
            for (String t : tenants) {
                LedgerClient auditor = new LedgerClient(b.url(), keys.get(t));
                JsonNode verdict = auditor.post("/v1/tenants/" + t + "/verifications", Map.of()).body();
                assertThat(verdict.get("status").asText()).as(t + ": " + verdict).isEqualTo("VALID");
                // registration, the key, then one entry per idempotency key and no more
                long head = verdict.get("head_sequence").asLong();
                assertThat(head).as(t).isEqualTo(2 + 2L * perWriter);
                Map<Long, String> chain = new java.util.HashMap<>();
                long after = 0;
                while (true) {
                    JsonNode page = auditor.get("/v1/tenants/" + t + "/entries?limit=1000&after=" + after).body();
                    for (JsonNode e : page.get("entries")) {
                        chain.put(e.get("sequence").asLong(), e.get("hash").asText());
                    }
                    if (!page.has("next_after")) {
                        break;
                    }
                    after = page.get("next_after").asLong();
                }
                // and the verification's own record after them
                assertThat(chain).hasSize((int) head + 1);
                for (long s = 1; s <= head + 1; s++) {
                    expected.add(t + "#" + s);
                }
                receipts.forEach((id, r) -> {
                    if (id.startsWith(t + "-")) {
                        assertThat(chain.get(r.get("sequence").asLong())).as(id).isEqualTo(r.get("hash").asText());
                    }
                });
            }
            Set<String> seen = new HashSet<>();
            PublicationFixtures.await(consumer, Duration.ofSeconds(60), s -> s.containsAll(expected), seen);
            assertThat(seen).containsAll(expected);
            // one instance publishes, the other stands by: each entry once on the topic, not once per instance
            assertThat(List.of(PublicationFixtures.metric(a, "ledger_publication_leader"), PublicationFixtures.metric(b,
                    "ledger_publication_leader"))).containsExactlyInAnyOrder(1.0, 0.0);
            List<String> records = new ArrayList<>();
            try (KafkaConsumer<String, byte[]> again = PublicationFixtures.consumer(TOPIC)) {
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                long quietUntil = Long.MAX_VALUE;
                while (System.nanoTime() < Math.min(deadline, quietUntil)) {
                    for (var r : again.poll(Duration.ofMillis(200))) {
                        var e = dev.ledger.core.chain.EntryCodec.decode(r.value());
                        if (tenants.contains(e.tenantId())) {
                            records.add(e.tenantId() + "#" + e.sequence());
                        }
                    }
                    if (records.size() >= expected.size() && quietUntil == Long.MAX_VALUE) {
                        quietUntil = System.nanoTime() + Duration.ofSeconds(2).toNanos(); // and nothing more after a while
                    }
                }
            }
            assertThat(records).hasSameSizeAs(expected).doesNotHaveDuplicates();
        }
    }

    /** Sends the evaluation; a 409 concurrent_request (the same key in flight through the other instance) is retried. */
    private static LedgerClient.Answer send(LedgerClient client, String id) {
        LedgerClient.Answer r = client.post("/v1/evaluations", LedgerClient.evaluation(id), id);
        for (int attempt = 0; attempt < 50 && r.status() == 409 && "concurrent_request".equals(r.code()); attempt++) {
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
            r = client.post("/v1/evaluations", LedgerClient.evaluation(id), id);
        }
        return r;
    }
}
