package dev.ledger.api.chain;

import dev.ledger.api.config.LedgerProperties;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.messages.LedgerEvent;
import jakarta.annotation.PreDestroy;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The event store is the outbox: a tracking processor reads committed entries in order and publishes each, with
 * its stored bytes and chain link, to Kafka (key = tenant id, idempotent producer). A batch's token only advances
 * after Kafka acknowledged every record of it, so delivery is at least once; consumers dedupe on (tenant, sequence).
 *
 * <p>Kafka being away holds publication back (the batch is retried) and loses nothing. A record Kafka refuses for a
 * reason of its own (too large for the topic, invalid) can never be published by retrying, so it is parked
 * ({@link ParkedEntries}) in the same transaction as the token, and the other entries go on. The highest sequence of
 * each chain dealt with is written beside the token too (publication_head), for the {@link PublicationReconciler}.
 */
@Component
@ProcessingGroup(EntryPublisher.GROUP)
public class EntryPublisher {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EntryPublisher.class);

    public static final String GROUP = "kafka-publisher";
    private static final String BATCH = EntryPublisher.class.getName() + ".batch";

    private final EntryReader reader;
    private final JdbcTemplate jdbc;
    private final ParkedEntries parkedEntries;
    /** The producer's settings, TLS/SASL of the deployment included (KafkaClientSecurity, the one mapping). */
    private final Map<String, Object> producerConfig;
    /** Created at the first batch, once the topic's limits are known. Publisher thread only. */
    private KafkaProducer<String, byte[]> producer;
    /** Records above this many bytes are parked without being sent (the topic refuses them). */
    private long topicRecordLimit = Long.MAX_VALUE;
    private final String topic;
    private final EntryTopic entryTopic;
    /** Publisher thread only. */
    private boolean topicReady;

    public EntryPublisher(EntryReader reader, LedgerProperties props, PublicationProperties publication, JdbcTemplate jdbc,
                          ParkedEntries parkedEntries, MeterRegistry metrics) {
        checkSizes(publication);
        this.reader = reader;
        this.jdbc = jdbc;
        this.parkedEntries = parkedEntries;
        this.topic = props.entriesTopic();
        this.producerConfig = props.kafkaSecurity().with(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, props.kafkaBootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5,
                // explicit, and checked against the largest record an accepted entry becomes (checkSizes)
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, publication.producerMaxRequestBytes(),
                ProducerConfig.CLIENT_ID_CONFIG, "ledger-api-publisher",
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000));
        Map<String, Object> adminConfig = new HashMap<>(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, props.kafkaBootstrapServers(),
                AdminClientConfig.CLIENT_ID_CONFIG, "ledger-api-topics"));
        this.entryTopic = new EntryTopic(topic, props.kafkaSecurity().with(adminConfig), publication, metrics);
    }

    /**
     * The producer, with batches no larger than the topic accepts: a batch above the topic's {@code max.message.bytes}
     * is refused whole, and splitting an idempotent batch stalled the partition (OUT_OF_ORDER_SEQUENCE_NUMBER).
     */
    private KafkaProducer<String, byte[]> newProducer() {
        long accepted = entryTopic.acceptedBatchBytes();
        Map<String, Object> config = new HashMap<>(producerConfig);
        // entries are ~1 KB on the wire: the default 16 KB batches made one produce request per ~16 entries
        long batch = 256 * 1024;
        if (accepted > 0) {
            topicRecordLimit = accepted;
            batch = Math.max(1024, Math.min(batch, accepted - RECORD_FRAMING_BYTES));
        }
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, (int) batch);
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /** Room for a record batch's header and one record's framing (key, headers, varints) around its value. */
    static final int RECORD_FRAMING_BYTES = 512;

    /** Refuses a configuration whose largest accepted entry could become a record the producer refuses. */
    static void checkSizes(PublicationProperties p) {
        if (p.maxEntryBytes() < 4096) {
            throw new IllegalStateException("LEDGER_PUBLICATION_MAX_ENTRY_BYTES (" + p.maxEntryBytes() + ") must be at least 4096");
        }
        if (p.largestRecordBytes() > p.producerMaxRequestBytes()) {
            throw new IllegalStateException("LEDGER_PUBLICATION_MAX_ENTRY_BYTES (" + p.maxEntryBytes() + ") becomes Kafka records of up to "
                    + p.largestRecordBytes() + " bytes (base64 and " + PublicationProperties.RECORD_OVERHEAD_BYTES
                    + " bytes of record overhead), more than LEDGER_PUBLICATION_PRODUCER_MAX_REQUEST_BYTES (max.request.size "
                    + p.producerMaxRequestBytes() + "): lower the first or raise the second (and the topic's max.message.bytes)");
        }
    }

    /** Takes the message, not the payload: the record carries the stored bytes, so nothing is deserialized here. */
    @EventHandler(payloadType = LedgerEvent.class)
    void on(EventMessage<?> message) {
        UnitOfWork<?> batch = CurrentUnitOfWork.get().root();
        List<String> ids = batch.getOrComputeResource(BATCH, k -> {
            List<String> list = new ArrayList<>();
            List<Map.Entry<StoredEntry, ParkedEntries.ParkReason>> parked = new ArrayList<>();
            batch.onPrepareCommit(u -> publish(list, parked));
            batch.afterCommit(u -> afterCommit(parked));
            return list;
        });
        ids.add(message.getIdentifier());
    }

    private void publish(List<String> eventIds, List<Map.Entry<StoredEntry, ParkedEntries.ParkReason>> parked) {
        if (!topicReady) {
            topicReady = entryTopic.ensure();
        }
        if (producer == null) {
            producer = newProducer();
        }
        parked.clear();
        List<StoredEntry> entries = reader.byEventIds(eventIds);
        List<Future<RecordMetadata>> sent = new ArrayList<>(entries.size());
        List<Integer> sizes = new ArrayList<>(entries.size());
        for (StoredEntry entry : entries) {
            byte[] value;
            try {
                value = EntryCodec.encode(entry);
            } catch (RuntimeException unencodable) {
                parked.add(new AbstractMap.SimpleEntry<>(entry, ParkedEntries.ParkReason.of(unencodable, 0)));
                sent.add(null);
                sizes.add(0);
                continue;
            }
            if (value.length + RECORD_FRAMING_BYTES > topicRecordLimit) {
                // sent, the broker would refuse the batch holding it, and the producer's split-and-retry of an
                // idempotent batch ends in OUT_OF_ORDER_SEQUENCE_NUMBER for every record behind it
                parked.add(new AbstractMap.SimpleEntry<>(entry, ParkedEntries.ParkReason.of(new RecordTooLargeException(
                        "the record (" + value.length + " bytes) exceeds the topic's max.message.bytes (" + topicRecordLimit + ")"),
                        value.length)));
                sent.add(null);
                sizes.add(value.length);
                continue;
            }
            sent.add(producer.send(new ProducerRecord<>(topic, entry.tenantId(), value)));
            sizes.add(value.length);
        }
        producer.flush();
        try {
            for (int i = 0; i < sent.size(); i++) {
                if (sent.get(i) == null) {
                    continue;
                }
                try {
                    sent.get(i).get();
                } catch (ExecutionException e) {
                    if (!refusedForItself(e.getCause())) {
                        throw new IllegalStateException("Kafka did not acknowledge entries; the batch will be retried", e.getCause());
                    }
                    parked.add(new AbstractMap.SimpleEntry<>(entries.get(i), ParkedEntries.ParkReason.of(e.getCause(), sizes.get(i))));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing entries", e);
        }
        if (!parked.isEmpty()) {
            parkedEntries.park(parked);
        }
        recordHeads(entries);
    }

    /**
     * Kafka refused this record and would refuse it again, whatever else happens: only these are parked. Anything
     * else (a broker away, a timeout, a fenced producer, missing rights) holds the batch back and retries it.
     */
    static boolean refusedForItself(Throwable error) {
        return error instanceof RecordTooLargeException || error instanceof RecordBatchTooLargeException
                || error instanceof InvalidRecordException || error instanceof SerializationException;
    }

    /** The highest sequence of each chain in this batch, in the publisher's transaction (the token's). */
    private void recordHeads(List<StoredEntry> entries) {
        Map<String, Long> heads = new HashMap<>();
        for (StoredEntry e : entries) {
            heads.merge(e.tenantId(), e.sequence(), Math::max);
        }
        if (heads.isEmpty()) {
            return;
        }
        List<Map.Entry<String, Long>> rows = new ArrayList<>(heads.entrySet());
        jdbc.batchUpdate("insert into publication_head (tenant_id, sequence) values (?, ?) on conflict (tenant_id)"
                + " do update set sequence = greatest(publication_head.sequence, excluded.sequence)", rows, rows.size(), (ps, r) -> {
                    ps.setString(1, r.getKey());
                    ps.setLong(2, r.getValue());
                });
    }

    private void afterCommit(List<Map.Entry<StoredEntry, ParkedEntries.ParkReason>> parked) {
        if (parked.isEmpty()) {
            return;
        }
        for (Map.Entry<StoredEntry, ParkedEntries.ParkReason> p : parked) {
            log.warn("publication: entry {} of tenant {} ({} bytes) was refused by Kafka ({}); it is parked (GET"
                    + " /v1/admin/publication/parked) and publication goes on", p.getKey().sequence(), p.getKey().tenantId(),
                    p.getValue().recordBytes(), p.getValue().reason());
        }
        try {
            parkedEntries.refresh();
        } catch (RuntimeException e) {
            // the gauge is read again on the next reconciliation
        }
    }

    @PreDestroy
    void close() {
        if (producer != null) {
            producer.close(java.time.Duration.ofSeconds(5));
        }
    }
}
