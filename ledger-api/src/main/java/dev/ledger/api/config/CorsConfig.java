package dev.ledger.api.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.Problems;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.http.server.ServletServerHttpResponse;
import org.springframework.web.cors.CorsConfiguration;
import org.springframework.web.cors.DefaultCorsProcessor;
import org.springframework.web.cors.UrlBasedCorsConfigurationSource;
import org.springframework.web.filter.CorsFilter;

/**
 * Cross-origin calls from browsers: only the origins of {@code LEDGER_CORS_ORIGINS}, with credentials sent as the
 * {@code Authorization} header (never cookies). The filter runs before authentication, since a browser's preflight
 * carries no key; it answers preflights itself and refuses a request from another origin with 403 problem+json.
 * Without origins the filter is not installed: no browser origin is allowed then, and the answers do not vary by
 * {@code Origin} (Spring's processor adds its three {@code Vary} names to every answer, which Tomcat's compression check
 * then parses again on each one).
 */
@Configuration
class CorsConfig {

    static final List<String> METHODS = List.of("GET", "POST", "PUT", "PATCH", "DELETE");
    static final List<String> HEADERS = List.of("Authorization", "Content-Type", "Idempotency-Key", "Accept");

    @Bean
    FilterRegistrationBean<CorsFilter> corsFilter(LedgerProperties props, ObjectMapper json) {
        UrlBasedCorsConfigurationSource source = new UrlBasedCorsConfigurationSource();
        if (!props.corsOrigins().isEmpty()) {
            CorsConfiguration cors = new CorsConfiguration();
            cors.setAllowedOrigins(props.corsOrigins());
            cors.setAllowedMethods(METHODS);
            cors.setAllowedHeaders(HEADERS);
            cors.setAllowCredentials(false);
            cors.setMaxAge(Duration.ofHours(1));
            source.registerCorsConfiguration("/**", cors);
        }
        CorsFilter filter = new CorsFilter(source);
        filter.setCorsProcessor(new DefaultCorsProcessor() {
            @Override
            protected void rejectRequest(ServerHttpResponse response) throws IOException {
                HttpServletResponse servlet = ((ServletServerHttpResponse) response).getServletResponse();
                Problems.write(servlet, json, new ApiProblem(HttpStatus.FORBIDDEN, "cors_origin_refused",
                        "This origin may not call the ledger API from a browser (LEDGER_CORS_ORIGINS)."));
            }
        });
        FilterRegistrationBean<CorsFilter> registration = new FilterRegistrationBean<>(filter);
        // after RequestGate (which refuses non-canonical paths first), before authentication (preflights carry no key)
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 5);
        registration.addUrlPatterns("/*");
        registration.setEnabled(!props.corsOrigins().isEmpty());
        return registration;
    }
}
