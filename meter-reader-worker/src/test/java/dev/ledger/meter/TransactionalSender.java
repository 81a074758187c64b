package dev.ledger.meter;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.InvalidTxnStateException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The tests' transactional producer: each {@link #send} is one Kafka transaction, so a read_committed reader sees
 * the batch whole or not at all. Errors such as {@code InvalidTxnStateException} or {@code ProducerFencedException}
 * are fatal for a producer instance (CI saw the first once against the one-node broker, between two back-to-back
 * transactions). The batch is then replayed once on a new instance with the same transactional id: its
 * {@code initTransactions} fences the old one and aborts whatever that left open, so the reader, which skips
 * aborted records, still sees each batch exactly once.
 */
final class TransactionalSender implements AutoCloseable {

    private final Map<String, Object> config;
    private KafkaProducer<byte[], byte[]> producer;

    TransactionalSender(String bootstrapServers, String transactionalId) {
        config = new HashMap<>(Map.of("bootstrap.servers", bootstrapServers, "acks", "all", "enable.idempotence",
                "true", "transactional.id", transactionalId));
        producer = open();
    }

    private KafkaProducer<byte[], byte[]> open() {
        KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(config, new ByteArraySerializer(),
                new ByteArraySerializer());
        p.initTransactions();
        return p;
    }

    /** Publishes the records in one transaction; after an error that left it uncommitted, once more on a new producer. */
    void send(List<ProducerRecord<byte[], byte[]>> records) {
        try {
            transaction(records);
        } catch (KafkaException e) {
            if (!uncommitted(e)) {
                throw e;
            }
            System.err.println("test producer " + config.get("transactional.id") + " failed (" + e
                    + "); replaying the batch of " + records.size() + " on a new producer");
            producer.close();
            producer = open();
            transaction(records);
        }
    }

    /** Errors after which the broker has certainly not committed the transaction. */
    private static boolean uncommitted(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InvalidTxnStateException || t instanceof ProducerFencedException
                    || t instanceof InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    private void transaction(List<ProducerRecord<byte[], byte[]>> records) {
        producer.beginTransaction();
        records.forEach(producer::send);
        producer.commitTransaction();
    }

    @Override
    public void close() {
        producer.close();
    }
}
