package dev.ledger.api.ratelimit;

import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Per-tenant request rate: {@code requestsPerSecond} sustained with bursts up to {@code burst};
 * {@code tenants} overrides the sustained rate for named tenants (ledger.rate-limit.tenants.acme=50);
 * {@code failedAuthPerMinute} failed authentications a source address may make per minute before it is refused.
 */
@ConfigurationProperties(prefix = "ledger.rate-limit")
public record RateLimitProperties(@DefaultValue("2000") long requestsPerSecond, @DefaultValue("4000") long burst,
                                  @DefaultValue Map<String, Long> tenants, @DefaultValue("30") long failedAuthPerMinute) {

    long rateOf(String tenantId) {
        return tenants.getOrDefault(tenantId, requestsPerSecond);
    }

    long burstOf(String tenantId) {
        Long own = tenants.get(tenantId);
        return own == null ? burst : Math.max(1, own);
    }
}
