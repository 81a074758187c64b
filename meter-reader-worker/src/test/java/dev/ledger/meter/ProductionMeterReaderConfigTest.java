package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** LEDGER_PRODUCTION=true: the meter-reader refuses a Stripe test key and Kafka without TLS/SASL, naming them. */
class ProductionMeterReaderConfigTest {

    private static Map<String, String> env(String... kv) {
        Map<String, String> env = new HashMap<>(Map.of(
                "DATABASE_URL", "postgresql://meter_reader:db-s3cret@db.internal:5432/ledger",
                "KAFKA_BOOTSTRAP_SERVERS", "broker.internal:9093",
                "STRIPE_API_KEY", "sk_live_0123456789",
                "LEDGER_API_URL", "https://ledger.internal",
                "LEDGER_SERVICE_KEY", "lk_service_key",
                "LEDGER_PRODUCTION", "true",
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"m\" password=\"kafka-s3cret\";"));
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] == null) {
                env.remove(kv[i]);
            } else {
                env.put(kv[i], kv[i + 1]);
            }
        }
        return env;
    }

    @Test
    void givenASafeProductionEnvironment_thenTheConfigIsTakenAndShowsNoSecret() {
        MeterReaderConfig config = MeterReaderConfig.fromEnv(env());

        assertThat(config.dbUser()).isEqualTo("meter_reader");
        assertThat(config.toString()).doesNotContain("db-s3cret", "kafka-s3cret", "sk_live_0123456789");
    }

    @Test
    void givenAStripeTestKey_thenRefused() {
        assertThatThrownBy(() -> MeterReaderConfig.fromEnv(env("STRIPE_API_KEY", "sk_test_51abcdef")))
                .hasMessageContaining("meter-reader refuses to start: STRIPE_API_KEY is a Stripe test key in production")
                .hasMessageNotContaining("sk_test_51abcdef");
    }

    @Test
    void givenKafkaWithoutTlsOrSasl_thenRefused() {
        assertThatThrownBy(() -> MeterReaderConfig.fromEnv(env("KAFKA_SECURITY_PROTOCOL", null)))
                .hasMessageContaining("Kafka needs TLS or SASL: set KAFKA_SECURITY_PROTOCOL")
                .hasMessageContaining("(required in production)");
    }

    @Test
    void givenRequireSecureOutsideProduction_thenPlaintextKafkaIsRefusedToo() {
        assertThatThrownBy(() -> MeterReaderConfig.fromEnv(env("LEDGER_PRODUCTION", null, "KAFKA_SECURITY_PROTOCOL", "PLAINTEXT",
                "LEDGER_KAFKA_REQUIRE_SECURE", "true")))
                .hasMessageContaining("Kafka needs TLS or SASL").hasMessageContaining("LEDGER_KAFKA_REQUIRE_SECURE=true");
    }

    @Test
    void givenAMalformedDatabaseUrl_thenTheRefusalNeverShowsThePassword() {
        assertThatThrownBy(() -> MeterReaderConfig.fromEnv(env("DATABASE_URL", "postgresql://meter_reader:s3cret-XYZ@db.internal:port/ledger")))
                .hasMessageContaining("DATABASE_URL is not a valid PostgreSQL URL").hasMessageNotContaining("s3cret-XYZ");
    }
}
