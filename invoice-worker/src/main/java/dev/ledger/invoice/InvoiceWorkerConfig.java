package dev.ledger.invoice;

import dev.ledger.core.config.DatabaseUrl;
import dev.ledger.core.config.KafkaClientSecurity;
import java.time.Duration;
import java.util.Map;

/**
 * The invoice-worker's settings, validated at start-up.
 *
 * @param database          its own database login (DATABASE_URL): its offsets, chain positions and usage live there
 * @param migrationDatabase the owner's login for its migrations (LEDGER_MIGRATION_DATABASE_URL), or null: its own
 * @param httpPort          0 for any free port (tests)
 * @param gapWait           how long entries ahead of a missing sequence wait for it before the tenant's chain breaks
 * @param maxHeldPerTenant  how many entries of one tenant may wait for a missing sequence (more breaks its chain)
 * @param ledgerApiUrl      the ledger's API, where dunning records its steps (LEDGER_API_URL), or null: no dunning
 * @param ledgerServiceKey  the service key (billing:write) dunning calls it with (LEDGER_SERVICE_KEY), or null
 * @param gracePolicy       how long a PAST_DUE tenant keeps recording before it is suspended (ISO-8601, P7D)
 * @param dunningInterval   how often dunning looks at its work list and at due grace periods
 * @param stripeApiKey      the key the reconciliation pass reads Stripe's events with (STRIPE_API_KEY; a restricted
 *                          key with read access to events is enough), or null: no reconciliation
 * @param stripeApiBase     where stripe-java sends its calls (STRIPE_API_BASE), or null: Stripe itself
 * @param sessionTimeout    how long the consumer group waits for a killed worker before its partitions move
 *                          (INVOICE_WORKER_SESSION_TIMEOUT_SECONDS, 45; 6 to 1800)
 * @param reconcileInterval how often the reconciliation pass asks Stripe for invoice events whose webhook never came
 */
public record InvoiceWorkerConfig(DatabaseUrl database, DatabaseUrl migrationDatabase, String kafkaBootstrapServers,
                                  String topic, String consumerGroup, int httpPort, Duration gapWait, int maxHeldPerTenant,
                                  java.net.URI ledgerApiUrl, String ledgerServiceKey, String gracePolicy,
                                  Duration dunningInterval, String stripeApiKey, String stripeApiBase,
                                  Duration reconcileInterval, Duration sessionTimeout) {

    public static final String TOPIC = "ledger.entries";
    public static final String GROUP = "invoice-worker";

    public InvoiceWorkerConfig {
        if (database == null) {
            throw new IllegalArgumentException("DATABASE_URL is required");
        }
        if (kafkaBootstrapServers == null || kafkaBootstrapServers.isBlank()) {
            throw new IllegalArgumentException("KAFKA_BOOTSTRAP_SERVERS is required");
        }
        if (topic == null || topic.isBlank() || consumerGroup == null || consumerGroup.isBlank()) {
            throw new IllegalArgumentException("topic and consumer group are required");
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("INVOICE_WORKER_PORT must be a port number: " + httpPort);
        }
        if (gapWait == null || gapWait.isNegative() || gapWait.isZero()) {
            throw new IllegalArgumentException("INVOICE_WORKER_GAP_WAIT_SECONDS must be positive");
        }
        if (sessionTimeout == null || sessionTimeout.toSeconds() < 6 || sessionTimeout.toSeconds() > 1800) {
            throw new IllegalArgumentException("INVOICE_WORKER_SESSION_TIMEOUT_SECONDS must be between 6 and 1800");
        }
        if (maxHeldPerTenant < 1) {
            throw new IllegalArgumentException("INVOICE_WORKER_MAX_HELD must be at least 1");
        }
        if ((ledgerApiUrl == null) != (ledgerServiceKey == null || ledgerServiceKey.isBlank())) {
            throw new IllegalArgumentException("dunning needs both LEDGER_API_URL and LEDGER_SERVICE_KEY (or neither: no dunning)");
        }
        DunningPolicy.grace(gracePolicy);
        if (dunningInterval == null || dunningInterval.toMillis() < 10) {
            throw new IllegalArgumentException("INVOICE_WORKER_DUNNING_INTERVAL_MS must be at least 10");
        }
        if (stripeApiKey != null && ledgerApiUrl == null) {
            throw new IllegalArgumentException("reconciliation (STRIPE_API_KEY) records what it finds through the ledger's API: "
                    + "set LEDGER_API_URL and LEDGER_SERVICE_KEY too");
        }
        if (stripeApiKey != null && stripeApiBase == null && stripeApiKey.equals(LOCAL_STRIPE_KEY)) {
            throw new IllegalArgumentException("STRIPE_API_KEY is the local placeholder but STRIPE_API_BASE is unset "
                    + "(that would call the real Stripe)");
        }
        if (reconcileInterval == null || reconcileInterval.toSeconds() < 1) {
            throw new IllegalArgumentException("INVOICE_WORKER_RECONCILE_INTERVAL_SECONDS must be at least 1");
        }
    }

    /** The key assumed with STRIPE_API_BASE alone (the local emulator takes any key). */
    static final String LOCAL_STRIPE_KEY = "sk_test_local";

    /** Whether the worker reconciles with Stripe's events (Stripe and the ledger's API are configured). */
    public boolean reconciles() {
        return stripeApiKey != null;
    }

    /** Whether the worker runs dunning (the ledger's API and a service key are configured). */
    public boolean dunning() {
        return ledgerApiUrl != null;
    }

    /** The Kafka TLS/SASL settings every client of the worker adds ({@link KafkaClientSecurity}). */
    public KafkaClientSecurity kafkaSecurity() {
        return KafkaClientSecurity.fromEnv(System.getenv());
    }

    /**
     * DATABASE_URL, LEDGER_MIGRATION_DATABASE_URL (unset), KAFKA_BOOTSTRAP_SERVERS, INVOICE_WORKER_PORT (8082),
     * INVOICE_WORKER_TOPIC (ledger.entries), INVOICE_WORKER_GROUP (invoice-worker), INVOICE_WORKER_GAP_WAIT_SECONDS
     * (60), INVOICE_WORKER_MAX_HELD (10000), LEDGER_API_URL and LEDGER_SERVICE_KEY (unset: no dunning; required in
     * production), INVOICE_WORKER_GRACE_PERIOD (P7D), INVOICE_WORKER_DUNNING_INTERVAL_MS (5000), STRIPE_API_KEY and
     * STRIPE_API_BASE (both unset: no reconciliation; the key is required in production and may not be a test key
     * there), INVOICE_WORKER_RECONCILE_INTERVAL_SECONDS (600), INVOICE_WORKER_SESSION_TIMEOUT_SECONDS (45); LEDGER_PRODUCTION or LEDGER_KAFKA_REQUIRE_SECURE refuse
     * Kafka without TLS/SASL.
     */
    public static InvoiceWorkerConfig fromEnv(Map<String, String> env) {
        String port = env.getOrDefault("INVOICE_WORKER_PORT", "8082");
        int httpPort;
        try {
            httpPort = Integer.parseInt(port.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("INVOICE_WORKER_PORT must be a whole number: " + port);
        }
        boolean production = production(env);
        if (production || "true".equalsIgnoreCase(String.valueOf(env.get("LEDGER_KAFKA_REQUIRE_SECURE")).strip())) {
            String kafka = KafkaClientSecurity.fromEnv(env).insecurity();
            if (kafka != null) {
                throw new IllegalArgumentException("invoice-worker refuses to start: " + kafka
                        + (production ? " (required in production)" : " (LEDGER_KAFKA_REQUIRE_SECURE=true)"));
            }
        }
        String ledgerUrl = blankToNull(env.get("LEDGER_API_URL"));
        String serviceKey = blankToNull(env.get("LEDGER_SERVICE_KEY"));
        if (production && (ledgerUrl == null || serviceKey == null)) {
            throw new IllegalArgumentException("invoice-worker refuses to start: LEDGER_API_URL and LEDGER_SERVICE_KEY are "
                    + "required in production (without them no tenant's status follows its payments)");
        }
        String stripeBase = blankToNull(env.get("STRIPE_API_BASE"));
        String stripeKey = blankToNull(env.get("STRIPE_API_KEY"));
        if (stripeKey == null && stripeBase != null) {
            stripeKey = LOCAL_STRIPE_KEY;
        }
        if (production && stripeKey == null) {
            throw new IllegalArgumentException("invoice-worker refuses to start: STRIPE_API_KEY is required in production "
                    + "(without it an invoice event whose webhook never came is never recovered)");
        }
        if (production && (stripeKey.startsWith("sk_test_") || stripeKey.startsWith("rk_test_"))) {
            throw new IllegalArgumentException("invoice-worker refuses to start: STRIPE_API_KEY is a Stripe test key in production");
        }
        java.net.URI ledgerApi = null;
        if (ledgerUrl != null) {
            try {
                ledgerApi = java.net.URI.create(ledgerUrl.endsWith("/") ? ledgerUrl.substring(0, ledgerUrl.length() - 1) : ledgerUrl);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("LEDGER_API_URL is not a URL");
            }
            if (!"http".equals(ledgerApi.getScheme()) && !"https".equals(ledgerApi.getScheme()) || ledgerApi.getHost() == null) {
                throw new IllegalArgumentException("LEDGER_API_URL must be an http(s) URL");
            }
        }
        String migration = env.get("LEDGER_MIGRATION_DATABASE_URL");
        dev.ledger.core.config.LogFormat.of(env);
        return new InvoiceWorkerConfig(DatabaseUrl.parse("DATABASE_URL", env.get("DATABASE_URL")),
                migration == null || migration.isBlank() ? null : DatabaseUrl.parse("LEDGER_MIGRATION_DATABASE_URL", migration),
                env.get("KAFKA_BOOTSTRAP_SERVERS"), env.getOrDefault("INVOICE_WORKER_TOPIC", TOPIC),
                env.getOrDefault("INVOICE_WORKER_GROUP", GROUP), httpPort,
                Duration.ofSeconds(number(env, "INVOICE_WORKER_GAP_WAIT_SECONDS", 60)),
                Math.toIntExact(Math.min(Integer.MAX_VALUE, number(env, "INVOICE_WORKER_MAX_HELD", 10_000))),
                ledgerApi, serviceKey, env.getOrDefault("INVOICE_WORKER_GRACE_PERIOD", "P7D").strip(),
                Duration.ofMillis(number(env, "INVOICE_WORKER_DUNNING_INTERVAL_MS", 5_000)), stripeKey, stripeBase,
                Duration.ofSeconds(number(env, "INVOICE_WORKER_RECONCILE_INTERVAL_SECONDS", 600)),
                Duration.ofSeconds(number(env, "INVOICE_WORKER_SESSION_TIMEOUT_SECONDS", 45)));
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.strip();
    }

    static boolean production(Map<String, String> env) {
        return "true".equalsIgnoreCase(String.valueOf(env.get("LEDGER_PRODUCTION")).strip());
    }

    private static long number(Map<String, String> env, String name, long fallback) {
        String v = env.get(name);
        if (v == null || v.isBlank()) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number");
        }
    }

    @Override
    public String toString() {
        return "database=" + database + ", kafka=" + kafkaBootstrapServers + ", topic=" + topic + ", group=" + consumerGroup
                + ", port=" + httpPort + ", gapWait=" + gapWait + ", maxHeldPerTenant=" + maxHeldPerTenant
                + (dunning() ? ", dunning via " + ledgerApiUrl + " (grace " + gracePolicy + ")" : ", no dunning")
                + (reconciles() ? ", reconciling with Stripe" + (stripeApiBase == null ? "" : " at " + stripeApiBase) + " every "
                + reconcileInterval : ", no reconciliation");
    }
}
