package dev.ledger.core.messages;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The one JSON configuration shared by the API, the event store and Kafka: snake_case, ISO timestamps, unknown
 * members refused. Stored payload bytes are whatever this mapper wrote; the chain hashes those exact bytes.
 */
public final class LedgerJson {

    private static final ObjectMapper MAPPER = configure(new ObjectMapper());
    /** A reader per ledger event type, by stored type name: readers are immutable and skip a type lookup per call. */
    private static final Map<String, ObjectReader> EVENT_READERS = Arrays.stream(LedgerEvent.class.getPermittedSubclasses())
            .collect(Collectors.toUnmodifiableMap(Class::getName, MAPPER::readerFor));

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

    /** Reads a stored payload back into its event, accepting only the ledger's own event types. */
    public static LedgerEvent readEvent(String type, byte[] payload) {
        ObjectReader reader = EVENT_READERS.get(type);
        if (reader == null) {
            throw new IllegalArgumentException("not a ledger event type: " + type);
        }
        try {
            return (LedgerEvent) reader.readValue(payload);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + type + " payload", e);
        }
    }

    /** The short name clients see ("EvaluationRecorded") for a stored type. */
    public static String shortType(String type) {
        int dot = type.lastIndexOf('.');
        return dot < 0 ? type : type.substring(dot + 1);
    }
}
