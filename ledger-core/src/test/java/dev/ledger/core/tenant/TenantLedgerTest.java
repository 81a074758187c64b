package dev.ledger.core.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.messages.AppendEntries;
import dev.ledger.core.messages.AppendOutcome;
import dev.ledger.core.messages.EvaluationRecorded;
import dev.ledger.core.messages.GateOutcome;
import dev.ledger.core.messages.GateResult;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.messages.RegisterTenant;
import dev.ledger.core.messages.TenantReactivated;
import dev.ledger.core.messages.TenantRegistered;
import dev.ledger.core.messages.TenantSuspended;
import dev.ledger.core.messages.TerminalState;
import dev.ledger.core.messages.UsageRecorded;
import java.util.List;
import java.util.Map;
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

    private static AppendEntries append(LedgerEvent... events) {
        return AppendEntries.of("acme", List.of(events), Map.of("actor", "test"));
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
                .when(append(evaluation("e1"), evaluation("e2")))
                .expectEvents(evaluation("e1"), evaluation("e2"))
                .expectResultMessagePayload(List.of(AppendOutcome.appended(2), AppendOutcome.appended(3)));
    }

    @Test
    void aSuspendedTenantRecordsNothingBillableButStillRecordsItsReactivation() {
        UsageRecorded usage = new UsageRecorded("acme", "u1", "tokens", 5, "2026-11-21T10:00:00Z");
        TenantReactivated back = new TenantReactivated("acme", "paid", "admin");
        AppendOutcome suspended = AppendOutcome.rejected("tenant_suspended",
                "The tenant is suspended; nothing billable is recorded until it is reactivated.");
        fixture.given(new TenantRegistered("acme", "Acme", null, "admin"), new TenantSuspended("acme", "unpaid", "admin"))
                .when(append(evaluation("e1"), usage, back))
                .expectEvents(back)
                .expectResultMessagePayload(List.of(suspended, suspended, AppendOutcome.appended(3)));
    }

    @Test
    void oneRejectedItemDoesNotFailItsNeighbours() {
        fixture.given(new TenantRegistered("acme", "Acme", null, "admin"))
                .when(append(evaluation("e1"), new TenantRegistered("acme", "again", null, "admin"), evaluation("e2")))
                .expectEvents(evaluation("e1"), evaluation("e2"))
                .expectResultMessagePayloadMatching(org.hamcrest.Matchers.hasSize(3));
        assertThat(AppendOutcome.rejected("tenant_exists", "x").isAppended()).isFalse();
    }
}
