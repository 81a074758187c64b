package dev.ledger.witness;

import io.micrometer.core.instrument.Counter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.EnumMap;
import java.util.Map;

/** {@code witness_cosigned_total} and {@code witness_refused_total{reason}}, in Prometheus text on {@code /metrics}. */
final class WitnessMetrics {

    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Counter cosigned = Counter.builder("witness.cosigned").description("checkpoints cosigned").register(registry);
    private final Map<Witness.Reason, Counter> refused = new EnumMap<>(Witness.Reason.class);

    WitnessMetrics() {
        for (Witness.Reason r : Witness.Reason.values()) {
            refused.put(r, Counter.builder("witness.refused").description("add-checkpoint submissions refused, by reason")
                    .tag("reason", r.tag()).register(registry));
        }
    }

    /** {@code reason} null: cosigned. */
    void count(Witness.Reason reason) {
        (reason == null ? cosigned : refused.get(reason)).increment();
    }

    String scrape() {
        return registry.scrape();
    }
}
