package dev.ledger.api;

import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * Faults a test adds to a running ledger (through {@code spring.main.sources}): a filter that throws when asked to,
 * and an async handler that never completes.
 */
@Configuration
class ErrorInjection {

    static final Map<String, Object> PROPERTIES = Map.of("spring.main.sources", ErrorInjection.class.getName(),
            "spring.mvc.async.request-timeout", "300ms");

    @Bean
    FilterRegistrationBean<Filter> throwingFilter() {
        FilterRegistrationBean<Filter> registration = new FilterRegistrationBean<>((request, response, chain) -> {
            String boom = ((HttpServletRequest) request).getHeader("X-Inject-Failure");
            if ("runtime".equals(boom)) {
                throw new IllegalStateException("injected failure in a filter");
            }
            if ("error".equals(boom)) {
                throw new StackOverflowError("injected error in a filter");
            }
            chain.doFilter(request, response);
        });
        registration.setOrder(Ordered.HIGHEST_PRECEDENCE + 30);
        return registration;
    }

    @RestController
    static class NeverAnswers {
        @GetMapping("/v1/injected/never")
        DeferredResult<String> never() {
            return new DeferredResult<>();
        }
    }
}
