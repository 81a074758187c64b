package dev.ledger.core.entry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.core.entry.EntryTypes.EntryType;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.evaluation.GateOutcome;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.usage.UsageRecorded;
import java.util.Arrays;
import java.util.List;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.SimpleSerializedType;
import org.axonframework.serialization.UnknownSerializedType;
import org.junit.jupiter.api.Test;

/** Every ledger event has exactly one stored name and revision, and stored names lead back to their classes only. */
class EntryTypeRegistryTest {

    @Test
    void everyPermittedLedgerEventIsRegisteredExactlyOnce() {
        List<Class<?>> permitted = Arrays.asList(LedgerEvent.class.getPermittedSubclasses());
        assertThat(EntryTypes.all()).<Class<?>>extracting(EntryType::eventClass).as("the registry names every LedgerEvent, and nothing else")
                .containsExactlyInAnyOrderElementsOf(permitted);
        for (Class<?> event : permitted) {
            assertThat(EntryTypes.of(event).eventClass()).isEqualTo(event);
        }
    }

    @Test
    void storedNamesAreUniqueLogicalNamesWithARevision() {
        assertThat(EntryTypes.all()).extracting(EntryType::name).doesNotHaveDuplicates()
                .allSatisfy(name -> assertThat(name).matches("[A-Z][A-Za-z0-9]*").doesNotContain("."));
        assertThat(EntryTypes.all()).extracting(EntryType::revision).allSatisfy(revision -> assertThat(revision).isNotBlank());
        assertThat(EntryTypes.of(EvaluationRecorded.class)).isEqualTo(new EntryType("EvaluationRecorded", "1", EvaluationRecorded.class));
    }

    @Test
    void theChainSpecificationListsEveryRegisteredTypeWithItsRevision() throws java.io.IOException {
        String spec = java.nio.file.Files.readString(java.nio.file.Path.of("..", "docs", "chain.md"));
        String section = spec.substring(spec.indexOf("Entry types of format " + ChainFormat.VERSION), spec.indexOf("## 1."));
        for (EntryType type : EntryTypes.all()) {
            assertThat(section).as("docs/chain.md section 0 lists %s", type.name()).contains("`" + type.name() + "`");
            assertThat(section).contains("revision `" + type.revision() + "`");
        }
    }

    @Test
    void givenAStoredNameThenItLeadsBackToItsClassAndAClassNameLeadsNowhere() {
        for (EntryType type : EntryTypes.all()) {
            assertThat(EntryTypes.named(type.name())).contains(type);
        }
        assertThat(EntryTypes.named(EvaluationRecorded.class.getName())).isEmpty();
        assertThat(EntryTypes.isKnown(null)).isFalse();
        assertThatThrownBy(() -> EntryTypes.read(UsageRecorded.class.getName(), "{}".getBytes()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a ledger entry type");
    }

    @Test
    void givenAnEventWhenTheStoreSerializesItThenItsTypeIsTheLogicalNameAndItReadsBack() {
        EntryTypeSerializer serializer = EntryTypeSerializer.using(LedgerJson.mapper());
        EvaluationRecorded event = new EvaluationRecorded("acme", "ev-1", "p", "1", "s", "d", TerminalState.APPROVED,
                List.of(new GateResult("g", GateOutcome.PASS, null)), "2026-11-21T10:00:00Z");

        SerializedObject<byte[]> stored = serializer.serialize(event, byte[].class);

        assertThat(stored.getType()).isEqualTo(new SimpleSerializedType("EvaluationRecorded", "1"));
        assertThat(new String(stored.getData())).doesNotContain("dev.ledger");
        assertThat((Object) serializer.deserialize(stored)).isEqualTo(event);
        assertThat(EntryTypes.read("EvaluationRecorded", stored.getData())).isEqualTo(event);
        assertThat(serializer.classForType(new SimpleSerializedType(EvaluationRecorded.class.getName(), "1")))
                .as("a Java class name is no stored type").isEqualTo(UnknownSerializedType.class);
    }
}
