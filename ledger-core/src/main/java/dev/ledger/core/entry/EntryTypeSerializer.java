package dev.ledger.core.entry;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.core.messages.LedgerEvent;
import org.axonframework.serialization.SerializedType;
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

    private EntryTypeSerializer(Builder builder) {
        super(builder);
    }

    /** Over the ledger's one JSON configuration (the store's, ledger-api's and the tests'). */
    public static EntryTypeSerializer using(ObjectMapper json) {
        return new EntryTypeSerializer(JacksonSerializer.builder().objectMapper(json));
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
