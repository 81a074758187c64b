package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** LEDGER_PRODUCTION=true: the invoice-worker refuses Kafka without TLS/SASL, a start without dunning or reconciliation. */
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
                "LEDGER_SERVICE_KEY", "lk_service_key", "STRIPE_API_KEY", "rk_live_0123456789"));

        assertThat(config.kafkaBootstrapServers()).isEqualTo("broker:9093");
        assertThat(config.dunning()).isTrue();
        assertThat(config.reconciles()).isTrue();
        assertThat(config.toString()).doesNotContain("rk_live_0123456789").doesNotContain("lk_service_key");
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
    void givenProductionWithoutAStripeKey_thenRefused() {
        assertThatThrownBy(() -> InvoiceWorkerConfig.fromEnv(production(Map.of())))
                .hasMessageContaining("STRIPE_API_KEY is required in production");
    }

    @Test
    void givenProductionWithAStripeTestKey_thenRefusedWithoutNamingIt() {
        assertThatThrownBy(() -> InvoiceWorkerConfig.fromEnv(production(Map.of("STRIPE_API_KEY", "sk_test_51secretvalue"))))
                .hasMessageContaining("STRIPE_API_KEY is a Stripe test key in production")
                .hasMessageNotContaining("sk_test_51secretvalue");
    }

    @Test
    void theLocalPlaceholderKeyWithoutAnApiBaseIsRefused_forItWouldCallStripeItself() {
        assertThatThrownBy(() -> InvoiceWorkerConfig.fromEnv(Map.of("DATABASE_URL", "postgresql://invoice_worker:pw@db:5432/ledger",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9092", "LEDGER_API_URL", "http://127.0.0.1:8080",
                "LEDGER_SERVICE_KEY", "lk_service_key", "STRIPE_API_KEY", "sk_test_local")))
                .hasMessageContaining("STRIPE_API_BASE is unset");
    }

    @Test
    void reconciliationWithoutTheLedgersApiIsRefused_forItRecordsThroughIt() {
        assertThatThrownBy(() -> InvoiceWorkerConfig.fromEnv(Map.of("DATABASE_URL", "postgresql://invoice_worker:pw@db:5432/ledger",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9092", "STRIPE_API_BASE", "http://127.0.0.1:12111")))
                .hasMessageContaining("set LEDGER_API_URL and LEDGER_SERVICE_KEY too");
    }

    private static Map<String, String> production(Map<String, String> more) {
        Map<String, String> env = new java.util.HashMap<>(Map.of("DATABASE_URL", "postgresql://invoice_worker:pw@db:5432/ledger",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9093", "LEDGER_PRODUCTION", "true", "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "PLAIN", "KAFKA_SASL_JAAS_CONFIG", "x required;", "LEDGER_API_URL", "https://ledger.internal",
                "LEDGER_SERVICE_KEY", "lk_service_key"));
        env.putAll(more);
        return env;
    }

    @Test
    void aGracePolicyThatIsNotAPeriodOfDaysOrTimeIsRefusedAtStart() {
        assertThatThrownBy(() -> InvoiceWorkerConfig.fromEnv(Map.of("DATABASE_URL", "postgresql://invoice_worker:pw@db:5432/ledger",
                "KAFKA_BOOTSTRAP_SERVERS", "broker:9092", "INVOICE_WORKER_GRACE_PERIOD", "7 days")))
                .hasMessageContaining("INVOICE_WORKER_GRACE_PERIOD");
    }
}
