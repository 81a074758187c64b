package dev.ledger.api.config;

import java.util.Map;
import org.axonframework.messaging.correlation.CorrelationDataProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration
class AxonSetup {

    /**
     * No correlation data: Axon's default copies the command's trace and correlation ids into every event's metadata,
     * which made each stored entry larger and had the Kafka publisher deserialize every entry's metadata for nothing.
     * An entry's metadata is exactly what the write path puts there (actor, keys, request digest).
     */
    @Bean
    CorrelationDataProvider noCorrelationData() {
        return message -> Map.of();
    }
}
