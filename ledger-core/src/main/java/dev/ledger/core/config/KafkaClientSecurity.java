package dev.ledger.core.config;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The Kafka security settings every client of the ledger passes through (ledger-api's producer and admin clients,
 * the workers' consumers, producers and admin clients): the one place that turns environment variables into Kafka
 * client properties. {@code KAFKA_SECURITY_PROTOCOL} and every {@code KAFKA_SSL_*} / {@code KAFKA_SASL_*} variable
 * become the Kafka property of the same name in lower case with dots ({@code KAFKA_SASL_JAAS_CONFIG} →
 * {@code sasl.jaas.config}, {@code KAFKA_SSL_TRUSTSTORE_PASSWORD} → {@code ssl.truststore.password}).
 * {@link #toString()} never shows a password, a key or a JAAS configuration.
 */
public final class KafkaClientSecurity {

    public static final String SECURITY_PROTOCOL = "KAFKA_SECURITY_PROTOCOL";
    private static final Set<String> PREFIXES = Set.of("KAFKA_SSL_", "KAFKA_SASL_");
    /** Protocols over TLS. SASL_PLAINTEXT authenticates but sends everything (PLAIN credentials too) in clear. */
    private static final Set<String> SECURE_PROTOCOLS = Set.of("SSL", "SASL_SSL");
    private static final Set<String> PROTOCOLS = Set.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");

    private final Map<String, Object> properties;

    private KafkaClientSecurity(Map<String, Object> properties) {
        this.properties = Collections.unmodifiableMap(properties);
    }

    /** Reads the variables named in the class comment; all others are ignored. */
    public static KafkaClientSecurity fromEnv(Map<String, String> env) {
        Map<String, Object> props = new TreeMap<>();
        env.forEach((name, value) -> {
            if (value == null || value.isBlank()) {
                return;
            }
            if (name.equals(SECURITY_PROTOCOL) || PREFIXES.stream().anyMatch(name::startsWith)) {
                props.put(name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), value.strip());
            }
        });
        Object protocol = props.get("security.protocol");
        if (protocol != null) {
            String p = protocol.toString().toUpperCase(Locale.ROOT);
            if (!PROTOCOLS.contains(p)) {
                throw new IllegalArgumentException(SECURITY_PROTOCOL + " must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL");
            }
            props.put("security.protocol", p);
        }
        return new KafkaClientSecurity(props);
    }

    /** From properties already mapped by {@link #fromEnv} ({@link #clientProperties()}), e.g. after passing through a framework. */
    public static KafkaClientSecurity of(Map<String, String> clientProperties) {
        Map<String, String> env = new TreeMap<>();
        clientProperties.forEach((k, v) -> env.put("KAFKA_" + k.toUpperCase(Locale.ROOT).replace('.', '_'), v));
        return fromEnv(env);
    }

    /** The properties to add to a client's configuration ({@code props.putAll(...)}); empty for a plaintext cluster. */
    public Map<String, Object> clientProperties() {
        return properties;
    }

    /** A client's own settings with these added: {@code new KafkaProducer<>(security.with(Map.of(...)))}. */
    public Map<String, Object> with(Map<String, ?> clientSettings) {
        Map<String, Object> all = new java.util.HashMap<>(clientSettings);
        all.putAll(properties);
        return all;
    }

    /** TLS is configured, with or without SASL: {@code security.protocol} is SSL or SASL_SSL. */
    public boolean secure() {
        Object protocol = properties.get("security.protocol");
        return protocol != null && SECURE_PROTOCOLS.contains(protocol.toString());
    }

    /**
     * The refusal of a service that must talk to Kafka securely, or null when it may start: the protocol is secure,
     * and a SASL protocol has its mechanism and JAAS configuration.
     */
    public String insecurity() {
        if (!secure()) {
            return "Kafka needs TLS or SASL: set " + SECURITY_PROTOCOL + " to SSL or SASL_SSL (and its KAFKA_SSL_* / KAFKA_SASL_* settings)";
        }
        if (properties.get("security.protocol").toString().startsWith("SASL_")
                && (!properties.containsKey("sasl.mechanism") || !properties.containsKey("sasl.jaas.config"))) {
            return "Kafka SASL needs KAFKA_SASL_MECHANISM and KAFKA_SASL_JAAS_CONFIG";
        }
        return null;
    }

    /** Names and values, with every secret-bearing value shown as {@code ***}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("KafkaClientSecurity[");
        String sep = "";
        for (Map.Entry<String, Object> e : properties.entrySet()) {
            s.append(sep).append(e.getKey()).append('=').append(secret(e.getKey()) ? "***" : e.getValue());
            sep = ", ";
        }
        return s.append(']').toString();
    }

    private static boolean secret(String property) {
        return property.contains("password") || property.contains("jaas") || property.endsWith(".key")
                || property.contains("secret") || property.contains("credential") || property.contains("token")
                || property.contains("keystore.key") || property.contains("certificate");
    }
}
