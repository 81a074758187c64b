package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.StoredEntry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ISSUE11 item 9: an append that takes its global index and commits only after more than 20,000 entries of other
 * tenants committed after it is still published (Axon's default gap offset of 10,000 dropped it for ever).
 */
class PublicationGapTest {

    private static final String TOPIC = "publication-gap-" + System.nanoTime();
    private static final int TENANTS = 3;
    private static final int BATCHES_PER_TENANT = 7;
    private static final int PER_BATCH = 1000;
    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.entries-topic", TOPIC,
                "ledger.rate-limit.requests-per-second", 100000, "ledger.rate-limit.burst", 100000));
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    @Test
    void givenAnAppendHeldOpenWhile21000EntriesOfOtherTenantsCommit_whenItCommits_thenItsEntryStillReachesKafka() throws Exception {
        String run = Long.toString(System.nanoTime() % 1_000_000, 36);
        List<String> tenants = new ArrayList<>();
        List<LedgerClient> clients = new ArrayList<>();
        for (int t = 0; t < TENANTS; t++) {
            String id = "pg" + run + "-" + t;
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", id)).status()).isEqualTo(201);
            LedgerClient.Answer key = admin.post("/v1/tenants/" + id + "/api-keys", Map.of("scopes", List.of("evaluations:write")));
            tenants.add(id);
            clients.add(admin.withKey(key.body().get("key").asText()));
        }
        String heldTenant = "pg" + run + "-held";
        try (KafkaConsumer<String, byte[]> consumer = consumer();
             Connection held = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl())) {
            held.setAutoCommit(false);
            PublicationFixtures.insertFirstEntry(held, heldTenant); // takes its global index now, commits below

            ExecutorService writers = Executors.newFixedThreadPool(TENANTS);
            try {
                List<Future<Integer>> written = new ArrayList<>();
                for (int t = 0; t < TENANTS; t++) {
                    int tenant = t;
                    written.add(writers.submit(() -> writeBatches(clients.get(tenant), tenant)));
                }
                for (Future<Integer> f : written) {
                    assertThat(f.get()).isEqualTo(BATCHES_PER_TENANT * PER_BATCH);
                }
            } finally {
                writers.shutdownNow();
            }
            // the publisher has read past the held index: every other entry written above is on the topic
            Set<String> others = new HashSet<>(tenants);
            long othersSeen = await(consumer, Duration.ofSeconds(120), seen -> seen.stream().filter(k -> others.contains(k.split("#")[0]))
                    .filter(k -> Long.parseLong(k.split("#")[1]) > 2).count() >= (long) TENANTS * BATCHES_PER_TENANT * PER_BATCH, new HashSet<>());
            assertThat(othersSeen).isGreaterThanOrEqualTo((long) TENANTS * BATCHES_PER_TENANT * PER_BATCH);

            held.commit();
            Set<String> seen = new HashSet<>();
            await(consumer, Duration.ofSeconds(30), s -> s.contains(heldTenant + "#1"), seen);
            assertThat(seen.contains(heldTenant + "#1")).as("the entry whose commit waited behind 21,000 others is on the topic").isTrue();
        }
    }

    @Test
    void givenMoreRolledBackIndexesThanTheGapCleaningThreshold_whenEntriesFollow_thenTheyArePublished() throws Exception {
        String run = Long.toString(System.nanoTime() % 1_000_000, 36);
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl())) {
            c.setAutoCommit(false);
            for (int i = 0; i < 300; i++) {
                PublicationFixtures.insertFirstEntry(c, "pg" + run + "-gap-" + i);
            }
            c.rollback(); // 300 global indexes taken and never committed: gaps the publisher cleans up (more than 250)
        }
        String id = "pg" + run + "-after";
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", id)).status()).isEqualTo(201);
        LedgerClient.Answer key = admin.post("/v1/tenants/" + id + "/api-keys", Map.of("scopes", List.of("evaluations:write")));
        LedgerClient t = admin.withKey(key.body().get("key").asText());
        long last = 0;
        for (int i = 0; i < 3; i++) {
            last = t.post("/v1/evaluations", LedgerClient.evaluation("ev_" + i), "k" + i).body().get("sequence").asLong();
        }
        String expected = id + "#" + last;
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            await(consumer, Duration.ofSeconds(30), s -> s.contains(expected), seen);
        }
        assertThat(seen.contains(expected)).as("publication goes on past the gaps, through the bounded clean-up query").isTrue();
    }

    @Test
    void anAppendTransactionBoundSetInsideTheTransactionEndsItOnTheServer() throws Exception {
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl())) {
            c.setAutoCommit(false);
            int pid;
            try (var s = c.createStatement()) {
                s.execute("set local transaction_timeout = '500ms'");
                try (var rs = s.executeQuery("select pg_backend_pid()")) {
                    rs.next();
                    pid = rs.getInt(1);
                }
            }
            awaitSessionGone(pid, Duration.ofSeconds(30));
            boolean ended;
            try (var s = c.createStatement()) {
                s.execute("select 1");
                ended = false;
            } catch (java.sql.SQLException e) {
                ended = true;
            }
            assertThat(ended).as("PostgreSQL ended the transaction that outlived its transaction_timeout").isTrue();
        }
    }

    /** Waits, on a connection of its own, until PostgreSQL has no session of this backend pid. */
    private static void awaitSessionGone(int pid, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        try (Connection watcher = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl());
             var ps = watcher.prepareStatement("select count(*) from pg_stat_activity where pid = ?")) {
            ps.setInt(1, pid);
            while (true) {
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0 || System.nanoTime() > deadline) {
                        return; // the assertion after says whether it ended
                    }
                }
                java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
            }
        }
    }

    @Test
    void givenAxonsDefaultGapOffsetOrAGapTimeoutBelowThreeAppendBounds_whenTheLedgerStarts_thenItRefusesToStart() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RunningLedger.start(SharedInfrastructure.get(),
                        Map.of("ledger.publication.max-gap-offset", 10000)).close())
                .hasStackTraceContaining("LEDGER_PUBLICATION_MAX_GAP_OFFSET (10000) must be at least twice");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RunningLedger.start(SharedInfrastructure.get(),
                        Map.of("ledger.publication.gap-timeout", "20s", "ledger.publication.append-transaction-timeout", "10s")).close())
                .hasStackTraceContaining("LEDGER_PUBLICATION_GAP_TIMEOUT");
    }

    private static int writeBatches(LedgerClient client, int tenant) {
        int recorded = 0;
        for (int b = 0; b < BATCHES_PER_TENANT; b++) {
            List<Map<String, Object>> items = new ArrayList<>(PER_BATCH);
            for (int i = 0; i < PER_BATCH; i++) {
                Map<String, Object> item = new HashMap<>(LedgerClient.evaluation("ev_" + tenant + "_" + b + "_" + i));
                item.put("idempotency_key", "k-" + b + "-" + i);
                items.add(item);
            }
            LedgerClient.Answer answer = client.post("/v1/evaluations:batch", Map.of("items", items));
            assertThat(answer.status()).isEqualTo(200);
            for (var r : answer.body().get("results")) {
                if (r.get("status").asInt() == 201) {
                    recorded++;
                }
            }
        }
        return recorded;
    }

    private static KafkaConsumer<String, byte[]> consumer() {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", SharedInfrastructure.get().kafka.bootstrapServers(),
                "group.id", "t-" + UUID.randomUUID(), "auto.offset.reset", "earliest", "max.poll.records", 5000),
                new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(TOPIC));
        return consumer;
    }

    /** Polls into {@code seen} ("tenant#sequence") until {@code done} holds or the time is up; answers how many were seen. */
    private static long await(KafkaConsumer<String, byte[]> consumer, Duration within, java.util.function.Predicate<Set<String>> done,
                              Set<String> seen) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!done.test(seen) && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                StoredEntry e = EntryCodec.decode(r.value());
                seen.add(e.tenantId() + "#" + e.sequence());
            }
        }
        return seen.stream().filter(k -> !k.endsWith("-held#1")).filter(k -> Long.parseLong(k.substring(k.indexOf('#') + 1)) > 2).count();
    }
}
