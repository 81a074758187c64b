package dev.ledger.api.ratelimit;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.api.auth.Caller;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.Problems;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.github.bucket4j.ConsumptionProbe;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * A token bucket per tenant, shared by every instance ({@link TenantBuckets}); over it: 429 rate_limited with
 * Retry-After. The admin is not limited.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
class RateLimitFilter extends OncePerRequestFilter {

    private final TenantBuckets buckets;
    private final ObjectMapper json;
    private final MeterRegistry metrics;

    RateLimitFilter(TenantBuckets buckets, ObjectMapper json, MeterRegistry metrics) {
        this.buckets = buckets;
        this.json = json;
        this.metrics = metrics;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Caller caller = (Caller) request.getAttribute(Caller.ATTRIBUTE);
        if (caller == null || caller.tenantId() == null) {
            chain.doFilter(request, response);
            return;
        }
        ConsumptionProbe probe = buckets.take(caller.tenantId());
        if (probe.isConsumed()) {
            chain.doFilter(request, response);
            return;
        }
        // one series per tenant that was ever limited: bounded by the registered tenants, the caller is authenticated
        Counter.builder("ledger.ratelimit.rejections").tag("tenant", caller.tenantId())
                .description("requests refused 429 rate_limited, by tenant").register(metrics).increment();
        long seconds = Math.max(1, (probe.getNanosToWaitForRefill() + 999_999_999L) / 1_000_000_000L);
        response.setHeader("Retry-After", Long.toString(seconds));
        Problems.write(response, json, new ApiProblem(HttpStatus.TOO_MANY_REQUESTS, "rate_limited",
                "This tenant's request rate is above its limit; retry after " + seconds + " s."));
    }
}
