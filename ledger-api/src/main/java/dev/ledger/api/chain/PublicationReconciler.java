package dev.ledger.api.chain;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Compares, every {@code reconcileInterval}, each chain's head in the event store with the highest sequence the
 * publisher dealt with (publication_head, written with its token). The publisher is always a little behind, so a
 * chain is only alerted when the entries it lacked at one look are still not published {@code alertAfter} later:
 * then a WARN line names the tenant, and the gauges {@code ledger_publication_unpublished_tenants} and
 * {@code ledger_publication_behind_entries} count such chains and their missing entries (alert on either above zero).
 * Parked entries count as dealt with: they have their own gauge.
 */
@Component
public class PublicationReconciler {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(PublicationReconciler.class);

    /**
     * Every chain's head, one index probe per chain: a skip scan over the (tenant, sequence) unique index instead of a
     * grouping of the whole store.
     */
    private static final String HEADS = """
            with recursive chains(tenant_id) as (
                select min(aggregate_identifier) from domain_event_entry
                union all
                select (select min(aggregate_identifier) from domain_event_entry where aggregate_identifier > c.tenant_id)
                from chains c where c.tenant_id is not null)
            select c.tenant_id,
                   (select max(sequence_number) + 1 from domain_event_entry where aggregate_identifier = c.tenant_id) as head,
                   coalesce(p.sequence, 0) as published
            from chains c left join publication_head p on p.tenant_id = c.tenant_id
            where c.tenant_id is not null""";

    /** A chain seen behind: the head it had then, and since when its published head has not reached it. */
    private record Behind(long head, Instant since, boolean alerted) {
    }

    private final JdbcTemplate jdbc;
    private final ParkedEntries parked;
    private final PublicationProperties props;
    private final Clock clock;
    private final Map<String, Behind> behind = new HashMap<>();
    private final AtomicLong unpublishedTenants = new AtomicLong();
    private final AtomicLong behindEntries = new AtomicLong();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("publication-reconciler").daemon().factory());

    public PublicationReconciler(JdbcTemplate jdbc, ParkedEntries parked, PublicationProperties props, MeterRegistry metrics,
                                 Clock clock) {
        this.jdbc = jdbc;
        this.parked = parked;
        this.props = props;
        this.clock = clock;
        Gauge.builder("ledger.publication.unpublished.tenants", unpublishedTenants, AtomicLong::get)
                .description("chains whose committed entries stayed unpublished longer than the alert delay").register(metrics);
        Gauge.builder("ledger.publication.behind.entries", behindEntries, AtomicLong::get)
                .description("committed entries of those chains not published yet").register(metrics);
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        long every = Math.max(100, props.reconcileInterval().toMillis());
        scheduler.scheduleWithFixedDelay(this::runQuietly, every, every, TimeUnit.MILLISECONDS);
    }

    private void runQuietly() {
        try {
            reconcile();
        } catch (RuntimeException e) {
            log.warn("publication reconciliation failed ({}); next try in {}", e.getClass().getSimpleName(), props.reconcileInterval());
        }
    }

    /** One comparison of every chain; synchronized with itself only. */
    synchronized void reconcile() {
        Instant now = clock.instant();
        Duration alertAfter = props.alertAfter();
        Map<String, Behind> next = new HashMap<>();
        long tenants = 0;
        long entries = 0;
        for (Map<String, Object> row : jdbc.queryForList(HEADS)) {
            String tenant = (String) row.get("tenant_id");
            long head = ((Number) row.get("head")).longValue();
            long published = ((Number) row.get("published")).longValue();
            if (published >= head) {
                continue;
            }
            Behind seen = behind.get(tenant);
            if (seen == null || published >= seen.head()) {
                next.put(tenant, new Behind(head, now, false)); // behind again, but on newer entries: a new look
                continue;
            }
            boolean late = Duration.between(seen.since(), now).compareTo(alertAfter) >= 0;
            if (late) {
                tenants++;
                entries += head - published;
                if (!seen.alerted()) {
                    log.warn("publication: tenant {} has committed entries up to {} but only {} reached Kafka for {} s",
                            tenant, head, published, Duration.between(seen.since(), now).toSeconds());
                }
            }
            next.put(tenant, new Behind(seen.head(), seen.since(), seen.alerted() || late));
        }
        behind.clear();
        behind.putAll(next);
        unpublishedTenants.set(tenants);
        behindEntries.set(entries);
        parked.refresh();
    }

    @PreDestroy
    void stop() {
        scheduler.shutdownNow();
    }
}
