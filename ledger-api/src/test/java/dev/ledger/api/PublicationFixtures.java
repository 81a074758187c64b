package dev.ledger.api;

import dev.ledger.core.chain.EntryCodec;
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
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

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
            Thread.sleep(200);
            value = metric(ledger, name);
        }
        return value;
    }
}
