package dev.ledger.meter;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The meter-reader's Prometheus metrics. Window and broken-chain gauges are read from the database at scrape (these
 * broken-chain and forked-tenant gauges count every stop reason the meter-reader knows, and are registered before the
 * chain follower's, which therefore keep them); the chain follower adds its own to the registry (consumer lag, chain
 * breaks, forks, entries by outcome, records lost to retention).
 */
final class MeterReaderMetrics {

    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicLong brokenChains = new AtomicLong();
    private final AtomicLong forkedTenants = new AtomicLong();
    private final Map<String, AtomicLong> stoppedByReason = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<MeterReport.Status, AtomicLong> windowsByStatus = new EnumMap<>(MeterReport.Status.class);

    MeterReaderMetrics() {
        Gauge.builder("meter_reader_broken_chains", brokenChains, AtomicLong::get)
                .description("tenants whose chain failed verification; their usage is not reported").register(registry);
        Gauge.builder("ledger_chain_forked_tenants", forkedTenants, AtomicLong::get)
                .description("tenants stopped because their records on the topic fork or contradict a signed checkpoint")
                .register(registry);
        for (MeterReport.Status s : MeterReport.Status.values()) {
            AtomicLong n = new AtomicLong();
            windowsByStatus.put(s, n);
            Gauge.builder("meter_reader_windows", n, AtomicLong::get).tag("status", s.name())
                    .description("usage windows by status").register(registry);
        }
    }

    void brokenChains(long n) {
        brokenChains.set(n);
    }

    /** Stopped tenants by reason (broken chains, forks, bounds, records lost to retention). */
    void stoppedTenants(Map<String, Long> byReason) {
        byReason.forEach((reason, n) -> stoppedByReason.computeIfAbsent(reason, r -> {
            AtomicLong g = new AtomicLong();
            Gauge.builder("meter_reader_stopped_tenants", g, AtomicLong::get).tag("reason", r)
                    .description("tenants whose usage is no longer reported, by reason").register(registry);
            return g;
        }).set(n));
        stoppedByReason.forEach((reason, g) -> {
            if (!byReason.containsKey(reason)) {
                g.set(0);
            }
        });
        forkedTenants.set(byReason.entrySet().stream().filter(e -> ForkDetector.isForkReason(e.getKey()))
                .mapToLong(Map.Entry::getValue).sum());
    }

    /** A fork alert: a second record of a known sequence with another hash, or a contradicted checkpoint. */
    void fork(String reason) {
        Counter.builder("ledger_chain_forks").tag("reason", reason)
                .description("fork alerts: records of one tenant's chain contradicting each other or a signed checkpoint")
                .register(registry).increment();
    }

    /** Checkpoint fetches by outcome: holds, pending, behind, contradicts, stopped, unavailable, bad_signature. */
    void checkpoint(String outcome) {
        Counter.builder("meter_reader_checkpoints").tag("outcome", outcome).register(registry).increment();
    }

    /** Windows first sent long ago, reconciled with Stripe's summaries: present, missing, mismatch. */
    void windowReconciled(String outcome) {
        Counter.builder("meter_reader_windows_reconciled").tag("outcome", outcome).register(registry).increment();
    }

    void windows(Map<MeterReport.Status, Long> counts) {
        windowsByStatus.forEach((status, n) -> n.set(counts.getOrDefault(status, 0L)));
    }

    void windowsClosed(long n) {
        Counter.builder("meter_reader_windows_closed").register(registry).increment(n);
    }

    void windowReported() {
        Counter.builder("meter_reader_windows_reported").register(registry).increment();
    }

    void windowWrittenBack() {
        Counter.builder("meter_reader_windows_written_back").register(registry).increment();
    }

    void windowParked(String stage) {
        Counter.builder("meter_reader_windows_parked").tag("stage", stage).register(registry).increment();
    }

    /** Meter events Stripe accepted and then refused, by its error code (read from its meter error reports). */
    void stripeRefused(String code, long events) {
        Counter.builder("meter_reader_stripe_refused_events").tag("code", code)
                .description("meter events Stripe accepted and later refused (meter error reports)")
                .register(registry).increment(events);
    }

    /** A complete read of Stripe's meter error reports. */
    void errorReportPass() {
        Counter.builder("meter_reader_error_report_passes")
                .description("complete reads of Stripe's meter error reports").register(registry).increment();
    }

    void meterEventSessionCreated() {
        Counter.builder("meter_reader_stripe_sessions").description("v2 meter event stream sessions created")
                .register(registry).increment();
    }

    void parkedWindowRequeued() {
        Counter.builder("meter_reader_parked_requeued").description("parked windows put back in the queue by an operator")
                .register(registry).increment();
    }

    void stripeCall(String operation, Duration took) {
        Timer.builder("meter_reader_stripe_latency").tag("operation", operation).publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(60))
                .register(registry).record(took);
    }

    void stripeError(String operation, String code) {
        Counter.builder("meter_reader_stripe_errors").tag("operation", operation).tag("code", code).register(registry)
                .increment();
    }

    void ledgerError(String operation, String code) {
        Counter.builder("meter_reader_ledger_errors").tag("operation", operation).tag("code", code).register(registry)
                .increment();
    }

    String scrape() {
        return registry.scrape();
    }
}
