package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/**
 * ISSUE11 item 11: the ledger creates its topic to keep every record (unlimited retention, deletion never compaction,
 * replication and min.insync.replicas as the cluster allows, the configured partitions), and reports an existing
 * topic that would lose records.
 */
class PublicationTopicTest {

    private static Admin kafka() {
        return Admin.create(Map.of("bootstrap.servers", SharedInfrastructure.get().kafka.bootstrapServers()));
    }

    private static void writeOneEntry(RunningLedger ledger) {
        String id = "pt" + Long.toString(System.nanoTime() % 1_000_000, 36);
        assertThat(new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY).post("/v1/tenants", Map.of("tenant_id", id, "name", id)).status())
                .isEqualTo(201);
    }

    @Test
    void givenNoTopic_whenTheLedgerPublishes_thenItCreatesTheTopicWithUnlimitedRetentionAndTheConfiguredPartitions() throws Exception {
        String topic = "publication-topic-" + System.nanoTime();
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.entries-topic", topic,
                "ledger.publication.topic-partitions", 3)); Admin kafka = kafka()) {
            writeOneEntry(ledger);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!kafka.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic) && System.nanoTime() < deadline) {
                LockSupport.parkNanos(200_000_000L);
            }
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = kafka.describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS).get(resource);
            assertThat(config.get("retention.ms").value()).isEqualTo("-1");
            assertThat(config.get("retention.bytes").value()).isEqualTo("-1");
            assertThat(config.get("cleanup.policy").value()).isEqualTo("delete");
            assertThat(config.get("min.insync.replicas").value()).as("min(2, brokers) on a one-broker cluster").isEqualTo("1");
            assertThat(Long.parseLong(config.get("max.message.bytes").value())).isGreaterThanOrEqualTo(1_048_576);
            var description = kafka.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
            assertThat(description.partitions()).hasSize(3);
            assertThat(description.partitions().get(0).replicas()).as("min(3, brokers)").hasSize(1);
            assertThat(PublicationFixtures.awaitMetric(ledger, "ledger_publication_topic_unsafe", v -> v == 0, Duration.ofSeconds(5))).isZero();
        }
    }

    @Test
    void givenAnExistingCompactedTopicWithFiniteRetention_whenTheLedgerPublishes_thenItReportsItAndLeavesItAsItIs() throws Exception {
        String topic = "publication-compacted-" + System.nanoTime();
        try (Admin kafka = kafka()) {
            kafka.createTopics(List.of(new NewTopic(topic, 1, (short) 1).configs(Map.of("cleanup.policy", "compact", "retention.ms", "3600000"))))
                    .all().get(30, TimeUnit.SECONDS);
            try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.entries-topic", topic))) {
                writeOneEntry(ledger);
                assertThat(PublicationFixtures.awaitMetric(ledger, "ledger_publication_topic_unsafe", v -> v >= 2, Duration.ofSeconds(30)))
                        .as("compaction and finite retention are both reported").isGreaterThanOrEqualTo(2);
            }
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config config = kafka.describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS).get(resource);
            assertThat(config.get("cleanup.policy").value()).as("an operator's topic is never altered").isEqualTo("compact");
        }
    }
}
