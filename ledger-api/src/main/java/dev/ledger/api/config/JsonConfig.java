package dev.ledger.api.config;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import dev.ledger.api.web.BodyLimits;
import dev.ledger.core.messages.LedgerJson;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.http.ProblemDetail;
import org.springframework.http.converter.json.MappingJackson2HttpMessageConverter;
import org.springframework.http.converter.json.ProblemDetailJacksonMixin;

/**
 * The one JSON configuration, shared by HTTP, the Axon serializers and Kafka, plus what only untrusted input needs:
 * the HTTP converter reads with stream limits (document length, depth, tokens, string and number lengths).
 */
@Configuration
class JsonConfig {

    /** Deeper than any documented body (admin-action details included) needs. */
    static final int MAX_DEPTH = 32;
    /** Well above a full batch of 1,000 evaluations with 64 gates each. */
    static final long MAX_TOKENS = 1_000_000;
    static final int MAX_STRING_LENGTH = 64 * 1024;
    static final int MAX_NUMBER_LENGTH = 32;
    static final int MAX_NAME_LENGTH = 1024;

    @Bean
    @Primary
    ObjectMapper objectMapper() {
        ObjectMapper mapper = LedgerJson.configure(new ObjectMapper())
                .addMixIn(ProblemDetail.class, ProblemDetailJacksonMixin.class)
                // a quantity is an integer as sent: 1.5 or "3" for a long is the wrong type, never rounded or parsed
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT);
        mapper.coercionConfigFor(LogicalType.Integer)
                .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.String, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.EmptyString, CoercionAction.Fail)
                .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
        return mapper;
    }

    /** Request bodies are read through this converter only; stored entries and Kafka records are not bound by it. */
    @Bean
    MappingJackson2HttpMessageConverter httpJsonConverter(ObjectMapper json) {
        ObjectMapper http = json.copy();
        http.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxDocumentLength(BodyLimits.MAX_BYTES)
                .maxNestingDepth(MAX_DEPTH)
                .maxTokenCount(MAX_TOKENS)
                .maxStringLength(MAX_STRING_LENGTH)
                .maxNumberLength(MAX_NUMBER_LENGTH)
                .maxNameLength(MAX_NAME_LENGTH)
                .build());
        return new MappingJackson2HttpMessageConverter(http);
    }
}
