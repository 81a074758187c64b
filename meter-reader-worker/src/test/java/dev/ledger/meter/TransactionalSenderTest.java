package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.ops.kafka.LocalKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The test producer's recovery: once its instance is fenced (a fatal error, as InvalidTxnStateException is), the
 * next batch still reaches a read_committed reader, and every batch exactly once.
 */
class TransactionalSenderTest {

    @Test
    void givenTheProducerWasFenced_thenTheNextBatchIsStillDeliveredAndNothingTwice() throws Exception {
        try (LocalKafka kafka = LocalKafka.start(null, 0);
                Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()))) {
            String topic = "sender-test";
            LocalKafka.createTopics(admin, List.of(new NewTopic(topic, 1, (short) 1)));
            String id = "sender-test-" + System.nanoTime();
            try (TransactionalSender sender = new TransactionalSender(kafka.bootstrapServers(), id)) {
                sender.send(List.of(record(topic, "first"), record(topic, "second")));
                // another instance with the same transactional id fences the sender's
                try (KafkaProducer<byte[], byte[]> rival = new KafkaProducer<>(Map.<String, Object>of(
                        "bootstrap.servers", kafka.bootstrapServers(), "transactional.id", id),
                        new ByteArraySerializer(), new ByteArraySerializer())) {
                    rival.initTransactions();
                }
                sender.send(List.of(record(topic, "third")));
            }
            assertThat(committed(kafka, topic)).containsExactly("first", "second", "third");
        }
    }

    private static ProducerRecord<byte[], byte[]> record(String topic, String value) {
        return new ProducerRecord<>(topic, "k".getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
    }

    /** Every committed value of partition 0, up to its last stable offset. */
    private static List<String> committed(LocalKafka kafka, String topic) {
        TopicPartition tp = new TopicPartition(topic, 0);
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.<String, Object>of(
                "bootstrap.servers", kafka.bootstrapServers(), "isolation.level", "read_committed"),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long end = consumer.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (consumer.position(tp) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(new String(r.value(), StandardCharsets.UTF_8));
                }
            }
        }
        return values;
    }
}
