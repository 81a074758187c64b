package dev.ledger.core.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.entry.EntryTypeSerializer;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.tenant.AppendEntries;
import dev.ledger.core.tenant.AppendOutcome;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.evaluation.GateOutcome;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.tenant.RegisterTenant;
import dev.ledger.core.tenant.Rejection;
import dev.ledger.core.tenant.StripeCustomerLinked;
import dev.ledger.core.tenant.TenantReactivated;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.tenant.TenantCommand;
import dev.ledger.core.tenant.TenantStatus;
import dev.ledger.core.tenant.TenantSuspended;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.usage.UsageRecorded;
import dev.ledger.core.messages.LedgerJson;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventsourcing.EventSourcedAggregate;
import org.axonframework.eventsourcing.NoSnapshotTriggerDefinition;
import org.axonframework.eventsourcing.eventstore.DomainEventStream;
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

class TenantLedgerTest {

    private FixtureConfiguration<TenantLedger> fixture;

    @BeforeEach
    void setUp() {
        fixture = new AggregateTestFixture<>(TenantLedger.class);
    }

    private static EvaluationRecorded evaluation(String id) {
        return new EvaluationRecorded("acme", id, "pol", "1", "agent:1", "sha256:" + "0".repeat(64), TerminalState.APPROVED,
                List.of(new GateResult("pii", GateOutcome.PASS, null)), "2026-11-21T10:00:00Z");
    }

    private static TenantCommand.RecordEvaluation recordEvaluation(String id) {
        return new TenantCommand.RecordEvaluation(id, "pol", "1", "agent:1", "sha256:" + "0".repeat(64), TerminalState.APPROVED,
                List.of(new GateResult("pii", GateOutcome.PASS, null)), "2026-11-21T10:00:00Z");
    }

    private static AppendEntries append(TenantCommand... commands) {
        return AppendEntries.of("acme", List.of(commands), Map.of("actor", "test"));
    }

    @Test
    void registeringATenantOpensItsChainWithTenantRegistered() {
        fixture.givenNoPriorActivity()
                .when(new RegisterTenant("acme", "Acme", null, "admin"))
                .expectSuccessfulHandlerExecution()
                .expectEvents(new TenantRegistered("acme", "Acme", null, "admin"));
    }

    @Test
    void appendingEntriesAnswersTheirChainSequencesInOrder() {
        fixture.given(new TenantRegistered("acme", "Acme", null, "admin"))
                .when(append(recordEvaluation("e1"), recordEvaluation("e2")))
                .expectEvents(evaluation("e1"), evaluation("e2"))
                .expectResultMessagePayload(List.of(AppendOutcome.appended(2), AppendOutcome.appended(3)));
    }

    @Test
    void aBillableEntryCarriesItsMeterAndQuantityInItsMetadataAndAnotherEntryDoesNot() {
        TenantCommand usage = new TenantCommand.RecordUsage("u1", "tokens", 1200, "2026-11-21T10:00:00Z");
        TenantCommand admin = new TenantCommand.RecordAdminAction("alice", "policy.published", "pol@7", null);
        fixture.given(new TenantRegistered("acme", "Acme", null, "admin"))
                .when(append(usage, recordEvaluation("e1"), admin))
                .expectEventsMatching(org.axonframework.test.matchers.Matchers.exactSequenceOf(
                        metadataIs(Map.of("actor", "test", "meter", "tokens", "quantity", "1200")),
                        metadataIs(Map.of("actor", "test", "meter", "evaluations", "quantity", "1")),
                        metadataIs(Map.of("actor", "test")),
                        org.axonframework.test.matchers.Matchers.andNoMore()));
    }

    private static org.hamcrest.Matcher<org.axonframework.eventhandling.EventMessage<?>> metadataIs(Map<String, String> expected) {
        return new org.hamcrest.TypeSafeMatcher<>() {
            @Override
            protected boolean matchesSafely(org.axonframework.eventhandling.EventMessage<?> message) {
                return message.getMetaData().equals(MetaData.from(expected));
            }

            @Override
            public void describeTo(org.hamcrest.Description description) {
                description.appendText("an entry with metadata ").appendValue(expected);
            }
        };
    }

    @Test
    void aSuspendedTenantRecordsNothingBillableButStillRecordsItsReactivation() {
        TenantCommand usage = new TenantCommand.RecordUsage("u1", "tokens", 5, "2026-11-21T10:00:00Z");
        TenantReactivated back = new TenantReactivated("acme", "paid", "admin");
        AppendOutcome suspended = AppendOutcome.rejected(Rejection.TENANT_SUSPENDED);
        fixture.given(new TenantRegistered("acme", "Acme", null, "admin"), new TenantSuspended("acme", "unpaid", "admin"))
                .when(append(recordEvaluation("e1"), usage, new TenantCommand.Reactivate("paid", "admin")))
                .expectEvents(back)
                .expectResultMessagePayload(List.of(suspended, suspended, AppendOutcome.appended(3)));
    }

    @Test
    void oneRejectedItemDoesNotFailItsNeighbours() {
        fixture.given(new TenantRegistered("acme", "Acme", null, "admin"))
                .when(append(recordEvaluation("e1"), new TenantCommand.Suspend("unpaid", "admin"),
                        new TenantCommand.Suspend("unpaid again", "admin"), new TenantCommand.Reactivate("paid", "admin"),
                        recordEvaluation("e2")))
                .expectEvents(evaluation("e1"), new TenantSuspended("acme", "unpaid", "admin"),
                        new TenantReactivated("acme", "paid", "admin"), evaluation("e2"))
                .expectResultMessagePayload(List.of(AppendOutcome.appended(2), AppendOutcome.appended(3),
                        AppendOutcome.rejected(Rejection.TENANT_ALREADY_SUSPENDED), AppendOutcome.appended(4), AppendOutcome.appended(5)));
    }

    @Test
    void aTenantLinkedToAStripeCustomerIsNeverRelinkedToAnother() {
        fixture.given(new TenantRegistered("acme", "Acme", null, "admin"), new StripeCustomerLinked("acme", "cus_A", "key:svc"))
                .when(append(new TenantCommand.LinkStripeCustomer("cus_B", "key:svc")))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.STRIPE_CUSTOMER_ALREADY_LINKED)));
    }

    /**
     * Loading a tenant replays its stored entries. Only the entries that change its decision state are read; the
     * others (evaluations and usage, nearly all of a chain) are counted by type, so their stored bytes here are not
     * even JSON: deserializing any of them would fail the replay.
     */
    @Test
    void replayingStoredEntriesReadsOnlyTheOnesThatChangeTheTenantsState() throws Exception {
        JacksonSerializer serializer = EntryTypeSerializer.using(LedgerJson.mapper());
        List<DomainEventMessage<?>> stored = new ArrayList<>();
        stored.add(stored(serializer, stored.size(), serializer.serialize(new TenantRegistered("acme", "Acme", null, "a"),
                byte[].class)));
        for (int i = 0; i < 5; i++) {
            stored.add(stored(serializer, stored.size(), unreadable(EvaluationRecorded.class)));
        }
        stored.add(stored(serializer, stored.size(), unreadable(UsageRecorded.class)));
        stored.add(stored(serializer, stored.size(), serializer.serialize(new TenantSuspended("acme", "unpaid", "a"),
                byte[].class)));
        stored.add(stored(serializer, stored.size(), unreadable(EvaluationRecorded.class)));

        DefaultUnitOfWork<?> uow = DefaultUnitOfWork.startAndGet(null);
        EventSourcedAggregate<TenantLedger> tenant = EventSourcedAggregate.initialize(new TenantLedger(),
                AnnotatedAggregateMetaModelFactory.inspectAggregate(TenantLedger.class), null,
                NoSnapshotTriggerDefinition.TRIGGER);
        tenant.initializeState(DomainEventStream.of(stored));
        uow.rollback();

        assertThat(tenant.getAggregateRoot().sequence()).isEqualTo(stored.size());
        assertThat(tenant.getAggregateRoot().status()).isEqualTo(TenantStatus.SUSPENDED);
    }

    private static SerializedObject<byte[]> unreadable(Class<? extends LedgerEvent> type) {
        EntryTypes.EntryType stored = EntryTypes.of(type);
        return new SimpleSerializedObject<>("not json".getBytes(StandardCharsets.UTF_8), byte[].class, stored.name(), stored.revision());
    }

    private static DomainEventMessage<?> stored(JacksonSerializer serializer, long sequence, SerializedObject<byte[]> payload) {
        SerializedObject<byte[]> metaData = serializer.serialize(MetaData.emptyInstance(), byte[].class);
        return new GenericDomainEventMessage<>("TenantLedger", "acme", sequence,
                new SerializedMessage<>(UUID.randomUUID().toString(), payload, metaData, serializer), Instant::now);
    }
}
