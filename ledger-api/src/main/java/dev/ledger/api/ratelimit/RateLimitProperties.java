package dev.ledger.api.ratelimit;

import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Per-tenant request rate: {@code requestsPerSecond} sustained with bursts up to {@code burst};
 * {@code tenants} overrides the sustained rate for named tenants (ledger.rate-limit.tenants.acme=50);
 * {@code failedAuthPerMinute} failed authentications a source address may make per minute before it is refused.
 * The buckets are shared by every instance (PostgreSQL, {@link TenantBuckets}); each instance synchronizes with them
 * after {@code syncTokens} requests (0: a twentieth of the tenant's rate per second, at least 1) or
 * {@code syncInterval}, whichever comes first, over a pool of {@code storeConnections}.
 */
@ConfigurationProperties(prefix = "ledger.rate-limit")
public record RateLimitProperties(@DefaultValue("2000") long requestsPerSecond, @DefaultValue("4000") long burst,
                                  @DefaultValue Map<String, Long> tenants, @DefaultValue("30") long failedAuthPerMinute,
                                  @DefaultValue("0") long syncTokens, @DefaultValue("50ms") Duration syncInterval,
                                  @DefaultValue("4") int storeConnections) {

    public RateLimitProperties {
        if (syncTokens < 0 || syncInterval.isNegative() || syncInterval.isZero() || storeConnections < 1) {
            throw new IllegalArgumentException("ledger.rate-limit: sync-tokens >= 0, sync-interval > 0 and store-connections >= 1");
        }
    }

    long syncTokensFor(long rate) {
        return syncTokens > 0 ? syncTokens : Math.max(1, rate / 20);
    }

    long rateOf(String tenantId) {
        return tenants.getOrDefault(tenantId, requestsPerSecond);
    }

    long burstOf(String tenantId) {
        Long own = tenants.get(tenantId);
        return own == null ? burst : Math.max(1, own);
    }
}
