package dev.ledger.api.ratelimit;

import dev.ledger.api.auth.FailedAuthentications;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The failed-authentication limit the authentication filter applies, from the rate-limit settings. */
@Configuration
class FailedAuthenticationLimit {

    @Bean
    FailedAuthentications failedAuthentications(RateLimitProperties props) {
        return new FailedAuthentications(props.failedAuthPerMinute());
    }
}
