package dev.ledger.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.ops.kafka.LocalKafka;
import dev.ledger.ops.postgres.LocalPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

class LocalInfrastructureTest {

    @Test
    void postgresStartsDurableAndKeepsDataAcrossRestarts() throws Exception {
        Path dir = Files.createTempDirectory("pg-test");
        try (LocalPostgres pg = LocalPostgres.start(dir, 0)) {
            assertThat(pg.durabilitySettings()).isEqualTo("fsync=on synchronous_commit=on");
            assertThat(pg.serverSettings()).as("the write-heavy settings, as the server reports them")
                    .isEqualTo(LocalPostgres.SERVER_SETTINGS);
            try (Connection c = DriverManager.getConnection(pg.jdbcUrl())) {
                c.createStatement().execute("create table kept (v int); insert into kept values (42)");
            }
        }
        try (LocalPostgres pg = LocalPostgres.start(dir, 0);
             Connection c = DriverManager.getConnection(pg.jdbcUrl());
             ResultSet rs = c.createStatement().executeQuery("select v from kept")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(1)).isEqualTo(42);
        }
    }

    @Test
    void kafkaBrokerDeliversARecordAndKeepsItAcrossRestarts() throws Exception {
        Path dir = Files.createTempDirectory("kafka-test");
        try (LocalKafka kafka = LocalKafka.start(dir, 0);
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                     "enable.idempotence", "true", "acks", "all"), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>("t", "k", "hello")).get();
        }
        try (LocalKafka kafka = LocalKafka.start(dir, 0);
             KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", kafka.bootstrapServers(),
                     "group.id", "g", "auto.offset.reset", "earliest", "isolation.level", "read_committed"),
                     new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("t"));
            String seen = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (seen == null && System.nanoTime() < deadline) {
                ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(500));
                if (!records.isEmpty()) {
                    seen = records.iterator().next().value();
                }
            }
            assertThat(seen).isEqualTo("hello");
        }
    }

    /**
     * A fixture that sends and flushes goes on even when a send failed, then waits for records that never come (a CI
     * run timed out so, 30 s later, with no word of why). {@code sendAll} fails at once and says which sends failed.
     */
    @Test
    void sendAllFailsWhenTheBrokerDidNotTakeEveryRecord() throws Exception {
        try (LocalKafka kafka = LocalKafka.start(null, 0);
             org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(
                     Map.of("bootstrap.servers", kafka.bootstrapServers()));
             KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of("bootstrap.servers",
                     kafka.bootstrapServers(), "acks", "all"), new StringSerializer(), new StringSerializer())) {
            LocalKafka.createTopics(admin, List.of(new org.apache.kafka.clients.admin.NewTopic("small", 2, (short) 1)
                    .configs(Map.of("max.message.bytes", "1024"))));
            LocalKafka.sendAll(producer, List.of(new ProducerRecord<>("small", 0, "k", "fits"),
                    new ProducerRecord<>("small", 1, "k", "fits too")));
            List<ProducerRecord<String, String>> oneTooLarge = List.of(new ProducerRecord<>("small", 0, "k", "fits"),
                    new ProducerRecord<>("small", 1, "k", "x".repeat(4096)));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> LocalKafka.sendAll(producer, oneTooLarge))
                    .isInstanceOf(IllegalStateException.class).hasMessage("1 of 2 records were not written")
                    .cause().isInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class);
        }
    }

    /** docs/postgresql.md tells an operator of an external database the settings the embedded server runs with. */
    @Test
    void thePostgresqlDocumentListsExactlyTheSettingsTheLocalServerRunsWith() throws Exception {
        java.util.Map<String, String> documented = new java.util.LinkedHashMap<>();
        java.util.regex.Matcher row = java.util.regex.Pattern.compile("(?m)^\\| `([a-z_]+)` \\| `([^`]+)` \\|")
                .matcher(Files.readString(Path.of("../docs/postgresql.md")));
        while (row.find()) {
            documented.put(row.group(1), row.group(2));
        }
        assertThat(documented).isEqualTo(LocalPostgres.SERVER_SETTINGS);
    }
}
