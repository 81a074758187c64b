package dev.ledger.api.config;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;

/**
 * OpenTelemetry traces (Micrometer Tracing's OpenTelemetry bridge, OTLP over HTTP) are off unless a collector is
 * named, with OpenTelemetry's own variables: {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT} (the full URL), or
 * {@code OTEL_EXPORTER_OTLP_ENDPOINT} (its base: {@code /v1/traces} is added). Then every HTTP request, the JDBC
 * calls under it and the Kafka sends carry a span, sampled at {@code OTEL_TRACES_SAMPLER_ARG} (default 1.0), and the
 * service name is {@code spring.application.name}. Without them {@code management.tracing.enabled} stays false and
 * nothing is exported or even recorded.
 */
@Order(Ordered.LOWEST_PRECEDENCE)
public class TracingEnvironment implements EnvironmentPostProcessor {

    static final String SOURCE = "otlpTracing";

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        String endpoint = endpoint(env.getProperty("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), env.getProperty("OTEL_EXPORTER_OTLP_ENDPOINT"));
        if (endpoint == null) {
            return;
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("management.tracing.enabled", "true");
        p.put("management.otlp.tracing.endpoint", endpoint);
        p.put("management.tracing.sampling.probability", env.getProperty("OTEL_TRACES_SAMPLER_ARG", "1.0"));
        env.getPropertySources().addFirst(new MapPropertySource(SOURCE, p));
    }

    /** The traces URL, or null when neither variable names one. */
    static String endpoint(String traces, String base) {
        if (traces != null && !traces.isBlank()) {
            return traces.strip();
        }
        if (base != null && !base.isBlank()) {
            String b = base.strip();
            return (b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + "/v1/traces";
        }
        return null;
    }
}
