package dev.ledger.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Environment variables → Kafka client properties, the one mapping every Kafka client of the ledger uses. */
class ConfigKafkaClientSecurityTest {

    private static final String JAAS = "org.apache.kafka.common.security.scram.ScramLoginModule required "
            + "username=\"ledger\" password=\"jaas-s3cret\";";

    @Test
    void givenSaslSslVariables_thenEachBecomesItsKafkaPropertyAndNothingElseIsTaken() {
        KafkaClientSecurity security = KafkaClientSecurity.fromEnv(Map.of(
                "KAFKA_SECURITY_PROTOCOL", "sasl_ssl",
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG", JAAS,
                "KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/kafka/truststore.p12",
                "KAFKA_SSL_TRUSTSTORE_PASSWORD", "trust-s3cret",
                "KAFKA_SSL_KEYSTORE_LOCATION", "/etc/kafka/keystore.p12",
                "KAFKA_SSL_KEYSTORE_PASSWORD", "store-s3cret",
                "KAFKA_SSL_KEY_PASSWORD", "key-s3cret",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9093",
                "DATABASE_URL", "postgresql://x:y@h/db"));

        assertThat(security.clientProperties()).containsExactlyInAnyOrderEntriesOf(Map.of(
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "SCRAM-SHA-512",
                "sasl.jaas.config", JAAS,
                "ssl.truststore.location", "/etc/kafka/truststore.p12",
                "ssl.truststore.password", "trust-s3cret",
                "ssl.keystore.location", "/etc/kafka/keystore.p12",
                "ssl.keystore.password", "store-s3cret",
                "ssl.key.password", "key-s3cret"));
        assertThat(security.secure()).isTrue();
        assertThat(security.insecurity()).isNull();
    }

    @Test
    void givenSecrets_thenToStringShowsTheSettingsButNoSecret() {
        KafkaClientSecurity security = KafkaClientSecurity.fromEnv(Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM", "PLAIN", "KAFKA_SASL_JAAS_CONFIG", JAAS,
                "KAFKA_SSL_TRUSTSTORE_PASSWORD", "trust-s3cret", "KAFKA_SSL_KEYSTORE_PASSWORD", "store-s3cret",
                "KAFKA_SSL_KEY_PASSWORD", "key-s3cret", "KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/kafka/truststore.p12"));

        assertThat(security.toString()).contains("security.protocol=SASL_SSL", "sasl.mechanism=PLAIN",
                        "ssl.truststore.location=/etc/kafka/truststore.p12", "sasl.jaas.config=***", "ssl.key.password=***")
                .doesNotContain("s3cret");
    }

    @Test
    void givenNothingOrPlaintext_thenNoPropertiesAndTheServiceIsToldWhatToSet() {
        assertThat(KafkaClientSecurity.fromEnv(Map.of()).clientProperties()).isEmpty();
        assertThat(KafkaClientSecurity.fromEnv(Map.of()).insecurity()).contains("KAFKA_SECURITY_PROTOCOL");
        assertThat(KafkaClientSecurity.fromEnv(Map.of("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")).secure()).isFalse();
        assertThat(KafkaClientSecurity.fromEnv(Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")).insecurity())
                .as("SASL without TLS sends its credentials in clear").contains("SSL or SASL_SSL");
        assertThat(KafkaClientSecurity.fromEnv(Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")).insecurity())
                .contains("KAFKA_SASL_MECHANISM", "KAFKA_SASL_JAAS_CONFIG");
        assertThatThrownBy(() -> KafkaClientSecurity.fromEnv(Map.of("KAFKA_SECURITY_PROTOCOL", "TLS")))
                .hasMessageContaining("KAFKA_SECURITY_PROTOCOL");
    }
}
