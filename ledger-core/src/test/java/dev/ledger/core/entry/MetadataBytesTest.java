package dev.ledger.core.entry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.messages.LedgerJson;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.json.JacksonSerializer;
import org.junit.jupiter.api.Test;

/**
 * An entry's metadata is stored, and hashed into its chain link, as exactly the bytes Axon's Jackson serializer writes
 * for it: the direct writer of string metadata must not change one byte, nor the type it is stored under.
 */
class MetadataBytesTest {

    private final EntryTypeSerializer store = EntryTypeSerializer.using(LedgerJson.mapper());
    private final JacksonSerializer axon = JacksonSerializer.builder().objectMapper(LedgerJson.mapper()).build();

    @Test
    void givenStringMetadataThenTheStoredBytesAreThoseOfTheMappersOwnSerializer() {
        Random random = new Random(29);
        String alphabet = "az09_:-\"\\/\u0000\u001f\u007f\u00e9\u20ac\ud83d\ude00 \t\n<>&'";
        for (int i = 0; i < 20_000; i++) {
            Map<String, Object> values = new HashMap<>();
            int members = random.nextInt(9);
            for (int m = 0; m < members; m++) {
                values.put(text(random, alphabet, 1 + random.nextInt(20)), text(random, alphabet, random.nextInt(80)));
            }
            // as the write path builds it: one map from the request, merged with the billable facts
            MetaData metadata = MetaData.from(values).mergedWith(Map.of("billable_meter", "evaluations", "billable_units", "1"));
            if (random.nextBoolean()) {
                metadata = metadata.withoutKeys(java.util.Set.of("billable_units"));
            }
            SerializedObject<byte[]> ours = store.serialize(metadata, byte[].class);
            SerializedObject<byte[]> theirs = axon.serialize(metadata, byte[].class);
            assertThat(ours.getData()).as("%s", metadata).isEqualTo(theirs.getData());
            assertThat(ours.getType()).isEqualTo(theirs.getType());
            MetaData back = store.deserialize(ours);
            assertThat(back).isEqualTo(metadata);
        }
    }

    @Test
    void givenMetadataWithOtherValuesThenItIsStoredTheMappersWay() {
        MetaData metadata = MetaData.from(Map.of("actor", "key:1", "count", 3L, "flag", true));
        assertThat(store.serialize(metadata, byte[].class).getData()).isEqualTo(axon.serialize(metadata, byte[].class).getData());
        assertThat(new String(store.serialize(MetaData.emptyInstance(), byte[].class).getData())).isEqualTo("{}");
    }

    private static String text(Random random, String alphabet, int length) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < length; i++) {
            char c = alphabet.charAt(random.nextInt(alphabet.length()));
            if (Character.isHighSurrogate(c)) {
                b.append(c).append('\ude00');
            } else if (!Character.isLowSurrogate(c)) {
                b.append(c);
            }
        }
        return b.toString();
    }
}
