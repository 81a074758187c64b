package dev.ledger.follower;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.Comparator;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;

/** Records not yet consumed, per partition a consumer holds and in total. Consumer thread only, like every call on it. */
public final class ConsumerLag {

    private ConsumerLag() {
    }

    /** The lag gauge's value: records not yet consumed on the partitions a consumer holds (those it knows the lag of). */
    public static long of(Consumer<?, ?> consumer) {
        long total = 0;
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong l = consumer.currentLag(tp);
            if (l.isPresent() && l.getAsLong() > 0) { // never a stale end offset's negative lag (see perPartition)
                total += l.getAsLong();
            }
        }
        return total;
    }

    /**
     * Each assigned partition's lag, asking the broker for the end offsets the consumer does not know, waiting at most
     * {@code wait} (empty: still not known, e.g. the broker did not answer in time).
     *
     * <p>{@link Consumer#currentLag} alone is not enough to tell a partition was read to its end. It knows the end
     * offset only from fetch responses or from a lookup it starts itself and does not wait for. A partition that a
     * rebalance gave back to the consumer that had already read it to its end starts with no known end offset, and
     * the broker's incremental fetch session leaves an unchanged, idle partition out of its responses, so until such
     * a lookup completes the lag is unknown (measured on a real broker: {@code OptionalLong.empty} for 15 s of polls
     * that did not call {@code currentLag}). Worse, the consumer (kafka-clients 4.3.1) keeps the answer of any offset
     * lookup as the end offset, {@link Consumer#beginningOffsets} included: after one, a partition read to its end has
     * a negative lag until a record arrives ({@code -50} for 50 records, in FollowerCaughtUpAfterRebalanceTest; in the
     * meter-reader bench {@code -125000}, and one consumer's last windows stayed open for 5 minutes). So a negative
     * lag counts as unknown too, and housekeeping asks the broker instead of leaving a caught-up partition's idle
     * windows to whenever the consumer learns its true end offset.
     */
    public static Map<TopicPartition, OptionalLong> perPartition(Consumer<?, ?> consumer, Duration wait) {
        Map<TopicPartition, OptionalLong> lags = new TreeMap<>(
                Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
        List<TopicPartition> unknown = new ArrayList<>();
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong l = consumer.currentLag(tp);
            if (l.isEmpty() || l.getAsLong() < 0) {
                unknown.add(tp); // a negative lag is a stale end offset, not a position past the end
                l = OptionalLong.empty();
            }
            lags.put(tp, l);
        }
        if (unknown.isEmpty()) {
            return lags;
        }
        Map<TopicPartition, Long> ends;
        try {
            ends = consumer.endOffsets(unknown, wait); // the last stable offsets under read_committed
        } catch (KafkaException e) {
            return lags; // not answered in time: still unknown, asked again at the next call
        }
        for (TopicPartition tp : unknown) {
            Long end = ends.get(tp);
            OptionalLong position = position(consumer, tp);
            if (end != null && position.isPresent()) {
                lags.put(tp, OptionalLong.of(Math.max(0, end - position.getAsLong())));
            }
        }
        return lags;
    }

    /** The consumer's position, when it has one now (none while it still resets to the beginning). */
    static OptionalLong position(Consumer<?, ?> consumer, TopicPartition tp) {
        try {
            return OptionalLong.of(consumer.position(tp, Duration.ZERO));
        } catch (KafkaException e) {
            return OptionalLong.empty();
        }
    }
}
