package dev.ledger.api.config;

import dev.ledger.core.config.KafkaClientSecurity;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Typed settings of ledger-api (documented in the README table).
 *
 * @param adminKey      the admin key ({@code LEDGER_ADMIN_KEY})
 * @param keyPepper     per-deployment secret mixed into every stored key hash ({@code LEDGER_KEY_PEPPER})
 * @param production    production mode: refuses unsafe settings at start ({@code LEDGER_PRODUCTION})
 * @param kafkaBootstrapServers Kafka to publish entries to ({@code KAFKA_BOOTSTRAP_SERVERS})
 * @param entriesTopic  topic of published entries
 * @param corsOrigins   browser origins allowed to call the API ({@code LEDGER_CORS_ORIGINS}, comma-separated); empty:
 *                      no cross-origin call is allowed; required and never "*" in production
 * @param kafkaRequireSecure refuse to start without TLS/SASL Kafka settings ({@code LEDGER_KAFKA_REQUIRE_SECURE});
 *                      always so in production
 * @param kafkaClient   Kafka client security properties, filled by {@link KafkaSecurityEnvironment} from the
 *                      {@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SSL_*} and {@code KAFKA_SASL_*} variables
 */
@ConfigurationProperties(prefix = "ledger")
public record LedgerProperties(String adminKey, String keyPepper, @DefaultValue("false") boolean production,
                               @DefaultValue("127.0.0.1:19092") String kafkaBootstrapServers,
                               @DefaultValue("ledger.entries") String entriesTopic,
                               @DefaultValue List<String> corsOrigins,
                               @DefaultValue("false") boolean kafkaRequireSecure,
                               @DefaultValue Map<String, String> kafkaClient) {

    /**
     * The Kafka TLS/SASL client settings ({@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SSL_*}, {@code KAFKA_SASL_*}),
     * for every Kafka client of the service: {@code new KafkaProducer<>(props.kafkaSecurity().with(Map.of(...)))}.
     */
    public KafkaClientSecurity kafkaSecurity() {
        return KafkaClientSecurity.of(kafkaClient);
    }

    /** Without the admin key, the pepper or any Kafka secret. */
    @Override
    public String toString() {
        return "LedgerProperties[adminKey=" + (adminKey == null || adminKey.isEmpty() ? "unset" : "***")
                + ", keyPepper=" + (keyPepper == null || keyPepper.isEmpty() ? "unset" : "***") + ", production=" + production
                + ", kafkaBootstrapServers=" + kafkaBootstrapServers + ", entriesTopic=" + entriesTopic
                + ", corsOrigins=" + corsOrigins + ", kafkaRequireSecure=" + kafkaRequireSecure + ", kafka=" + kafkaSecurity() + "]";
    }
}
