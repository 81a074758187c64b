package dev.ledger.core.entry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.core.messages.LedgerEvent;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.SerializedType;
import org.axonframework.serialization.SimpleSerializedObject;
import org.axonframework.serialization.SimpleSerializedType;
import org.axonframework.serialization.UnknownSerializedType;
import org.axonframework.serialization.json.JacksonSerializer;

/**
 * Axon's Jackson serializer for the event store, except that a ledger event is stored under its logical type and
 * revision from {@link EntryTypes} (so {@code payload_type}, and the {@code type} framed into every entry hash, is
 * "EvaluationRecorded", never a Java class name) and a stored type is read back through the same registry only. A
 * stored type that is not registered is never resolved as a class name: it reads as Axon's unknown type, which no
 * handler takes. Axon's own types (the metadata) keep Axon's resolution; they name no stored entry type. The tenant
 * aggregate's snapshots go through it too, under {@link EntryTypes#TENANT_LEDGER_SNAPSHOT}.
 */
public final class EntryTypeSerializer extends JacksonSerializer {

    private static final String AXON_TYPES = "org.axonframework.";

    private final com.fasterxml.jackson.core.JsonFactory metadataJson;

    private EntryTypeSerializer(Builder builder, ObjectMapper json) {
        super(builder);
        // metadata written directly is byte for byte what the mapper writes only while it writes maps as they iterate
        boolean plainMaps = !json.isEnabled(com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                && !json.isEnabled(com.fasterxml.jackson.databind.SerializationFeature.INDENT_OUTPUT);
        this.metadataJson = plainMaps ? json.getFactory() : null;
    }

    /** Over the ledger's one JSON configuration (the store's, ledger-api's and the tests'). */
    public static EntryTypeSerializer using(ObjectMapper json) {
        return new EntryTypeSerializer(JacksonSerializer.builder().objectMapper(json), json);
    }

    /**
     * An entry's metadata (string values only, as the write path puts there) is written with the mapper's own
     * generator, member by member in the map's order: the same bytes as the mapper's map serializer, without its
     * per-value type lookups, which were a tenth of the append's CPU. Any other object goes the mapper's way.
     */
    @Override
    @SuppressWarnings("unchecked")
    public <T> SerializedObject<T> serialize(Object object, Class<T> expectedRepresentation) {
        if (object instanceof MetaData metadata && expectedRepresentation == byte[].class && metadataJson != null) {
            byte[] bytes = stringsOnly(metadata);
            if (bytes != null) {
                return new SimpleSerializedObject<>((T) bytes, expectedRepresentation, typeForClass(MetaData.class));
            }
        }
        return super.serialize(object, expectedRepresentation);
    }

    private byte[] stringsOnly(MetaData metadata) {
        for (Object value : metadata.values()) {
            if (!(value instanceof String)) {
                return null;
            }
        }
        try (com.fasterxml.jackson.core.util.ByteArrayBuilder out = new com.fasterxml.jackson.core.util.ByteArrayBuilder(256)) {
            try (com.fasterxml.jackson.core.JsonGenerator g = metadataJson.createGenerator(out)) {
                g.writeStartObject();
                for (java.util.Map.Entry<String, Object> e : metadata.entrySet()) {
                    g.writeStringField(e.getKey(), (String) e.getValue());
                }
                g.writeEndObject();
            }
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public SerializedType typeForClass(Class type) {
        if (type != null && LedgerEvent.class.isAssignableFrom(type)) {
            EntryTypes.EntryType entry = EntryTypes.of(type);
            return new SimpleSerializedType(entry.name(), entry.revision());
        }
        if (type == EntryTypes.TENANT_LEDGER_SNAPSHOT.aggregateClass()) {
            return new SimpleSerializedType(EntryTypes.TENANT_LEDGER_SNAPSHOT.name(), EntryTypes.TENANT_LEDGER_SNAPSHOT.revision());
        }
        return super.typeForClass(type);
    }

    @Override
    public Class classForType(SerializedType type) {
        if (SimpleSerializedType.emptyType().equals(type) || type.getName().startsWith(AXON_TYPES)) {
            return super.classForType(type);
        }
        if (type.getName().equals(EntryTypes.TENANT_LEDGER_SNAPSHOT.name())) {
            return EntryTypes.TENANT_LEDGER_SNAPSHOT.aggregateClass();
        }
        return EntryTypes.named(type.getName()).<Class>map(EntryTypes.EntryType::eventClass)
                .orElse(UnknownSerializedType.class);
    }
}
