package dev.ledger.api.config;

import dev.ledger.core.config.DatabaseUrl;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.CommandLinePropertySource;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;

/**
 * Turns {@code DATABASE_URL} (the service's login) into {@code spring.datasource.*} and
 * {@code LEDGER_MIGRATION_DATABASE_URL} (the schema owner, for Flyway only) into {@code spring.flyway.*}.
 * <p>
 * Precedence: an explicit {@code --spring.datasource.url} (or {@code --spring.flyway.url}) on the command line wins;
 * otherwise the variable wins over every other source, {@code application.properties} and its defaults included. It
 * runs after the config files are loaded ({@link Ordered#LOWEST_PRECEDENCE}), so the variable is read wherever it is
 * set, and its translation is placed right below the command line: a properties default can never hide it.
 * A malformed value stops the start with a message that never contains the password.
 */
@Order(Ordered.LOWEST_PRECEDENCE)
public class DatabaseUrlEnvironment implements EnvironmentPostProcessor {

    static final String SOURCE = "databaseUrl";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        PropertySource<?> commandLine = env.getPropertySources().get(CommandLinePropertySource.COMMAND_LINE_PROPERTY_SOURCE_NAME);
        Map<String, Object> p = new LinkedHashMap<>();
        translate(env, commandLine, "DATABASE_URL", "spring.datasource.url", "spring.datasource.username",
                "spring.datasource.password", p);
        translate(env, commandLine, "LEDGER_MIGRATION_DATABASE_URL", "spring.flyway.url", "spring.flyway.user",
                "spring.flyway.password", p);
        if (p.isEmpty()) {
            return;
        }
        MapPropertySource source = new MapPropertySource(SOURCE, p);
        if (commandLine != null) {
            env.getPropertySources().addAfter(commandLine.getName(), source);
        } else {
            env.getPropertySources().addFirst(source);
        }
    }

    private static void translate(ConfigurableEnvironment env, PropertySource<?> commandLine, String variable,
                                  String urlKey, String userKey, String passwordKey, Map<String, Object> into) {
        String value = env.getProperty(variable);
        if (value == null || value.isBlank() || (commandLine != null && commandLine.containsProperty(urlKey))) {
            return;
        }
        DatabaseUrl url = DatabaseUrl.parse(variable, value);
        into.put(urlKey, url.jdbcUrl());
        if (url.user() != null) {
            into.put(userKey, url.user());
            // set even when empty, so a password from another source can never pair with this login
            into.put(passwordKey, url.password() == null ? "" : url.password());
        }
    }
}
