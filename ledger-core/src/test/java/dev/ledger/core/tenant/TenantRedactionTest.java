package dev.ledger.core.tenant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.core.audit.PayloadsRedacted;
import dev.ledger.core.entry.EntryTypeSerializer;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.keys.ApiKeyIssued;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.TenantCommand.RedactPayloads;
import dev.ledger.core.tenant.TenantCommand.RedactPayloads.Target;
import dev.ledger.core.usage.UsageRecorded;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.EventSourcedAggregate;
import org.axonframework.eventsourcing.NoSnapshotTriggerDefinition;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.messaging.MetaData;
import org.axonframework.messaging.unitofwork.DefaultUnitOfWork;
import org.axonframework.modelling.command.inspection.AnnotatedAggregateMetaModelFactory;
import org.axonframework.serialization.SerializedMessage;
import org.axonframework.serialization.SerializedObject;
import org.axonframework.serialization.SimpleSerializedObject;
import org.axonframework.serialization.json.JacksonSerializer;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.axonframework.test.aggregate.FixtureConfiguration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Redaction decided by the tenant's aggregate: what may be redacted, once, and what it remembers across a replay. */
class TenantRedactionTest {

    private static final TenantRegistered REGISTERED = new TenantRegistered("acme", "Acme", null, "admin");
    private static final EvaluationRecorded EVALUATION = new EvaluationRecorded("acme", "ev_1", "pol", "7", "agent:1",
            "sha256:" + "ab".repeat(32), TerminalState.APPROVED, List.of(), "2026-12-03T10:00:00Z");
    private static final UsageRecorded USAGE = new UsageRecorded("acme", "u_1", "tokens", 5, "2026-12-03T10:00:00Z");
    private static final String D2 = "12".repeat(32);
    private static final String D3 = "34".repeat(32);

    private FixtureConfiguration<TenantLedger> fixture;

    @BeforeEach
    void setUp() {
        fixture = new AggregateTestFixture<>(TenantLedger.class);
    }

    private static AppendEntries append(TenantCommand... commands) {
        return AppendEntries.of("acme", List.of(commands), Map.of("actor", "admin"));
    }

    private static RedactPayloads redact(Target... targets) {
        return new RedactPayloads(List.of(targets), "erasure request 17", null);
    }

    @Test
    void anEvaluationAndAUsageRecordAreRedactedInOneEntryNamingTheirDigests() {
        fixture.given(REGISTERED, EVALUATION, USAGE)
                .when(append(new RedactPayloads(List.of(new Target(2, D2, "EvaluationRecorded"), new Target(3, D3, "UsageRecorded")),
                        "retention", PayloadsRedacted.retentionPolicy(30))))
                .expectEvents(new PayloadsRedacted("acme", List.of(new PayloadsRedacted.Redaction(2, D2, "EvaluationRecorded"),
                        new PayloadsRedacted.Redaction(3, D3, "UsageRecorded")), "retention", "retention:30d"))
                .expectResultMessagePayload(List.of(AppendOutcome.appended(4)));
    }

    @Test
    void aSecondRedactionOfTheSameEntryIsRefused() {
        fixture.given(REGISTERED, EVALUATION, new PayloadsRedacted("acme", List.of(new PayloadsRedacted.Redaction(2, D2,
                        "EvaluationRecorded")), "first", null))
                .when(append(redact(new Target(2, D2, "EvaluationRecorded"))))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.ALREADY_REDACTED)));
    }

    @Test
    void oneEntryNamedTwiceInOneRedactionIsRefused() {
        fixture.given(REGISTERED, EVALUATION)
                .when(append(redact(new Target(2, D2, "EvaluationRecorded"), new Target(2, D2, "EvaluationRecorded"))))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.ALREADY_REDACTED)));
    }

    @Test
    void entriesCarryingDecisionStateAndRedactionsThemselvesAreNotRedactable() {
        for (String type : List.of("TenantRegistered", "ApiKeyIssued", "TenantSuspended", "InvoiceWitnessed",
                "VerificationRecorded", "PayloadsRedacted", "UsageReported", "ReconciliationRecorded")) {
            fixture = new AggregateTestFixture<>(TenantLedger.class);
            fixture.given(REGISTERED, new ApiKeyIssued("acme", "k", List.of("audit:read"), "admin"))
                    .when(append(redact(new Target(1, D2, type))))
                    .expectNoEvents()
                    .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.NOT_REDACTABLE)));
        }
        assertThat(EntryTypes.all()).extracting(EntryTypes.EntryType::name).filteredOn(EntryTypes::isRedactable)
                .containsExactlyInAnyOrder("EvaluationRecorded", "UsageRecorded", "AdminActionRecorded", "StripeEventRecorded");
    }

    @Test
    void aSequenceOutsideTheChainIsRefused() {
        fixture.given(REGISTERED, EVALUATION)
                .when(append(redact(new Target(3, D2, "EvaluationRecorded")), redact(new Target(0, D2, "EvaluationRecorded"))))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.ENTRY_NOT_IN_CHAIN),
                        AppendOutcome.rejected(Rejection.ENTRY_NOT_IN_CHAIN)));
    }

    @Test
    void aRedactionNamesOneToFiveHundredEntries() {
        assertThatThrownBy(() -> new RedactPayloads(List.of(), "r", null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new RedactPayloads(Collections.nCopies(501, new Target(2, D2, "UsageRecorded")), "r", null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * A restart: the tenant is replayed from the store, where the redacted evaluation's payload is no bytes at all.
     * The replay never reads it, reads the PayloadsRedacted entry, and so still refuses a second redaction; its
     * snapshot (the aggregate as JSON) keeps what is redacted too.
     */
    @Test
    void aReplayedTenantWithAnErasedPayloadRemembersWhatIsRedacted() throws Exception {
        JacksonSerializer serializer = EntryTypeSerializer.using(LedgerJson.mapper());
        List<DomainEventMessage<?>> stored = new ArrayList<>();
        stored.add(stored(serializer, 0, serializer.serialize(REGISTERED, byte[].class)));
        stored.add(stored(serializer, 1, erased(EvaluationRecorded.class)));
        stored.add(stored(serializer, 2, serializer.serialize(new PayloadsRedacted("acme",
                List.of(new PayloadsRedacted.Redaction(2, D2, "EvaluationRecorded")), "erasure", null), byte[].class)));
        DefaultUnitOfWork<?> uow = DefaultUnitOfWork.startAndGet(null);
        EventSourcedAggregate<TenantLedger> tenant = EventSourcedAggregate.initialize(new TenantLedger(),
                AnnotatedAggregateMetaModelFactory.inspectAggregate(TenantLedger.class), null, NoSnapshotTriggerDefinition.TRIGGER);
        tenant.initializeState(DomainEventStream.of(stored));
        uow.rollback();
        TenantLedger replayed = tenant.getAggregateRoot();
        assertThat(replayed.sequence()).isEqualTo(3);
        assertThat(replayed.isRedacted(2)).isTrue();
        assertThat(replayed.isRedacted(1)).isFalse();

        TenantLedger fromSnapshot = LedgerJson.mapper().readValue(LedgerJson.mapper().writeValueAsBytes(replayed), TenantLedger.class);
        assertThat(fromSnapshot.isRedacted(2)).isTrue();
        assertThat(fromSnapshot.sequence()).isEqualTo(3);
    }

    private static SerializedObject<byte[]> erased(Class<? extends LedgerEvent> type) {
        EntryTypes.EntryType stored = EntryTypes.of(type);
        return new SimpleSerializedObject<>(new byte[0], byte[].class, stored.name(), stored.revision());
    }

    private static DomainEventMessage<?> stored(JacksonSerializer serializer, long sequence, SerializedObject<byte[]> payload) {
        SerializedObject<byte[]> metaData = serializer.serialize(MetaData.emptyInstance(), byte[].class);
        return new GenericDomainEventMessage<>("TenantLedger", "acme", sequence,
                new SerializedMessage<>(UUID.randomUUID().toString(), payload, metaData, serializer), Instant::now);
    }
}
