package dev.ledger.api.config;

import java.util.LinkedHashMap;
import java.util.List;
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
 * the tracing auto-configurations are left out altogether: no tracer, no tracing handlers on the observations. A
 * disabled tracer still had every request open and close a (never exported) span and a log scope, about a tenth of
 * a single write's CPU.
 */
@Order(Ordered.LOWEST_PRECEDENCE)
public class TracingEnvironment implements EnvironmentPostProcessor {

    static final String SOURCE = "otlpTracing";
    static final String EXCLUDE = "spring.autoconfigure.exclude";

    /** What makes a tracer and its observation handlers: nothing to do without a collector. */
    static final List<String> WITHOUT_COLLECTOR = List.of(
            "org.springframework.boot.actuate.autoconfigure.tracing.OpenTelemetryTracingAutoConfiguration",
            "org.springframework.boot.actuate.autoconfigure.tracing.MicrometerTracingAutoConfiguration",
            "org.springframework.boot.actuate.autoconfigure.tracing.NoopTracerAutoConfiguration",
            "org.springframework.boot.actuate.autoconfigure.tracing.otlp.OtlpTracingAutoConfiguration",
            "org.springframework.boot.actuate.autoconfigure.tracing.prometheus.PrometheusExemplarsAutoConfiguration");

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        String endpoint = endpoint(env.getProperty("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"), env.getProperty("OTEL_EXPORTER_OTLP_ENDPOINT"));
        if (endpoint == null) {
            String excluded = env.getProperty(EXCLUDE, "");
            String joined = excluded.isBlank() ? String.join(",", WITHOUT_COLLECTOR)
                    : excluded.strip() + "," + String.join(",", WITHOUT_COLLECTOR);
            env.getPropertySources().addFirst(new MapPropertySource(SOURCE, Map.of(EXCLUDE, joined)));
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
