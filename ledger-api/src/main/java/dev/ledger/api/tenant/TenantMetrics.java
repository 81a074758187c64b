package dev.ledger.api.tenant;

import dev.ledger.core.tenant.TenantStatus;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * {@code ledger_tenants{status}}: how many tenants are ACTIVE, PAST_DUE and SUSPENDED (the system chain is not a
 * tenant), counted from the tenant table at most every {@link #FRESH} whatever the scrape rate.
 */
@Component
class TenantMetrics {

    static final Duration FRESH = Duration.ofSeconds(15);

    private final JdbcTemplate jdbc;
    private final Clock clock;
    private Map<TenantStatus, Long> counts = new EnumMap<>(TenantStatus.class);
    private Instant countedAt = Instant.MIN;

    TenantMetrics(JdbcTemplate jdbc, Clock clock, MeterRegistry metrics) {
        this.jdbc = jdbc;
        this.clock = clock;
        for (TenantStatus status : TenantStatus.values()) {
            Gauge.builder("ledger.tenants", this, m -> m.count(status)).tag("status", status.name())
                    .description("tenants by status").register(metrics);
        }
    }

    private synchronized double count(TenantStatus status) {
        Instant now = clock.instant();
        if (Duration.between(countedAt, now).compareTo(FRESH) >= 0 || now.isBefore(countedAt)) {
            Map<TenantStatus, Long> fresh = new EnumMap<>(TenantStatus.class);
            jdbc.query("select status, count(*) from tenant where tenant_id <> ? group by status",
                    rs -> {
                        fresh.put(TenantStatus.valueOf(rs.getString(1)), rs.getLong(2));
                    }, SystemChain.TENANT_ID);
            counts = fresh;
            countedAt = now;
        }
        return counts.getOrDefault(status, 0L);
    }
}
