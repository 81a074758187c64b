package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.api.LedgerClient.Answer;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.ops.postgres.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ChainConcurrencyTest {

    private static final String TOPIC = "concurrency.entries." + System.nanoTime();
    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.entries-topic", TOPIC));
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    private static LedgerClient tenant(String id) {
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", id)).status()).isEqualTo(201);
        return admin.withKey(admin.post("/v1/tenants/" + id + "/api-keys", Map.of("scopes", List.of("evaluations:write")))
                .body().get("key").asText());
    }

    @Test
    void sixteenThreadsAppendingToOneTenantMakeOneGaplessChainThatVerifies() throws Exception {
        String id = "conc-" + UUID.randomUUID().toString().substring(0, 8);
        LedgerClient client = tenant(id);
        ExecutorService pool = Executors.newFixedThreadPool(16);
        List<Future<Answer>> answers = new ArrayList<>();
        for (int i = 0; i < 800; i++) {
            int n = i;
            answers.add(pool.submit(() -> client.post("/v1/evaluations", LedgerClient.evaluation("ev_" + n), "k" + n)));
        }
        Set<Long> sequences = new HashSet<>();
        for (Future<Answer> f : answers) {
            Answer a = f.get();
            assertThat(a.status()).isEqualTo(201);
            sequences.add(a.body().get("sequence").asLong());
        }
        pool.shutdown();
        assertThat(sequences).hasSize(800);
        assertThat(sequences.stream().mapToLong(Long::longValue).min().orElseThrow()).isEqualTo(3);
        assertThat(sequences.stream().mapToLong(Long::longValue).max().orElseThrow()).isEqualTo(802);
        Answer verification = admin.post("/v1/tenants/" + id + "/verifications", Map.of());
        assertThat(verification.body().get("status").asText()).isEqualTo("VALID");
        assertThat(verification.body().get("checked").asLong()).isEqualTo(802);
    }

    @Test
    void anEntryWhoseTransactionIsHeldOpenWhileAnotherCommitsStillReachesKafka() throws Exception {
        String slowTenant = "slow-" + UUID.randomUUID().toString().substring(0, 8);
        String fastTenant = "fast-" + UUID.randomUUID().toString().substring(0, 8);
        LedgerClient slow = tenant(slowTenant);
        LedgerClient fast = tenant(fastTenant);
        CompletableFuture<Answer> held;
        Answer quick;
        try (Connection blocker = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl())) {
            blocker.setAutoCommit(false);
            // an uncommitted row under the key the slow writer will use: its entry takes a global index, then waits here
            try (PreparedStatement ps = blocker.prepareStatement(
                    "insert into idempotency_record (tenant_id, idempotency_key, request_digest, sequence) values (?, 'k:held', '\\x00', 0)")) {
                ps.setString(1, slowTenant);
                ps.executeUpdate();
            }
            held = CompletableFuture.supplyAsync(() -> slow.post("/v1/evaluations", LedgerClient.evaluation("ev_held"), "held"));
            assertThat(SharedInfrastructure.get().postgres.awaitLockWaiters(LocalPostgres.DATABASE, 1, Duration.ofSeconds(30)))
                    .as("the slow writer waits for the held key inside its transaction").isTrue();
            quick = fast.post("/v1/evaluations", LedgerClient.evaluation("ev_quick"), "quick");
            assertThat(quick.status()).isEqualTo(201);
            assertThatThrownBy(() -> held.get(1500, TimeUnit.MILLISECONDS))
                    .as("the slow writer is still inside its transaction").isInstanceOf(TimeoutException.class);
            blocker.rollback();
        }
        Answer slowAnswer = held.get();
        assertThat(slowAnswer.status()).isEqualTo(201);
        String slowKey = slowTenant + "#" + slowAnswer.body().get("sequence").asLong();
        String quickKey = fastTenant + "#" + quick.body().get("sequence").asLong();
        Set<String> seen = new HashSet<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers",
                SharedInfrastructure.get().kafka.bootstrapServers(), "group.id", "t-" + UUID.randomUUID(), "auto.offset.reset", "earliest",
                "isolation.level", "read_committed"), new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!(seen.contains(slowKey) && seen.contains(quickKey)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    StoredEntry e = EntryCodec.decode(r.value());
                    seen.add(e.tenantId() + "#" + e.sequence());
                }
            }
        }
        assertThat(seen).contains(slowKey, quickKey);
    }
}
