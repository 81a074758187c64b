package dev.ledger.api.chain;

import dev.ledger.api.config.LedgerProperties;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.messages.LedgerEvent;
import jakarta.annotation.PreDestroy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import dev.ledger.core.config.KafkaClientSecurity;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.EventMessage;
import org.axonframework.messaging.unitofwork.CurrentUnitOfWork;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.springframework.stereotype.Component;

/**
 * The event store is the outbox: a tracking processor reads committed entries in order and publishes each, with
 * its stored bytes and chain link, to Kafka (key = tenant id, idempotent producer). A batch's token only advances
 * after Kafka acknowledged every record of it, so delivery is at least once; consumers dedupe on (tenant, sequence).
 */
@Component
@ProcessingGroup(EntryPublisher.GROUP)
public class EntryPublisher {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EntryPublisher.class);

    public static final String GROUP = "kafka-publisher";
    private static final String BATCH = EntryPublisher.class.getName() + ".batch";

    private final EntryReader reader;
    private final KafkaProducer<String, byte[]> producer;
    private final String topic;
    private final String bootstrapServers;
    private final KafkaClientSecurity kafkaSecurity;
    /** Publisher thread only. */
    private boolean topicReady;

    public EntryPublisher(EntryReader reader, LedgerProperties props) {
        this.reader = reader;
        this.topic = props.entriesTopic();
        this.bootstrapServers = props.kafkaBootstrapServers();
        this.kafkaSecurity = props.kafkaSecurity();
        this.producer = new KafkaProducer<>(props.kafkaSecurity().with(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, props.kafkaBootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5,
                // entries are ~1 KB on the wire: the default 16 KB batches made one produce request per ~16 entries
                ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024,
                ProducerConfig.CLIENT_ID_CONFIG, "ledger-api-publisher",
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000)),
                new StringSerializer(), new ByteArraySerializer());
    }

    /** Takes the message, not the payload: the record carries the stored bytes, so nothing is deserialized here. */
    @EventHandler(payloadType = LedgerEvent.class)
    void on(EventMessage<?> message) {
        UnitOfWork<?> batch = CurrentUnitOfWork.get().root();
        List<String> ids = batch.getOrComputeResource(BATCH, k -> {
            List<String> list = new ArrayList<>();
            batch.onPrepareCommit(u -> publish(list));
            return list;
        });
        ids.add(message.getIdentifier());
    }

    private void publish(List<String> eventIds) {
        if (!topicReady) {
            topicReady = ensureTopic();
        }
        List<Future<RecordMetadata>> sent = new ArrayList<>(eventIds.size());
        for (StoredEntry entry : reader.byEventIds(eventIds)) {
            sent.add(producer.send(new ProducerRecord<>(topic, entry.tenantId(), EntryCodec.encode(entry))));
        }
        producer.flush();
        try {
            for (Future<RecordMetadata> f : sent) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing entries", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Kafka did not acknowledge entries; the batch will be retried", e.getCause());
        }
    }

    /**
     * Creates the topic before the first record when it is missing (the broker's default partitions and replication),
     * so the idempotent producer never races the broker's auto-creation (that race answered NOT_LEADER_OR_FOLLOWER and
     * then OUT_OF_ORDER_SEQUENCE_NUMBER for half a minute). Best effort: Kafka being away only delays publication.
     */
    private boolean ensureTopic() {
        try (Admin admin = Admin.create(kafkaSecurity.with(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                AdminClientConfig.CLIENT_ID_CONFIG, "ledger-api-topics")))) {
            if (admin.listTopics().names().get(10, TimeUnit.SECONDS).contains(topic)) {
                return true;
            }
            admin.createTopics(List.of(new NewTopic(topic, Optional.empty(), Optional.empty()))).all().get(10, TimeUnit.SECONDS);
            log.info("created Kafka topic {}", topic);
            return true;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                return true;
            }
            log.warn("could not create Kafka topic {} ({}); publishing anyway", topic, e.getCause().getClass().getSimpleName());
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (TimeoutException | KafkaException e) {
            log.warn("could not create Kafka topic {} ({}); publishing anyway", topic, e.getClass().getSimpleName());
            return false;
        }
    }

    @PreDestroy
    void close() {
        producer.close(java.time.Duration.ofSeconds(5));
    }
}
