package dev.ledger.api.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.cors.CorsUtils;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.UrlPathHelper;

/**
 * Deny by default: every request needs a valid key, except the public paths below, matched on the path Spring MVC
 * routes on (decoded, path parameters removed; the {@code RequestGate} before this filter has already refused any
 * other spelling of a path). Nothing reads the body before this filter has decided.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
class AuthFilter extends OncePerRequestFilter {

    /**
     * Public paths: the checkpoint keys, Stripe's webhooks (signed by Stripe), probes, metrics, the OpenAPI and the
     * console's static files (which hold no data: its pages call the API with the key the user signs in with).
     */
    static final Set<String> PUBLIC = Set.of("/v1/checkpoint-keys", "/v1/webhooks/stripe", "/health", "/ready",
            "/actuator/health", "/actuator/prometheus", "/actuator/info", "/v3/api-docs", "/v3/api-docs.yaml", "/console");
    static final List<String> PUBLIC_PREFIXES = List.of("/actuator/health/", "/v3/api-docs/", "/console/");

    private final ApiKeys keys;
    private final FailedAuthentications failures;
    private final ObjectMapper json;

    AuthFilter(ApiKeys keys, FailedAuthentications failures, ObjectMapper json) {
        this.keys = keys;
        this.failures = failures;
        this.json = json;
    }

    static boolean isPublic(String path) {
        return PUBLIC.contains(path) || PUBLIC_PREFIXES.stream().anyMatch(path::startsWith);
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        // a CORS preflight carries no credentials by design and never reaches a handler
        return CorsUtils.isPreFlightRequest(request) || isPublic(UrlPathHelper.defaultInstance.getLookupPathForRequest(request));
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String source = request.getRemoteAddr();
        long wait = failures.retryAfterSeconds(source);
        if (wait > 0) {
            response.setHeader("Retry-After", Long.toString(wait));
            Problems.write(response, json, new ApiProblem(HttpStatus.TOO_MANY_REQUESTS, "rate_limited",
                    "Too many failed authentications from this address; retry after " + wait + " s."));
            return;
        }
        String header = request.getHeader("Authorization");
        Optional<Caller> caller = header != null && header.startsWith("Bearer ")
                ? keys.authenticate(header.substring(7).trim())
                : Optional.empty();
        if (caller.isEmpty()) {
            failures.failed(source);
            response.setHeader("WWW-Authenticate", "Bearer");
            Problems.write(response, json, new ApiProblem(HttpStatus.UNAUTHORIZED, "unauthenticated",
                    "A valid API key is required: Authorization: Bearer lk_<key_id>_<secret>."));
            return;
        }
        request.setAttribute(Caller.ATTRIBUTE, caller.get());
        chain.doFilter(request, response);
    }
}
