package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The settings added for v2 streams and the operator endpoints: defaults, accepted values, refusals. */
class MeterReaderConfigTest {

    static Map<String, String> env(String... kv) {
        Map<String, String> env = new HashMap<>(Map.of(
                "DATABASE_URL", "jdbc:postgresql://127.0.0.1:5432/ledger",
                "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
                "STRIPE_API_BASE", "http://127.0.0.1:12111",
                "LEDGER_API_URL", "http://127.0.0.1:8080",
                "LEDGER_SERVICE_KEY", "lk_service_key"));
        for (int i = 0; i < kv.length; i += 2) {
            env.put(kv[i], kv[i + 1]);
        }
        return env;
    }

    @Test
    void givenNoModeOrToken_thenV1AndOperatorEndpointsOff() {
        MeterReaderConfig config = MeterReaderConfig.fromEnv(env());

        assertThat(config.meterEvents()).isEqualTo(MeterEventsMode.V1);
        assertThat(config.adminToken()).isNull();
        assertThat(config.toString()).contains("meterEvents=V1", "adminToken=unset", "consumers=2");
        assertThat(config.sessionTimeout()).isEqualTo(java.time.Duration.ofSeconds(45));
    }

    @Test
    void givenASessionTimeout_thenTheConsumersUseItWithinKafkasBounds() {
        assertThat(MeterReaderConfig.fromEnv(env("METER_READER_SESSION_TIMEOUT_SECONDS", "10")).sessionTimeout())
                .isEqualTo(java.time.Duration.ofSeconds(10));
        assertThatThrownBy(() -> MeterReaderConfig.fromEnv(env("METER_READER_SESSION_TIMEOUT_SECONDS", "5")))
                .hasMessageContaining("METER_READER_SESSION_TIMEOUT_SECONDS");
        assertThatThrownBy(() -> MeterReaderConfig.fromEnv(env("METER_READER_SESSION_TIMEOUT_SECONDS", "1801")))
                .hasMessageContaining("METER_READER_SESSION_TIMEOUT_SECONDS");
        var props = dev.ledger.follower.FollowerKafka.consumerProperties("k:9092", "g", "c", 10, 100,
                java.time.Duration.ofSeconds(10), dev.ledger.core.config.KafkaClientSecurity.fromEnv(java.util.Map.of()));
        assertThat(props).containsEntry("session.timeout.ms", 10_000).containsEntry("heartbeat.interval.ms", 3_000);
    }

    @Test
    void givenV2AndALongToken_thenBothAreTakenAndTheTokenNeverShows() {
        String token = "a".repeat(MeterReaderConfig.MIN_ADMIN_TOKEN);

        MeterReaderConfig config = MeterReaderConfig.fromEnv(env("METER_EVENTS_MODE", "v2",
                "METER_READER_ADMIN_TOKEN", token));

        assertThat(config.meterEvents()).isEqualTo(MeterEventsMode.V2);
        assertThat(config.adminToken()).isEqualTo(token);
        assertThat(config.toString()).contains("meterEvents=V2", "adminToken=set").doesNotContain(token);
    }

    @Test
    void givenAnUnknownModeOrAShortToken_thenTheWorkerRefusesToStart() {
        assertThatThrownBy(() -> MeterReaderConfig.fromEnv(env("METER_EVENTS_MODE", "v3")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("METER_EVENTS_MODE");
        assertThatThrownBy(() -> MeterReaderConfig.fromEnv(env("METER_READER_CONSUMERS", "0")))
                .hasMessageContaining("METER_READER_CONSUMERS");
        assertThatThrownBy(() -> MeterReaderConfig.fromEnv(env("METER_READER_CONSUMERS", "17")))
                .hasMessageContaining("METER_READER_CONSUMERS");
        assertThatThrownBy(() -> MeterReaderConfig.fromEnv(env("METER_READER_ADMIN_TOKEN", "secret")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("METER_READER_ADMIN_TOKEN");
    }
}
