package dev.ledger.api.config;

import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The one clock of ledger-api: every read of the time in main code (key issue and revocation times, checkpoint issue
 * times and intervals, export headers, the publication reconciler, time-ordered entry identifiers) asks this bean. It
 * is the system clock in UTC unless a {@link Clock} bean is already registered (tests register a movable one).
 */
@Configuration
class ClockConfig {

    @Bean
    @ConditionalOnMissingBean(Clock.class)
    Clock ledgerClock() {
        return Clock.systemUTC();
    }
}
