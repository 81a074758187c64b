package dev.ledger.api.config;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.core.messages.LedgerJson;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;

/** The one JSON configuration, shared by HTTP, the Axon serializers and Kafka. */
@Configuration
class JsonConfig {

    @Bean
    @Primary
    ObjectMapper objectMapper() {
        return LedgerJson.configure(new ObjectMapper())
                .addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class);
    }
}
