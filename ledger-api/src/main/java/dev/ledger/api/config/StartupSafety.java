package dev.ledger.api.config;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.springframework.beans.factory.config.BeanFactoryPostProcessor;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.env.Environment;
import org.springframework.stereotype.Component;

/**
 * Refuses to start on settings that are unsafe (always) or unsafe in production ({@code LEDGER_PRODUCTION=true}),
 * naming each setting and what it needs. Never prints a secret. It runs before any bean is created (no Kafka client
 * or pool is built from a refused setting); the database login is checked by {@link DatabaseLoginCheck} once the
 * migrations ran.
 */
@Component
class StartupSafety implements BeanFactoryPostProcessor, EnvironmentAware {

    static final String DEFAULT_PEPPER = "local-development-pepper";
    /** A production pepper and admin key carry at least 256 bits ({@code ./ledger up} generates them so). */
    static final int PRODUCTION_PEPPER_LENGTH = 32;
    static final int PRODUCTION_ADMIN_KEY_HEX = 64;
    /** What a production deployment may expose under /actuator: probes and metrics, nothing that reveals config. */
    static final Set<String> PRODUCTION_ACTUATOR_ENDPOINTS = Set.of("health", "metrics", "prometheus");

    private Environment env;
    private LedgerProperties props;

    @Override
    public void setEnvironment(Environment environment) {
        this.env = environment;
    }

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) {
        props = Binder.get(env).bindOrCreate("ledger", LedgerProperties.class);
        List<String> problems = new ArrayList<>();
        String adminKey = props.adminKey();
        if (adminKey == null || !adminKey.matches("lk_admin_[0-9a-f]{32,}")) {
            problems.add("LEDGER_ADMIN_KEY must be set to a key of the form lk_admin_<at least 32 hex digits>");
        }
        if (props.keyPepper() == null || props.keyPepper().length() < 16) {
            problems.add("LEDGER_KEY_PEPPER must be set to at least 16 characters");
        }
        for (String origin : props.corsOrigins()) {
            if (!origin.equals("*") && !origin.matches("https?://[^/\\s?#]+")) {
                problems.add("LEDGER_CORS_ORIGINS holds an entry that is not an origin (scheme://host[:port], no path)");
                break;
            }
        }
        if (props.production()) {
            production(problems);
        }
        if (props.production() || props.kafkaRequireSecure()) {
            String kafka = props.kafkaSecurity().insecurity();
            if (kafka != null) {
                problems.add(kafka + (props.production() ? " (required in production)" : " (LEDGER_KAFKA_REQUIRE_SECURE=true)"));
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalStateException("ledger-api refuses to start: " + String.join("; ", problems));
        }
    }

    private void production(List<String> problems) {
        String pepper = props.keyPepper();
        if (DEFAULT_PEPPER.equals(pepper)) {
            problems.add("LEDGER_KEY_PEPPER is the local-development default in production");
        } else if (pepper != null && pepper.length() < PRODUCTION_PEPPER_LENGTH) {
            problems.add("LEDGER_KEY_PEPPER is too short for production (at least " + PRODUCTION_PEPPER_LENGTH + " characters)");
        }
        String adminKey = props.adminKey();
        if (adminKey != null && adminKey.matches("lk_admin_[0-9a-f]{32,}")) {
            String hex = adminKey.substring("lk_admin_".length());
            if (patterned(hex)) {
                problems.add("LEDGER_ADMIN_KEY is a default or patterned key in production (generate a random one)");
            } else if (hex.length() < PRODUCTION_ADMIN_KEY_HEX) {
                problems.add("LEDGER_ADMIN_KEY is too short for production (at least " + PRODUCTION_ADMIN_KEY_HEX + " hex digits)");
            }
        }
        if (props.corsOrigins().isEmpty()) {
            problems.add("LEDGER_CORS_ORIGINS must list the browser origins allowed in production (comma-separated)");
        } else if (props.corsOrigins().stream().anyMatch(o -> o.contains("*") || o.equalsIgnoreCase("null"))) {
            problems.add("LEDGER_CORS_ORIGINS may not contain '*' (or 'null') in production");
        }
        List<String> webhookSecrets = Binder.get(env).bind("ledger.stripe.webhook.secrets",
                org.springframework.boot.context.properties.bind.Bindable.listOf(String.class)).orElse(List.of());
        if (webhookSecrets.stream().map(String::strip).filter(w -> !w.isEmpty())
                .anyMatch(w -> !w.startsWith("whsec_") || w.length() < 24)) {
            problems.add("LEDGER_STRIPE_WEBHOOK_SECRETS holds a value that is not a Stripe signing secret (whsec_…) in production");
        }
        String exposed = env.getProperty("management.endpoints.web.exposure.include", "");
        List<String> beyond = Arrays.stream(exposed.split(",")).map(s -> s.strip().toLowerCase(Locale.ROOT))
                .filter(s -> !s.isEmpty() && !PRODUCTION_ACTUATOR_ENDPOINTS.contains(s)).toList();
        if (!beyond.isEmpty()) {
            problems.add("actuator endpoints beyond health, metrics and prometheus are exposed in production: " + beyond
                    + " (management.endpoints.web.exposure.include)");
        }
    }

    /** The hex repeats a block of at most 16 digits ("0123456789abcdef" four times, "0" sixty-four times...). */
    static boolean patterned(String hex) {
        for (int period = 1; period <= 16 && period < hex.length(); period++) {
            boolean repeats = true;
            for (int i = period; i < hex.length() && repeats; i++) {
                repeats = hex.charAt(i) == hex.charAt(i - period);
            }
            if (repeats) {
                return true;
            }
        }
        return false;
    }
}
