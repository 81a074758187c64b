package dev.ledger.api.config;

import java.time.Clock;
import org.axonframework.eventhandling.GenericEventMessage;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The one clock of ledger-api: every read of the time in main code (entries' {@code recorded_at}, key issue and
 * revocation times, checkpoint issue times and intervals, export headers, the publication reconciler, time-ordered
 * entry identifiers) asks this bean. It is the system clock in UTC unless a {@link Clock} bean is already registered
 * (tests register a movable one).
 */
@Configuration
class ClockConfig {

    @Bean
    @ConditionalOnMissingBean(Clock.class)
    Clock ledgerClock() {
        return Clock.systemUTC();
    }

    /**
     * Axon stamps every new entry with its own static clock ({@code recorded_at}, which is hashed and decides the usage
     * window of an entry): it is set to this service's clock before any command runs. A static, so one clock per JVM,
     * as one ledger-api per process has.
     */
    @Bean
    AxonEntryClock axonEntryClock(Clock clock) {
        return new AxonEntryClock(clock);
    }

    /** Puts the clock into Axon for the service's lifetime, and the system clock back when it stops. */
    static final class AxonEntryClock implements SmartInitializingSingleton, DisposableBean {

        private final Clock clock;

        AxonEntryClock(Clock clock) {
            this.clock = clock;
        }

        @Override
        public void afterSingletonsInstantiated() {
            GenericEventMessage.clock = clock;
        }

        @Override
        public void destroy() {
            if (GenericEventMessage.clock == clock) {
                GenericEventMessage.clock = Clock.systemUTC();
            }
        }
    }
}
