package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.StoredEntry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The publisher reads the store in global order and passes an index not visible yet (an append still open) only
 * once it cannot commit any more: an append open for just under its bound is published after it commits, in commit
 * order, and an index whose append rolled back is passed after the gap timeout. One partition, so the topic's order
 * is the order of publication. Append bound 2 s, gap timeout 6 s (three bounds, the least the ledger accepts).
 */
class PublicationOrderTest {

    private static final String TOPIC = "publication-order-" + System.nanoTime();
    private static final Duration BOUND = Duration.ofSeconds(2);
    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.entries-topic", TOPIC,
                "ledger.publication.topic-partitions", 1,
                "ledger.publication.append-transaction-timeout", BOUND.toMillis() + "ms",
                "ledger.publication.gap-timeout", BOUND.multipliedBy(3).toMillis() + "ms"));
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    @Test
    void givenAnAppendOpenForJustUnderItsBound_whenItCommits_thenItsEntryIsPublishedOnceInCommitOrder() throws Exception {
        String run = Long.toString(System.nanoTime() % 1_000_000, 36);
        LedgerClient other = tenant("po" + run + "-other");
        String held = "po" + run + "-held";
        try (KafkaConsumer<String, byte[]> consumer = consumer();
             Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl())) {
            List<String> topic = new ArrayList<>();
            c.setAutoCommit(false);
            long opened = System.nanoTime();
            PublicationFixtures.insertFirstEntry(c, held); // takes its global index now
            List<Long> before = evaluations(other, "before", 5);
            String lastBefore = "po" + run + "-other#" + before.get(before.size() - 1);
            read(consumer, topic, t -> t.contains(lastBefore));
            assertThat(topic).as("entries committed after the open append's index are published meanwhile").contains(lastBefore)
                    .doesNotContain(held + "#1");

            long left = BOUND.minusMillis(200).toNanos() - (System.nanoTime() - opened);
            if (left > 0) {
                Thread.sleep(left / 1_000_000);
            }
            c.commit(); // just under the bound
            List<Long> after = evaluations(other, "after", 3);
            String lastAfter = "po" + run + "-other#" + after.get(after.size() - 1);
            read(consumer, topic, t -> t.contains(lastAfter));

            assertThat(topic.stream().filter(k -> k.equals(held + "#1")).count()).as("the held entry, published once").isEqualTo(1);
            int heldAt = topic.indexOf(held + "#1");
            assertThat(topic.indexOf(lastBefore)).as("published before it: what committed before it").isLessThan(heldAt);
            assertThat(topic.indexOf("po" + run + "-other#" + after.get(0))).as("published after it: what committed after it")
                    .isGreaterThan(heldAt);
        }
    }

    @Test
    void givenAnAppendThatRolledBack_thenItsIndexIsPassedAfterTheGapTimeoutAndPublicationGoesOn() throws Exception {
        String run = Long.toString(System.nanoTime() % 1_000_000, 36);
        LedgerClient other = tenant("pr" + run + "-other");
        long rolledBack;
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl())) {
            c.setAutoCommit(false);
            PublicationFixtures.insertFirstEntry(c, "pr" + run + "-gone");
            try (PreparedStatement ps = c.prepareStatement("select global_index from domain_event_entry where aggregate_identifier = ?")) {
                ps.setString(1, "pr" + run + "-gone");
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    rolledBack = rs.getLong(1);
                }
            }
            c.rollback();
        }
        List<Long> after = evaluations(other, "after", 3);
        String last = "pr" + run + "-other#" + after.get(after.size() - 1);
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<String> topic = new ArrayList<>();
            read(consumer, topic, t -> t.contains(last));
            assertThat(topic).as("entries after the rolled-back index are published without waiting for it").contains(last);
        }
        long seen = System.nanoTime() + Duration.ofSeconds(3).toNanos(); // the position is written just after Kafka's ack
        while (!gaps().contains(rolledBack) && System.nanoTime() < seen) {
            LockSupport.parkNanos(20_000_000L);
        }
        assertThat(gaps()).as("the index is waited for first").contains(rolledBack);
        long deadline = System.nanoTime() + BOUND.multipliedBy(3).plusSeconds(10).toNanos();
        while (gaps().contains(rolledBack) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(100_000_000L);
        }
        assertThat(gaps()).as("passed once the gap timeout proved it can never commit").doesNotContain(rolledBack);
    }

    private static LedgerClient tenant(String id) {
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", id)).status()).isEqualTo(201);
        LedgerClient.Answer key = admin.post("/v1/tenants/" + id + "/api-keys", Map.of("scopes", List.of("evaluations:write")));
        return admin.withKey(key.body().get("key").asText());
    }

    /** Records {@code n} evaluations one by one; answers their sequences. */
    private static List<Long> evaluations(LedgerClient client, String prefix, int n) {
        List<Long> sequences = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            LedgerClient.Answer a = client.post("/v1/evaluations", LedgerClient.evaluation("ev_" + prefix + "_" + i), prefix + i);
            assertThat(a.status()).isEqualTo(201);
            sequences.add(a.body().get("sequence").asLong());
        }
        return sequences;
    }

    private static List<Long> gaps() throws Exception {
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl());
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("select gaps from publication_position")) {
            rs.next();
            return List.of((Long[]) rs.getArray(1).getArray());
        }
    }

    private static KafkaConsumer<String, byte[]> consumer() {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", SharedInfrastructure.get().kafka.bootstrapServers(),
                "group.id", "t-" + UUID.randomUUID(), "auto.offset.reset", "earliest"), new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(TOPIC));
        return consumer;
    }

    /** Appends the topic's records ("tenant#sequence", in offset order) to {@code topic} until {@code done} holds (30 s at most). */
    private static void read(KafkaConsumer<String, byte[]> consumer, List<String> topic, Predicate<List<String>> done) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!done.test(topic) && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                StoredEntry e = EntryCodec.decode(r.value());
                topic.add(e.tenantId() + "#" + e.sequence());
            }
        }
    }
}
