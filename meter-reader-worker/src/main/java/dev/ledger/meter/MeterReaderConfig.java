package dev.ledger.meter;

import dev.ledger.core.config.DatabaseUrl;
import dev.ledger.core.config.KafkaClientSecurity;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything the meter-reader needs, validated once at start-up. {@link #toString()} never shows a secret.
 *
 * @param jdbcUrl        PostgreSQL holding the worker's own tables
 * @param stripeApiBase  null for the real Stripe, else the emulator's URL
 * @param windowLength   usage window length in ledger time (whole seconds)
 * @param idleClose      a window closes at most this long after its end when no more of the tenant's entries wait
 * @param gapWait        how long entries ahead of a missing sequence wait for it before the tenant is marked broken
 * @param retryBase      first backoff after a failed Stripe or write-back call; doubles per attempt
 * @param retryMax       backoff ceiling
 * @param meterEvents    v1 (one meter event per call) or v2 (meter event stream, up to 100 per call)
 * @param adminToken     Bearer token for the operator endpoints ({@code /parked}); null disables them
 * @param maxPollRecords records per poll, which is also per consumer transaction (memory against throughput)
 * @param consumers      Kafka consumers in this process, each with its own pipeline and share of the partitions
 * @param sessionTimeout how long the consumer group waits for a killed worker before its partitions move
 *                       (METER_READER_SESSION_TIMEOUT_SECONDS, 45; 6 to 1800)
 * @param migrationDatabase the schema owner's login for the worker's migrations ({@code LEDGER_MIGRATION_DATABASE_URL});
 *                       null: they run over the worker's own login, which only an owner can do
 */
public record MeterReaderConfig(String jdbcUrl, String dbUser, String dbPassword,
                                String kafkaBootstrapServers, String topic, String consumerGroup,
                                String stripeApiKey, String stripeApiBase, Duration stripeTimeout,
                                URI ledgerApiUrl, String ledgerServiceKey,
                                int httpPort, Duration windowLength, Duration idleClose, Duration gapWait,
                                Duration retryBase, Duration retryMax, MeterEventsMode meterEvents,
                                String adminToken, int maxPollRecords, int consumers, DatabaseUrl migrationDatabase,
                                Duration sessionTimeout) {

    public static final String TOPIC = "ledger.entries";
    public static final String GROUP = "meter-reader";

    public MeterReaderConfig {
        require(jdbcUrl, "DATABASE_URL");
        require(kafkaBootstrapServers, "KAFKA_BOOTSTRAP_SERVERS");
        require(topic, "METER_READER_TOPIC");
        require(consumerGroup, "METER_READER_GROUP");
        require(stripeApiKey, "STRIPE_API_KEY");
        require(ledgerServiceKey, "LEDGER_SERVICE_KEY");
        Objects.requireNonNull(ledgerApiUrl, "LEDGER_API_URL is required");
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("METER_READER_PORT must be a port number: " + httpPort);
        }
        if (windowLength.isNegative() || windowLength.toSeconds() < 1 || windowLength.toNanosPart() != 0) {
            throw new IllegalArgumentException("METER_WINDOW_SECONDS must be a whole number of seconds >= 1");
        }
        positive(idleClose, "METER_IDLE_CLOSE_SECONDS");
        positive(gapWait, "METER_GAP_WAIT_SECONDS");
        positive(stripeTimeout, "STRIPE_TIMEOUT_SECONDS");
        positive(retryBase, "retry base");
        positive(retryMax, "retry max");
        Objects.requireNonNull(meterEvents, "METER_EVENTS_MODE is required");
        if (adminToken != null && (adminToken.length() < MIN_ADMIN_TOKEN || adminToken.isBlank())) {
            throw new IllegalArgumentException("METER_READER_ADMIN_TOKEN must be at least " + MIN_ADMIN_TOKEN
                    + " characters (unset, it disables the /parked endpoints)");
        }
        if (maxPollRecords < 1 || maxPollRecords > 100_000) {
            throw new IllegalArgumentException("METER_READER_MAX_POLL_RECORDS must be between 1 and 100000");
        }
        if (sessionTimeout == null || sessionTimeout.toSeconds() < 6 || sessionTimeout.toSeconds() > 1800) {
            throw new IllegalArgumentException("METER_READER_SESSION_TIMEOUT_SECONDS must be between 6 and 1800");
        }
        if (consumers < 1 || consumers > MAX_CONSUMERS) {
            throw new IllegalArgumentException("METER_READER_CONSUMERS must be between 1 and " + MAX_CONSUMERS);
        }
        if (stripeApiBase == null && stripeApiKey.equals(LOCAL_STRIPE_KEY)) {
            throw new IllegalArgumentException("STRIPE_API_KEY is the local placeholder but STRIPE_API_BASE is unset "
                    + "(that would call the real Stripe)");
        }
    }

    static final String LOCAL_STRIPE_KEY = "sk_test_local";
    static final int MAX_CONSUMERS = 16;
    /** A guessable operator token would let anyone on the probe port re-queue billing: demand a long random one. */
    static final int MIN_ADMIN_TOKEN = 32;

    /**
     * Reads the settings from environment variables: DATABASE_URL, KAFKA_BOOTSTRAP_SERVERS, STRIPE_API_KEY,
     * STRIPE_API_BASE, LEDGER_API_URL, LEDGER_SERVICE_KEY, METER_READER_PORT (8081), METER_WINDOW_SECONDS (60),
     * METER_IDLE_CLOSE_SECONDS (15), METER_GAP_WAIT_SECONDS (60), STRIPE_TIMEOUT_SECONDS (20),
     * METER_READER_TOPIC (ledger.entries), METER_READER_GROUP (meter-reader), METER_EVENTS_MODE (v1 or v2; v1),
     * METER_READER_ADMIN_TOKEN (no default: unset, the /parked endpoints answer 403), METER_READER_MAX_POLL_RECORDS
     * (6000), METER_READER_CONSUMERS (2), METER_READER_SESSION_TIMEOUT_SECONDS (45), LEDGER_MIGRATION_DATABASE_URL
     * (unset), LEDGER_PRODUCTION (false),
     * LEDGER_KAFKA_REQUIRE_SECURE (false) and the Kafka security variables of {@link KafkaClientSecurity}.
     */
    public static MeterReaderConfig fromEnv(Map<String, String> env) {
        DatabaseUrl database = DatabaseUrl.parse("DATABASE_URL", env.get("DATABASE_URL"));
        String migrationUrl = blankToNull(env.get("LEDGER_MIGRATION_DATABASE_URL"));
        DatabaseUrl migration = migrationUrl == null ? null : DatabaseUrl.parse("LEDGER_MIGRATION_DATABASE_URL", migrationUrl);
        String stripeBase = blankToNull(env.get("STRIPE_API_BASE"));
        String stripeKey = blankToNull(env.get("STRIPE_API_KEY"));
        if (stripeKey == null && stripeBase != null) {
            stripeKey = LOCAL_STRIPE_KEY;
        }
        String ledgerUrl = env.get("LEDGER_API_URL");
        require(ledgerUrl, "LEDGER_API_URL");
        refuseUnsafeProduction(env, stripeKey);
        dev.ledger.core.config.LogFormat.of(env);
        return new MeterReaderConfig(database.jdbcUrl(), database.user(), database.password(),
                env.get("KAFKA_BOOTSTRAP_SERVERS"),
                env.getOrDefault("METER_READER_TOPIC", TOPIC),
                env.getOrDefault("METER_READER_GROUP", GROUP),
                stripeKey, stripeBase, seconds(env, "STRIPE_TIMEOUT_SECONDS", 20),
                URI.create(ledgerUrl.endsWith("/") ? ledgerUrl.substring(0, ledgerUrl.length() - 1) : ledgerUrl),
                env.get("LEDGER_SERVICE_KEY"),
                (int) number(env, "METER_READER_PORT", 8081),
                seconds(env, "METER_WINDOW_SECONDS", 60),
                seconds(env, "METER_IDLE_CLOSE_SECONDS", 15),
                seconds(env, "METER_GAP_WAIT_SECONDS", 60),
                Duration.ofMillis(200), Duration.ofSeconds(60),
                MeterEventsMode.parse(env.get("METER_EVENTS_MODE")),
                blankToNull(env.get("METER_READER_ADMIN_TOKEN")),
                (int) number(env, "METER_READER_MAX_POLL_RECORDS", 6_000),
                (int) number(env, "METER_READER_CONSUMERS", 2), migration,
                seconds(env, "METER_READER_SESSION_TIMEOUT_SECONDS", 45));
    }

    /** LEDGER_PRODUCTION=true: no Stripe test key, and Kafka over TLS/SASL (also with LEDGER_KAFKA_REQUIRE_SECURE=true). */
    private static void refuseUnsafeProduction(Map<String, String> env, String stripeKey) {
        boolean production = production(env);
        List<String> problems = new ArrayList<>();
        if (production && stripeKey != null && (stripeKey.startsWith("sk_test_") || stripeKey.startsWith("rk_test_"))) {
            problems.add("STRIPE_API_KEY is a Stripe test key in production");
        }
        if (production || "true".equalsIgnoreCase(String.valueOf(env.get("LEDGER_KAFKA_REQUIRE_SECURE")).strip())) {
            String kafka = KafkaClientSecurity.fromEnv(env).insecurity();
            if (kafka != null) {
                problems.add(kafka + (production ? " (required in production)" : " (LEDGER_KAFKA_REQUIRE_SECURE=true)"));
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("meter-reader refuses to start: " + String.join("; ", problems));
        }
    }

    /** LEDGER_PRODUCTION=true: also refuses a superuser or owner database login at start ({@link MeterReaderMain}). */
    static boolean production(Map<String, String> env) {
        return "true".equalsIgnoreCase(String.valueOf(env.get("LEDGER_PRODUCTION")).strip());
    }

    /** The Kafka TLS/SASL settings every client of the worker adds ({@link KafkaClientSecurity}). */
    public KafkaClientSecurity kafkaSecurity() {
        return KafkaClientSecurity.fromEnv(System.getenv());
    }

    /** The same settings with another retry backoff (tests use a short ceiling). */
    public MeterReaderConfig withRetry(Duration base, Duration max) {
        return new MeterReaderConfig(jdbcUrl, dbUser, dbPassword, kafkaBootstrapServers, topic, consumerGroup,
                stripeApiKey, stripeApiBase, stripeTimeout, ledgerApiUrl, ledgerServiceKey, httpPort, windowLength,
                idleClose, gapWait, base, max, meterEvents, adminToken, maxPollRecords, consumers, migrationDatabase,
                sessionTimeout);
    }

    private static Duration seconds(Map<String, String> env, String name, long fallback) {
        return Duration.ofSeconds(number(env, name, fallback));
    }

    private static long number(Map<String, String> env, String name, long fallback) {
        String v = blankToNull(env.get(name));
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number: " + v);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s;
    }

    private static void require(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " is required");
        }
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive");
        }
    }

    @Override
    public String toString() {
        return "MeterReaderConfig[jdbcUrl=" + jdbcUrl.replaceAll("password=[^&]*", "password=***") + ", dbUser=" + dbUser
                + ", kafka=" + kafkaBootstrapServers + ", topic=" + topic + ", group=" + consumerGroup
                + ", stripe=" + (stripeApiBase == null ? "api.stripe.com" : stripeApiBase)
                + ", meterEvents=" + meterEvents
                + ", ledgerApiUrl=" + ledgerApiUrl + ", httpPort=" + httpPort + ", window=" + windowLength
                + ", idleClose=" + idleClose + ", gapWait=" + gapWait + ", maxPollRecords=" + maxPollRecords
                + ", consumers=" + consumers + ", sessionTimeout=" + sessionTimeout + ", adminToken=" + (adminToken == null ? "unset" : "set")
                + ", migration=" + (migrationDatabase == null ? "own login" : "user " + migrationDatabase.user()) + "]";
    }
}
