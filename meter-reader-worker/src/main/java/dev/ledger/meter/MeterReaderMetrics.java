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

/** The meter-reader's Prometheus metrics. Window and broken-chain gauges are read from the database at scrape. */
final class MeterReaderMetrics {

    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    /** Each consumer's last lag, summed by the gauge. */
    private final Map<Object, Long> consumerLags = new java.util.concurrent.ConcurrentHashMap<>();
    private final AtomicLong brokenChains = new AtomicLong();
    private final AtomicLong forkedTenants = new AtomicLong();
    private final Map<String, AtomicLong> stoppedByReason = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<MeterReport.Status, AtomicLong> windowsByStatus = new EnumMap<>(MeterReport.Status.class);

    MeterReaderMetrics() {
        Gauge.builder("meter_reader_consumer_lag", consumerLags, lags -> lags.values().stream().mapToLong(Long::longValue).sum())
                .description("records on the assigned partitions not yet consumed").register(registry);
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

    /** The lag on the partitions {@code consumer} holds now (one of this process's consumers). */
    void consumerLag(Object consumer, long lag) {
        consumerLags.put(consumer, lag);
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

    /** Records the topic's retention deleted before this worker read them. */
    void recordsLostToRetention(long n) {
        Counter.builder("meter_reader_records_lost_to_retention")
                .description("records deleted by the topic's retention before the worker read them").register(registry)
                .increment(n);
    }

    void windows(Map<MeterReport.Status, Long> counts) {
        windowsByStatus.forEach((status, n) -> n.set(counts.getOrDefault(status, 0L)));
    }

    /** applied, duplicate, held, after_break, unreadable. */
    void entries(String outcome, long n) {
        Counter.builder("meter_reader_entries").tag("outcome", outcome).register(registry).increment(n);
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

    void meterEventSessionCreated() {
        Counter.builder("meter_reader_stripe_sessions").description("v2 meter event stream sessions created")
                .register(registry).increment();
    }

    void parkedWindowRequeued() {
        Counter.builder("meter_reader_parked_requeued").description("parked windows put back in the queue by an operator")
                .register(registry).increment();
    }

    void chainBroken(String reason) {
        Counter.builder("meter_reader_chain_breaks").tag("reason", reason).register(registry).increment();
    }

    void stripeCall(String operation, Duration took) {
        Timer.builder("meter_reader_stripe_latency").tag("operation", operation).register(registry).record(took);
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
