package dev.ledger.api.chain;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The entries topic is the chain's copy for the workers, so it keeps every record: the ledger creates it with
 * unlimited retention (time and size), deletion (never compaction: a compacted topic keeps one record per tenant),
 * replication {@code min(3, brokers)}, {@code min.insync.replicas} {@code min(2, brokers)} and records up to the
 * publisher's request size. A topic that exists already is the operator's: it is never altered, but each setting
 * that can lose records or refuse them is reported at ERROR and by the gauge {@code ledger_publication_topic_unsafe}
 * (the number of such settings), and publication goes on.
 */
final class EntryTopic {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EntryTopic.class);

    private final String topic;
    private final Map<String, Object> adminConfig;
    private final int partitions;
    private final long largestRecordBytes;
    private final int maxMessageBytes;
    private final AtomicInteger unsafe = new AtomicInteger();
    /** The largest record batch the topic accepts, as created or as found (0 while unknown). Publisher thread only. */
    private long acceptedBatchBytes;

    EntryTopic(String topic, Map<String, Object> adminConfig, PublicationProperties props, MeterRegistry metrics) {
        this.topic = topic;
        this.adminConfig = adminConfig;
        this.partitions = props.topicPartitions();
        this.largestRecordBytes = props.largestRecordBytes();
        this.maxMessageBytes = props.producerMaxRequestBytes();
        Gauge.builder("ledger.publication.topic.unsafe", unsafe, AtomicInteger::get)
                .description("settings of the entries topic that can lose or refuse records (see the log)").register(metrics);
    }

    /**
     * The largest record batch the topic accepts ({@code max.message.bytes}), once {@link #ensure} has created or
     * checked it; 0 while unknown.
     */
    long acceptedBatchBytes() {
        return acceptedBatchBytes;
    }

    /** Creates or checks the topic; false when Kafka could not be asked (publication goes on and asks again later). */
    boolean ensure() {
        try (Admin admin = Admin.create(adminConfig)) {
            int brokers = admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).size();
            if (!admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic)) {
                try {
                    create(admin, brokers);
                    return true;
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            check(admin, brokers);
            return true;
        } catch (ExecutionException e) {
            log.warn("could not create or check Kafka topic {} ({}); publishing anyway", topic, e.getCause().getClass().getSimpleName());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (TimeoutException | KafkaException e) {
            log.warn("could not create or check Kafka topic {} ({}); publishing anyway", topic, e.getClass().getSimpleName());
            return false;
        }
    }

    private void create(Admin admin, int brokers) throws ExecutionException, InterruptedException, TimeoutException {
        short replication = (short) Math.max(1, Math.min(3, brokers));
        NewTopic newTopic = new NewTopic(topic, partitions > 0 ? Optional.of(partitions) : Optional.empty(), Optional.of(replication))
                .configs(Map.of(
                        TopicConfig.RETENTION_MS_CONFIG, "-1",
                        TopicConfig.RETENTION_BYTES_CONFIG, "-1",
                        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                        TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, String.valueOf(Math.max(1, Math.min(2, brokers))),
                        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(maxMessageBytes)));
        admin.createTopics(List.of(newTopic)).all().get(10, TimeUnit.SECONDS);
        acceptedBatchBytes = maxMessageBytes;
        awaitLeaders(admin);
        unsafe.set(0);
        log.info("created Kafka topic {}: retention unlimited, replication {}, min.insync.replicas {}", topic, replication,
                Math.max(1, Math.min(2, brokers)));
    }

    /**
     * Waits (up to 10 s) until every partition of the new topic has a leader: the idempotent producer's first batch to a
     * partition still electing one answered NOT_LEADER_OR_FOLLOWER, then OUT_OF_ORDER_SEQUENCE_NUMBER for 30 s.
     */
    private void awaitLeaders(Admin admin) throws ExecutionException, InterruptedException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try {
                TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
                if (!d.partitions().isEmpty() && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
            } catch (ExecutionException notYet) {
                // the topic's metadata is still spreading: ask again
            }
            Thread.sleep(100);
        }
    }

    private void check(Admin admin, int brokers) throws ExecutionException, InterruptedException, TimeoutException {
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = admin.describeConfigs(List.of(resource)).all().get(10, TimeUnit.SECONDS).get(resource);
        TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic);
        List<String> problems = new ArrayList<>();
        long retentionMs = number(config, TopicConfig.RETENTION_MS_CONFIG, -1);
        if (retentionMs >= 0) {
            problems.add("retention.ms=" + retentionMs + " deletes records (a worker away longer loses them); set -1");
        }
        long retentionBytes = number(config, TopicConfig.RETENTION_BYTES_CONFIG, -1);
        if (retentionBytes >= 0) {
            problems.add("retention.bytes=" + retentionBytes + " deletes records; set -1");
        }
        String cleanup = value(config, TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
        if (cleanup.contains(TopicConfig.CLEANUP_POLICY_COMPACT)) {
            problems.add("cleanup.policy=" + cleanup + " keeps one record per tenant; set delete");
        }
        long maxMessage = number(config, TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Long.MAX_VALUE);
        acceptedBatchBytes = maxMessage;
        if (maxMessage < largestRecordBytes) {
            problems.add("max.message.bytes=" + maxMessage + " refuses records up to " + largestRecordBytes
                    + " bytes (they are parked); raise it or lower LEDGER_PUBLICATION_MAX_ENTRY_BYTES");
        }
        int replicas = description.partitions().stream().mapToInt(p -> p.replicas().size()).min().orElse(0);
        if (replicas < Math.min(3, brokers)) {
            problems.add("replication factor " + replicas + " with " + brokers + " brokers; use " + Math.min(3, brokers));
        }
        long minIsr = number(config, TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, 1);
        if (minIsr < Math.min(2, brokers)) {
            problems.add("min.insync.replicas=" + minIsr + " with " + brokers + " brokers; use " + Math.min(2, brokers));
        }
        unsafe.set(problems.size());
        if (!problems.isEmpty()) {
            log.error("Kafka topic {} exists with unsafe settings, left as they are: {}", topic, String.join("; ", problems));
        }
    }

    private static String value(Config config, String name, String otherwise) {
        ConfigEntry entry = config.get(name);
        return entry == null || entry.value() == null ? otherwise : entry.value();
    }

    private static long number(Config config, String name, long otherwise) {
        try {
            return Long.parseLong(value(config, name, String.valueOf(otherwise)));
        } catch (NumberFormatException e) {
            return otherwise;
        }
    }
}
