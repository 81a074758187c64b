package dev.ledger.api.config;

import dev.ledger.core.config.LogFormat;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * {@code LEDGER_LOG_FORMAT}: {@code text} (the default, readable lines, each with the request id in brackets) or
 * {@code json} (one Elastic Common Schema object per line, Spring Boot's structured logging, the MDC's
 * {@code request_id} a field of it), the same setting and values as the workers'. Anything else stops the start.
 */
@Order(Ordered.LOWEST_PRECEDENCE)
public class LogFormatEnvironment implements EnvironmentPostProcessor {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        switch (LogFormat.of(env.getProperty(LogFormat.VARIABLE))) {
            case "text" -> {
                // Boot's own pattern, with the request id where it puts correlation ids
            }
            case "json" -> env.getPropertySources().addFirst(new MapPropertySource("ledgerLogFormat",
                    Map.of("logging.structured.format.console", "ecs")));
            default -> throw new IllegalStateException("a format LogFormat does not know");
        }
    }
}
