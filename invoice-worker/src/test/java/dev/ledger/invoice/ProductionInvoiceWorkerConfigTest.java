package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** LEDGER_PRODUCTION=true: the invoice-worker refuses Kafka without TLS/SASL, and a start without dunning. */
class ProductionInvoiceWorkerConfigTest {

    @Test
    void givenProductionAndPlaintextKafka_thenRefused() {
        assertThatThrownBy(() -> InvoiceWorkerConfig.fromEnv(Map.of("DATABASE_URL", "postgresql://invoice_worker:pw@db:5432/ledger",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9092", "LEDGER_PRODUCTION", "true")))
                .hasMessageContaining("invoice-worker refuses to start: Kafka needs TLS or SASL");
    }

    @Test
    void givenProductionAndSaslSsl_thenTaken() {
        InvoiceWorkerConfig config = InvoiceWorkerConfig.fromEnv(Map.of("DATABASE_URL", "postgresql://invoice_worker:pw@db:5432/ledger",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9093",
                "LEDGER_PRODUCTION", "true", "KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM", "PLAIN",
                "KAFKA_SASL_JAAS_CONFIG", "x required;", "LEDGER_API_URL", "https://ledger.internal",
                "LEDGER_SERVICE_KEY", "lk_service_key"));

        assertThat(config.kafkaBootstrapServers()).isEqualTo("broker:9093");
        assertThat(config.dunning()).isTrue();
        assertThat(config.gracePolicy()).isEqualTo("P7D");
    }

    @Test
    void givenProductionWithoutTheLedgersApi_thenRefused() {
        assertThatThrownBy(() -> InvoiceWorkerConfig.fromEnv(Map.of("DATABASE_URL", "postgresql://invoice_worker:pw@db:5432/ledger",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9093", "LEDGER_PRODUCTION", "true", "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "PLAIN", "KAFKA_SASL_JAAS_CONFIG", "x required;", "LEDGER_API_URL", "https://ledger.internal")))
                .hasMessageContaining("LEDGER_API_URL and LEDGER_SERVICE_KEY are required in production")
                .hasMessageNotContaining("x required");
    }

    @Test
    void aGracePolicyThatIsNotAPeriodOfDaysOrTimeIsRefusedAtStart() {
        assertThatThrownBy(() -> InvoiceWorkerConfig.fromEnv(Map.of("DATABASE_URL", "postgresql://invoice_worker:pw@db:5432/ledger",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9092", "INVOICE_WORKER_GRACE_PERIOD", "7 days")))
                .hasMessageContaining("INVOICE_WORKER_GRACE_PERIOD");
    }
}
