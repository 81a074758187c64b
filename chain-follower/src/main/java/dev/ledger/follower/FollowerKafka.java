package dev.ledger.follower;

import dev.ledger.core.config.KafkaClientSecurity;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;

/**
 * The consumer settings every follower uses: committed records only, Kafka's own committed offsets never used (the
 * follower stores its offsets with its effects), the earliest offset for a partition it has no stored offset of.
 */
public final class FollowerKafka {

    private FollowerKafka() {
    }

    public static Map<String, Object> consumerProperties(String bootstrapServers, String group, String clientId,
                                                         int maxPollRecords, int maxPartitionFetchBytes,
                                                         java.time.Duration sessionTimeout, KafkaClientSecurity security) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, maxPollRecords);
        props.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, maxPartitionFetchBytes);
        // a killed member's partitions move after the session timeout; heartbeats at a third of it (at most Kafka's 3 s)
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, Math.toIntExact(sessionTimeout.toMillis()));
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, Math.toIntExact(Math.min(3_000, sessionTimeout.toMillis() / 3)));
        props.putAll(security.clientProperties());
        return props;
    }
}
