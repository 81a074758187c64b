package dev.ledger.api.audit;

import dev.ledger.api.chain.DatabaseLease;
import dev.ledger.api.web.ApiProblem;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The ledger's own audit: every chain (the system chain too) verified in full once per {@code LEDGER_VERIFY_INTERVAL}
 * (default 6 h), one chain at a time on one thread, the chains of a round spread evenly over the interval, so a
 * tampered tenant nobody audits is still found, at the cost of one verification in flight at any time. Every run is
 * counted in {@code ledger_chain_verifications_total{source="scheduled"}}; a BROKEN one also in
 * {@code ledger_chain_integrity_failures_total{source="scheduled"}} and logged (tenant, first broken sequence, reason)
 * once per break found; {@code ledger_chain_broken_tenants} is how many chains the last round found broken. With several
 * instances on one database, the one holding the {@code scheduled-verification} lease ({@link DatabaseLease}) verifies;
 * the others skip their turns (and report no round), so the chains are verified once per interval, not once per instance.
 */
@Component
class ScheduledVerification implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ScheduledVerification.class);

    /** What the last run found wrong with a chain. */
    record Broken(long sequence, String reason) {
    }

    private final ChainVerification verification;
    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final Duration interval;
    private final boolean enabled;
    private final Map<String, Broken> broken = new ConcurrentHashMap<>();
    private final AtomicReference<Instant> lastRoundEnded = new AtomicReference<>();
    private final DatabaseLease lease;
    /** Scheduler thread only: whether this instance held the lease for every chain of the round so far. */
    private boolean roundLed;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "scheduled-verification");
        t.setDaemon(true);
        return t;
    });

    ScheduledVerification(ChainVerification verification, JdbcTemplate jdbc, Clock clock, MeterRegistry metrics,
                          @Value("${ledger.verify.interval:6h}") Duration interval,
                          @Value("${ledger.verify.enabled:true}") boolean enabled) {
        if (interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("LEDGER_VERIFY_INTERVAL must be positive");
        }
        this.verification = verification;
        this.jdbc = jdbc;
        this.clock = clock;
        this.interval = interval;
        this.enabled = enabled;
        this.lease = new DatabaseLease(jdbc.getDataSource(), "scheduled-verification");
        Gauge.builder("ledger.chain.broken.tenants", broken, Map::size)
                .description("chains the scheduled verification last found BROKEN").register(metrics);
        Gauge.builder("ledger.chain.verification.round.end", lastRoundEnded,
                        r -> r.get() == null ? Double.NaN : r.get().toEpochMilli() / 1000.0)
                .description("when the scheduled verification last finished a round over every chain (Unix seconds)")
                .register(metrics);
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        if (enabled) {
            thread.execute(this::round);
        }
    }

    /** One round: each chain in turn, the next after interval / chains, then the next round. */
    private void round() {
        List<String> chains;
        try {
            chains = jdbc.queryForList("select tenant_id from tenant order by tenant_id", String.class);
        } catch (RuntimeException e) {
            log.error("scheduled verification: the chains could not be listed ({}); trying again in a minute", e.getClass().getSimpleName());
            thread.schedule(this::round, 1, TimeUnit.MINUTES);
            return;
        }
        long gapNanos = interval.toNanos() / Math.max(1, chains.size());
        broken.keySet().retainAll(chains);
        roundLed = true;
        step(chains, 0, gapNanos);
    }

    private void step(List<String> chains, int index, long gapNanos) {
        if (index == chains.size()) {
            if (roundLed) {
                lastRoundEnded.set(clock.instant());
            }
            thread.schedule(this::round, gapNanos, TimeUnit.NANOSECONDS);
            return;
        }
        thread.schedule(() -> {
            if (lease.held()) {
                verify(chains.get(index));
            } else {
                roundLed = false; // another instance verifies this round's chains
                broken.clear();
            }
            step(chains, index + 1, gapNanos);
        }, gapNanos, TimeUnit.NANOSECONDS); // the first one too: a service that just started has other work first
    }

    private void verify(String tenantId) {
        try {
            ChainVerification.Run run = verification.verifyAdmitted(tenantId, null, null, ChainVerification.Progress.NONE,
                    ChainVerification.Source.SCHEDULED);
            if (run.valid()) {
                if (broken.remove(tenantId) != null) {
                    log.info("chain integrity: the chain of {} verifies VALID again ({} entries)", tenantId, run.verdict().checked());
                }
                return;
            }
            AuditController.Verification v = run.verdict();
            Broken now = new Broken(v.firstBrokenSequence(), v.reason());
            if (!now.equals(broken.put(tenantId, now))) {
                log.warn("chain integrity: the chain of {} is BROKEN at sequence {} ({}): {}; found by the scheduled verification, "
                        + "see the chain integrity runbook", tenantId, v.firstBrokenSequence(), v.reason(), v.detail());
            }
        } catch (ApiProblem p) {
            log.warn("scheduled verification of {} could not run: {}", tenantId, p.code());
        } catch (RuntimeException e) {
            log.error("scheduled verification of {} failed ({}); it is tried again next round", tenantId, e.getClass().getSimpleName());
        }
    }

    /** The chains the scheduled verification last found broken, by tenant. */
    Map<String, Broken> broken() {
        return Map.copyOf(broken);
    }

    @Override
    @PreDestroy
    public void close() {
        thread.shutdownNow();
        lease.close();
    }
}
