package dev.ledger.follower;

import java.util.OptionalLong;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.TopicPartition;

/** The lag gauge's value: records not yet consumed on the partitions a consumer holds (those it knows the lag of). */
public final class ConsumerLag {

    private ConsumerLag() {
    }

    /** Consumer thread only, like every call on a Kafka consumer. */
    public static long of(Consumer<?, ?> consumer) {
        long total = 0;
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong l = consumer.currentLag(tp);
            if (l.isPresent()) {
                total += l.getAsLong();
            }
        }
        return total;
    }
}
