package dev.ledger.core.messages;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/**
 * The one JSON configuration shared by the API, the event store and Kafka: snake_case, ISO timestamps, unknown
 * members refused. Stored payload bytes are whatever this mapper wrote; the chain hashes those exact bytes.
 */
public final class LedgerJson {

    private static final ObjectMapper MAPPER = configure(new ObjectMapper());

    private LedgerJson() {
    }

    public static ObjectMapper configure(ObjectMapper mapper) {
        return mapper.registerModule(new JavaTimeModule())
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * The name clients see for a stored type. Stored types are logical names already (dev.ledger.core.entry.EntryTypes);
     * this only strips a package, which no stored type has.
     */
    public static String shortType(String type) {
        int dot = type.lastIndexOf('.');
        return dot < 0 ? type : type.substring(dot + 1);
    }
}
