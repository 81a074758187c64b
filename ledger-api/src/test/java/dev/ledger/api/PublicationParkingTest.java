package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ISSUE11 item 2: a committed entry Kafka refuses (here: larger than the topic's max.message.bytes) never blocks
 * publication: it is parked, listed to the admin and counted by a gauge, and every other entry is published.
 */
class PublicationParkingTest {

    private static final String TOPIC = "publication-parking-" + System.nanoTime();
    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() throws Exception {
        try (Admin kafka = Admin.create(Map.of("bootstrap.servers", SharedInfrastructure.get().kafka.bootstrapServers()))) {
            kafka.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1).configs(Map.of("max.message.bytes", "16384"))))
                    .all().get(30, TimeUnit.SECONDS);
        }
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.entries-topic", TOPIC));
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    private static LedgerClient tenant(String id) {
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", id)).status()).isEqualTo(201);
        return admin.withKey(admin.post("/v1/tenants/" + id + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:write")))
                .body().get("key").asText());
    }

    @Test
    void givenAnEntryTheTopicRefuses_whenOtherTenantsWrite_thenTheirEntriesArePublishedAndTheRefusedOneIsParkedVisiblyAndCounted() throws Exception {
        String run = Long.toString(System.nanoTime() % 1_000_000, 36);
        String bigTenant = "pp" + run + "-big";
        String otherTenant = "pp" + run + "-other";
        LedgerClient big = tenant(bigTenant);
        LedgerClient other = tenant(otherTenant);

        LedgerClient.Answer large = big.post("/v1/admin-actions", Map.of("actor", "ops", "action", "import", "target", "catalog",
                "details", Map.of("blob", "x".repeat(40_000))), "big-1");
        assertThat(large.status()).as("the entry is within the ledger's limit: it is recorded").isEqualTo(201);
        long bigSequence = large.body().get("sequence").asLong();
        long afterBig = big.post("/v1/evaluations", LedgerClient.evaluation("ev_after"), "after-1").body().get("sequence").asLong();
        // more entries than one publisher batch (500) after the refused one: a publisher retrying its batch never reaches them
        List<Map<String, Object>> items = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Map<String, Object> item = new java.util.HashMap<>(LedgerClient.evaluation("ev_" + i));
            item.put("idempotency_key", "o-" + i);
            items.add(item);
        }
        JsonNode results = other.post("/v1/evaluations:batch", Map.of("items", items)).body().get("results");
        long[] others = {results.get(results.size() - 1).get("receipt").get("sequence").asLong()};
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer = PublicationFixtures.consumer(TOPIC)) {
            PublicationFixtures.await(consumer, Duration.ofSeconds(60),
                    s -> s.contains(otherTenant + "#" + others[others.length - 1]) && s.contains(bigTenant + "#" + afterBig), seen);
        }
        assertThat(seen.contains(otherTenant + "#" + others[others.length - 1])).as("another tenant's entries are published").isTrue();
        assertThat(seen.contains(bigTenant + "#" + afterBig)).as("the same tenant's later entries are published").isTrue();
        assertThat(seen.contains(bigTenant + "#" + bigSequence)).as("the refused record is not on the topic").isFalse();

        JsonNode parked = admin.get("/v1/admin/publication/parked").body();
        assertThat(parked.get("parked").findValuesAsText("tenant_id")).contains(bigTenant);
        JsonNode entry = null;
        for (JsonNode p : parked.get("parked")) {
            if (p.get("tenant_id").asText().equals(bigTenant)) {
                entry = p;
            }
        }
        assertThat(entry.get("sequence").asLong()).isEqualTo(bigSequence);
        assertThat(entry.get("reason").asText()).isEqualTo("RecordTooLargeException");
        assertThat(entry.get("record_bytes").asLong()).isGreaterThan(40_000);
        assertThat(PublicationFixtures.awaitMetric(ledger, "ledger_publication_parked", v -> v >= 1, Duration.ofSeconds(10))).isGreaterThanOrEqualTo(1);
        assertThat(PublicationFixtures.metric(ledger, "ledger_publication_topic_unsafe"))
                .as("the existing topic's small max.message.bytes and finite retention are reported").isGreaterThanOrEqualTo(2);
    }

    @Test
    void theParkedListIsForTheAdminOnly() {
        LedgerClient t = tenant("pp" + Long.toString(System.nanoTime() % 1_000_000, 36) + "-key");
        LedgerClient.Answer refused = t.get("/v1/admin/publication/parked");
        assertThat(refused.status()).isEqualTo(403);
        assertThat(new LedgerClient(ledger.url(), null).get("/v1/admin/publication/parked").status()).isEqualTo(401);
    }
}
