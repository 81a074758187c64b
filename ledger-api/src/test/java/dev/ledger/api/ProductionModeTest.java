package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.api.config.LedgerProperties;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * LEDGER_PRODUCTION=true refuses each unsafe setting with a message naming it (and never its secret value); a safe
 * production configuration starts.
 */
class ProductionModeTest {

    private static final String JAAS = "org.apache.kafka.common.security.plain.PlainLoginModule required "
            + "username=\"ledger\" password=\"kafka-s3cret\";";

    /** Everything right for production; each test spoils one setting. */
    private static Map<String, Object> safe() {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        Map<String, Object> p = new HashMap<>();
        p.put("ledger.production", "true");
        p.put("ledger.admin-key", "lk_admin_" + HexFormat.of().formatHex(key));
        p.put("ledger.key-pepper", "a-production-pepper-of-forty-characters!");
        p.put("ledger.cors-origins", "https://console.example.com");
        p.put("KAFKA_SECURITY_PROTOCOL", "SASL_SSL");
        p.put("KAFKA_SASL_MECHANISM", "PLAIN");
        p.put("KAFKA_SASL_JAAS_CONFIG", JAAS);
        try {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            p.put("ledger.checkpoint.private-key", Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()));
            p.put("ledger.checkpoint.public-key", Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        return p;
    }

    private static Map<String, Object> safeBut(String... kv) {
        Map<String, Object> p = safe();
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i + 1] == null) {
                p.remove(kv[i]);
            } else {
                p.put(kv[i], kv[i + 1]);
            }
        }
        return p;
    }

    private static void refused(Map<String, Object> settings, String message, String... secrets) {
        assertThatThrownBy(() -> RunningLedger.start(SharedInfrastructure.get(), settings).close())
                .satisfies(e -> {
                    StringBuilder all = new StringBuilder();
                    for (Throwable t = e; t != null; t = t.getCause()) {
                        all.append(t.getMessage()).append('\n');
                    }
                    assertThat(all).contains("ledger-api refuses to start").contains(message);
                    for (String secret : secrets) {
                        assertThat(all).doesNotContain(secret);
                    }
                });
    }

    @Test
    void givenASafeProductionConfiguration_thenTheLedgerStartsWithItsKafkaSecurityAndShowsNoSecret() throws Exception {
        Map<String, Object> settings = safe();
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), settings)) {
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(ledger.url() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);

            LedgerProperties props = ledger.context().getBean(LedgerProperties.class);
            assertThat(props.kafkaSecurity().clientProperties()).containsEntry("security.protocol", "SASL_SSL")
                    .containsEntry("sasl.mechanism", "PLAIN").containsEntry("sasl.jaas.config", JAAS);
            assertThat(props.toString()).contains("security.protocol=SASL_SSL")
                    .doesNotContain("kafka-s3cret", settings.get("ledger.admin-key").toString(), settings.get("ledger.key-pepper").toString());
        }
    }

    @Test
    void givenAWebhookSecretThatIsNotStripes_thenRefusedWithoutShowingIt() {
        refused(safeBut("ledger.stripe.webhook.secrets", "whsec_Real0123456789abcdefXYZ,hunter2-webhook-password"),
                "LEDGER_STRIPE_WEBHOOK_SECRETS holds a value that is not a Stripe signing secret", "hunter2-webhook-password",
                "whsec_Real0123456789abcdefXYZ");
    }

    @Test
    void givenTheDefaultPepper_thenRefused() {
        refused(safeBut("ledger.key-pepper", "local-development-pepper"), "LEDGER_KEY_PEPPER is the local-development default");
    }

    @Test
    void givenAShortPepper_thenRefused() {
        refused(safeBut("ledger.key-pepper", "short-pepper-0123456"), "LEDGER_KEY_PEPPER is too short for production",
                "short-pepper-0123456");
    }

    @Test
    void givenThePatternedTestAdminKey_thenRefused() {
        refused(safeBut("ledger.admin-key", RunningLedger.ADMIN_KEY), "LEDGER_ADMIN_KEY is a default or patterned key",
                RunningLedger.ADMIN_KEY);
    }

    @Test
    void givenAShortAdminKey_thenRefused() {
        String key = "lk_admin_" + "5f0c9a7e31d24b86a1e07c3d9f2b6e48";
        refused(safeBut("ledger.admin-key", key), "LEDGER_ADMIN_KEY is too short for production", key);
    }

    @Test
    void givenNoCorsAllowlist_thenRefused() {
        refused(safeBut("ledger.cors-origins", ""), "LEDGER_CORS_ORIGINS must list the browser origins allowed in production");
    }

    @Test
    void givenAWildcardCorsOrigin_thenRefused() {
        refused(safeBut("ledger.cors-origins", "https://console.example.com,*"), "LEDGER_CORS_ORIGINS may not contain '*'");
    }

    @Test
    void givenKafkaWithoutTlsOrSasl_thenRefused() {
        refused(safeBut("KAFKA_SECURITY_PROTOCOL", null, "KAFKA_SASL_MECHANISM", null, "KAFKA_SASL_JAAS_CONFIG", null),
                "Kafka needs TLS or SASL: set KAFKA_SECURITY_PROTOCOL");
    }

    @Test
    void givenSaslWithoutItsCredentials_thenRefusedWithoutShowingThem() {
        refused(safeBut("KAFKA_SASL_MECHANISM", null), "Kafka SASL needs KAFKA_SASL_MECHANISM and KAFKA_SASL_JAAS_CONFIG",
                "kafka-s3cret");
    }

    @Test
    void givenActuatorEndpointsBeyondHealthAndMetrics_thenRefused() {
        refused(safeBut("management.endpoints.web.exposure.include", "health,prometheus,env,beans"),
                "actuator endpoints beyond health, metrics and prometheus are exposed in production: [env, beans]");
    }

    @Test
    void givenTheOwnerAsDatabaseLogin_thenRefused() {
        refused(safeBut("DATABASE_URL", SharedInfrastructure.get().postgres.databaseUrl()),
                "is connected to PostgreSQL as 'postgres', a superuser");
    }
}
