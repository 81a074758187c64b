package dev.ledger.system;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.LedgerClient;
import dev.ledger.api.RunningLedger;
import dev.ledger.api.SharedInfrastructure;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.trace.RequestId;
import dev.ledger.follower.ChainFollower;
import dev.ledger.invoice.InvoiceWorker;
import dev.ledger.invoice.InvoiceWorkerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A request id follows an entry: the caller's {@code X-Request-Id} is answered, travels in the entry's Kafka record
 * header, and the worker's log line about that entry carries it; a request without one (or with one that is not a
 * plain id) gets an id of the ledger's own, followed the same way.
 */
class RequestIdEndToEndTest {

    @Test
    void givenARequestIdWhenAnEvaluationIsRecordedThenItReachesTheKafkaHeaderAndTheWorkersLogLine() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String topic = "request-id." + System.nanoTime();
        Logger followerLog = (Logger) LoggerFactory.getLogger(ChainFollower.class);
        Level before = followerLog.getLevel();
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        try (RunningLedger ledger = RunningLedger.start(infra, Map.of("ledger.entries-topic", topic))) {
            // after the ledger's start: Spring Boot configures logging anew when a context starts
            followerLog.addAppender(lines);
            followerLog.setLevel(Level.DEBUG);
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String tenant = "reqid-" + System.nanoTime() % 100_000_000;
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Request ids")).status()).isEqualTo(201);
            String key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write")))
                    .body().get("key").asText();
            Map<String, String> env = new HashMap<>();
            env.put("DATABASE_URL", infra.postgres.jdbcUrl());
            env.put("KAFKA_BOOTSTRAP_SERVERS", infra.kafka.bootstrapServers());
            env.put("INVOICE_WORKER_PORT", "0");
            env.put("INVOICE_WORKER_TOPIC", topic);
            env.put("INVOICE_WORKER_GROUP", "request-id-" + UUID.randomUUID());
            try (var worker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(env))) {
                HttpResponse<String> given = evaluate(ledger.url(), key, "ev-given", "req-from-caller.1");
                HttpResponse<String> none = evaluate(ledger.url(), key, "ev-none", null);
                HttpResponse<String> forged = evaluate(ledger.url(), key, "ev-forged", "two words\tand a tab");
                for (HttpResponse<String> r : List.of(given, none, forged)) {
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                }
                assertThat(given.headers().firstValue(RequestId.HTTP_HEADER)).hasValue("req-from-caller.1");
                String ours = none.headers().firstValue(RequestId.HTTP_HEADER).orElseThrow();
                String replaced = forged.headers().firstValue(RequestId.HTTP_HEADER).orElseThrow();
                assertThat(ours).matches("req_[0-9a-f]{32}");
                assertThat(replaced).matches("req_[0-9a-f]{32}").isNotEqualTo(ours);

                Map<Long, String> expected = Map.of(sequence(given), "req-from-caller.1", sequence(none), ours,
                        sequence(forged), replaced);
                // on the topic: each entry's record carries its request's id
                Map<Long, String> onKafka = headers(infra, topic, tenant, expected.size());
                assertThat(onKafka).containsAllEntriesOf(expected);
                // and the worker's line about each entry names it
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (System.nanoTime() < deadline && !loggedAll(lines, tenant, expected)) {
                    java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
                }
                assertThat(loggedAll(lines, tenant, expected)).as("worker log lines with request ids: " + expected + " in "
                        + lines.list.stream().filter(ev -> ev.getFormattedMessage().contains(tenant))
                        .map(ev -> ev.getFormattedMessage() + " " + ev.getMDCPropertyMap()).toList()).isTrue();
            }
        } finally {
            followerLog.detachAppender(lines);
            followerLog.setLevel(before);
        }
    }

    private static HttpResponse<String> evaluate(String url, String key, String id, String requestId) throws Exception {
        String body = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(LedgerClient.evaluation(id));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/v1/evaluations"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .header("Idempotency-Key", id).POST(HttpRequest.BodyPublishers.ofString(body));
        if (requestId != null) {
            b.header(RequestId.HTTP_HEADER, requestId);
        }
        return HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static long sequence(HttpResponse<String> r) {
        JsonNode body = LedgerClient.parse(r.body());
        return body.get("sequence").asLong();
    }

    private static Map<Long, String> headers(SharedInfrastructure infra, String topic, String tenant, int wanted) {
        Map<Long, String> found = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", infra.kafka.bootstrapServers(),
                "group.id", "request-id-check-" + UUID.randomUUID(), "auto.offset.reset", "earliest"),
                new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (System.nanoTime() < deadline && found.size() < wanted) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    var entry = EntryCodec.decode(r.value());
                    Header h = r.headers().lastHeader(RequestId.HEADER);
                    if (entry.tenantId().equals(tenant) && h != null) {
                        found.put(entry.sequence(), new String(h.value(), StandardCharsets.US_ASCII));
                    }
                }
            }
        }
        return found;
    }

    private static boolean loggedAll(ListAppender<ILoggingEvent> lines, String tenant, Map<Long, String> expected) {
        List<ILoggingEvent> events = List.copyOf(lines.list);
        for (Map.Entry<Long, String> e : expected.entrySet()) {
            String text = "tenant \"" + tenant + "\" entry " + e.getKey() + " verified";
            boolean seen = events.stream().anyMatch(ev -> ev.getFormattedMessage().contains(text)
                    && e.getValue().equals(ev.getMDCPropertyMap().get(RequestId.LOG_KEY)));
            if (!seen) {
                return false;
            }
        }
        return true;
    }
}
