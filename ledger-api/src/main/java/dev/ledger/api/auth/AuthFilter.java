package dev.ledger.api.auth;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/** Every /v1 call needs a valid key, except the public checkpoint keys and Stripe's signed webhooks. */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
class AuthFilter extends OncePerRequestFilter {

    private final ApiKeys keys;
    private final ObjectMapper json;

    AuthFilter(ApiKeys keys, ObjectMapper json) {
        this.keys = keys;
        this.json = json;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        String path = request.getRequestURI();
        return !path.startsWith("/v1/") || path.equals("/v1/checkpoint-keys") || path.equals("/v1/webhooks/stripe");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String header = request.getHeader("Authorization");
        Optional<Caller> caller = header != null && header.startsWith("Bearer ")
                ? keys.authenticate(header.substring(7).trim())
                : Optional.empty();
        if (caller.isEmpty()) {
            response.setHeader("WWW-Authenticate", "Bearer");
            Problems.write(response, json, new ApiProblem(HttpStatus.UNAUTHORIZED, "unauthenticated",
                    "A valid API key is required: Authorization: Bearer lk_<key_id>_<secret>."));
            return;
        }
        request.setAttribute(Caller.ATTRIBUTE, caller.get());
        chain.doFilter(request, response);
    }
}
