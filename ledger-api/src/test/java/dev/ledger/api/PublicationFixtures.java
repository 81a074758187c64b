package dev.ledger.api;

import dev.ledger.core.audit.AdminActionRecorded;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.Sha256;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.messages.LedgerJson;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import dev.ledger.core.chain.StoredEntry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.axonframework.common.DateTimeUtils;

/** What the publication tests share: reading a topic as a worker would, and a ledger's metrics as Prometheus would. */
public final class PublicationFixtures {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private PublicationFixtures() {
    }

    static KafkaConsumer<String, byte[]> consumer(String topic) {
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", SharedInfrastructure.get().kafka.bootstrapServers(),
                "group.id", "t-" + UUID.randomUUID(), "auto.offset.reset", "earliest", "max.poll.records", 5000),
                new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    /** Polls into {@code seen} ("tenant#sequence") until {@code done} holds or the time is up. */
    static void await(KafkaConsumer<String, byte[]> consumer, Duration within, Predicate<Set<String>> done, Set<String> seen) {
        long deadline = System.nanoTime() + within.toNanos();
        while (!done.test(seen) && System.nanoTime() < deadline) {
            for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(300))) {
                StoredEntry e = EntryCodec.decode(r.value());
                seen.add(e.tenantId() + "#" + e.sequence());
            }
        }
    }

    /** The value of a metric without labels on the ledger's Prometheus endpoint, or -1 when it is not there. */
    public static double metric(RunningLedger ledger, String name) throws Exception {
        String text = HTTP.send(HttpRequest.newBuilder(URI.create(ledger.url() + "/actuator/prometheus"))
                .header("Authorization", "Bearer " + RunningLedger.ADMIN_KEY).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String line : text.split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }

    /** Waits until the metric satisfies {@code done}; answers its last value. */
    static double awaitMetric(RunningLedger ledger, String name, java.util.function.DoublePredicate done, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        double value = metric(ledger, name);
        while (!done.test(value) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(200_000_000L);
            value = metric(ledger, name);
        }
        return value;
    }

    /**
     * What an append writes for a tenant's first entry, with a valid link, in the caller's open transaction: it takes
     * its global index now and becomes visible when the caller commits (or never, when it rolls back).
     */
    static void insertFirstEntry(Connection c, String tenant) throws Exception {
        insertFirstEntry(c, tenant, EntryTypes.nameOf(AdminActionRecorded.class),
                LedgerJson.mapper().writeValueAsBytes(new AdminActionRecorded(tenant, "ops", "held", "append", Map.of())),
                "{\"actor\":\"admin\"}".getBytes(StandardCharsets.UTF_8));
    }

    /** A tenant's first entry stored under {@code type} (revision 1), linked and hashed as an append stores it. */
    static void insertFirstEntry(Connection c, String tenant, String type, byte[] payload, byte[] metadata) throws Exception {
        String eventId = UUID.randomUUID().toString();
        String revision = "1";
        String recordedAt = DateTimeUtils.formatInstant(Instant.now());
        byte[] prev = EntryFraming.genesis();
        byte[] hash = EntryFraming.hash(tenant, 1, eventId, type, revision, recordedAt, Sha256.of(payload),
                Sha256.of(metadata), prev);
        try (PreparedStatement ps = c.prepareStatement("insert into domain_event_entry (event_identifier, aggregate_identifier,"
                + " sequence_number, type, time_stamp, payload_type, payload_revision, payload, meta_data, prev_hash, entry_hash)"
                + " values (?, ?, 0, 'TenantLedger', ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, eventId);
            ps.setString(2, tenant);
            ps.setString(3, recordedAt);
            ps.setString(4, type);
            ps.setString(5, revision);
            ps.setBytes(6, payload);
            ps.setBytes(7, metadata);
            ps.setBytes(8, prev);
            ps.setBytes(9, hash);
            ps.executeUpdate();
        }
    }
}
