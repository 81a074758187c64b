package dev.ledger.core.tenant;

import dev.ledger.core.tenant.AppendEntries;
import dev.ledger.core.tenant.AppendOutcome;
import dev.ledger.core.tenant.TenantCommand;
import dev.ledger.core.tenant.TenantCommand.LinkStripeCustomer;
import dev.ledger.core.tenant.TenantCommand.MarkPastDue;
import dev.ledger.core.tenant.TenantCommand.Reactivate;
import dev.ledger.core.tenant.TenantCommand.RecordUsage;
import dev.ledger.core.tenant.TenantCommand.Suspend;
import dev.ledger.core.tenant.Rejection;
import dev.ledger.core.tenant.TenantMarkedPastDue;
import dev.ledger.core.tenant.TenantReactivated;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.tenant.TenantSuspended;
import dev.ledger.core.usage.UsageRecorded;
import java.util.List;
import java.util.Map;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.axonframework.test.aggregate.FixtureConfiguration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The tenant's status machine: ACTIVE -> PAST_DUE -> SUSPENDED -> ACTIVE, PAST_DUE -> ACTIVE, ACTIVE -> SUSPENDED. */
class TenantLifeTest {

    private static final TenantRegistered REGISTERED = new TenantRegistered("acme", "Acme", null, "admin");
    private static final TenantMarkedPastDue PAST_DUE =
            new TenantMarkedPastDue("acme", "invoice.payment_failed", "in_1", "2026-12-10T00:00:00Z", "key:svc");
    private static final TenantSuspended SUSPENDED = new TenantSuspended("acme", "grace expired", "admin");
    private static final TenantReactivated REACTIVATED = new TenantReactivated("acme", "invoice.paid", "admin");
    private static final UsageRecorded USAGE = new UsageRecorded("acme", "u1", "tokens", 5, "2026-12-03T10:00:00Z");

    private static final MarkPastDue MARK_PAST_DUE = new MarkPastDue("invoice.payment_failed", "in_1", "2026-12-10T00:00:00Z", "key:svc");
    private static final Suspend SUSPEND = new Suspend("grace expired", "admin");
    private static final Reactivate REACTIVATE = new Reactivate("invoice.paid", "admin");
    private static final RecordUsage RECORD_USAGE = new RecordUsage("u1", "tokens", 5, "2026-12-03T10:00:00Z");

    private FixtureConfiguration<TenantLedger> fixture;

    @BeforeEach
    void setUp() {
        fixture = new AggregateTestFixture<>(TenantLedger.class);
    }

    private static AppendEntries append(TenantCommand... commands) {
        return AppendEntries.of("acme", List.of(commands), Map.of("actor", "test"));
    }

    @Test
    void markingAnActiveTenantPastDueRecordsItWithItsCause() {
        fixture.given(REGISTERED)
                .when(append(MARK_PAST_DUE))
                .expectEvents(PAST_DUE)
                .expectResultMessagePayload(List.of(AppendOutcome.appended(2)));
    }

    @Test
    void aPastDueTenantStillRecordsBillableEntriesInsideItsGracePeriod() {
        fixture.given(REGISTERED, PAST_DUE)
                .when(append(RECORD_USAGE))
                .expectEvents(USAGE)
                .expectResultMessagePayload(List.of(AppendOutcome.appended(3)));
    }

    @Test
    void aPastDueTenantIsSuspendedWhenItsGraceExpires() {
        fixture.given(REGISTERED, PAST_DUE)
                .when(append(SUSPEND, RECORD_USAGE))
                .expectEvents(SUSPENDED)
                .expectResultMessagePayload(List.of(AppendOutcome.appended(3), AppendOutcome.rejected(Rejection.TENANT_SUSPENDED)));
    }

    @Test
    void aPastDueTenantThatPaysIsActiveAgain() {
        fixture.given(REGISTERED, PAST_DUE)
                .when(append(REACTIVATE, MARK_PAST_DUE))
                .expectEvents(REACTIVATED, PAST_DUE)
                .expectResultMessagePayload(List.of(AppendOutcome.appended(3), AppendOutcome.appended(4)));
    }

    @Test
    void aSuspendedTenantIsReactivatedAndRecordsAgain() {
        fixture.given(REGISTERED, PAST_DUE, SUSPENDED)
                .when(append(REACTIVATE, RECORD_USAGE))
                .expectEvents(REACTIVATED, USAGE)
                .expectResultMessagePayload(List.of(AppendOutcome.appended(4), AppendOutcome.appended(5)));
    }

    @Test
    void anActiveTenantIsSuspendedDirectlyByAnAdmin() {
        fixture.given(REGISTERED)
                .when(append(SUSPEND))
                .expectEvents(SUSPENDED)
                .expectResultMessagePayload(List.of(AppendOutcome.appended(2)));
    }

    @Test
    void suspendingASuspendedTenantIsRefused() {
        fixture.given(REGISTERED, SUSPENDED)
                .when(append(SUSPEND))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.TENANT_ALREADY_SUSPENDED)));
    }

    @Test
    void reactivatingAnActiveTenantIsRefused() {
        fixture.given(REGISTERED)
                .when(append(REACTIVATE))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.TENANT_ALREADY_ACTIVE)));
    }

    @Test
    void markingAPastDueTenantPastDueAgainIsRefused() {
        fixture.given(REGISTERED, PAST_DUE)
                .when(append(MARK_PAST_DUE))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.TENANT_ALREADY_PAST_DUE)));
    }

    @Test
    void markingASuspendedTenantPastDueIsRefused() {
        fixture.given(REGISTERED, SUSPENDED)
                .when(append(MARK_PAST_DUE))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.TENANT_NOT_ACTIVE)));
    }

    @Test
    void aRefusedTransitionInABatchLeavesItsNeighboursRecorded() {
        fixture.given(REGISTERED)
                .when(append(REACTIVATE, RECORD_USAGE, SUSPEND, SUSPEND, REACTIVATE))
                .expectEvents(USAGE, SUSPENDED, REACTIVATED)
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.TENANT_ALREADY_ACTIVE), AppendOutcome.appended(2),
                        AppendOutcome.appended(3), AppendOutcome.rejected(Rejection.TENANT_ALREADY_SUSPENDED), AppendOutcome.appended(4)));
    }

    @Test
    void linkingTheSameStripeCustomerTwiceIsRefusedAsAlreadyLinked() {
        dev.ledger.core.tenant.StripeCustomerLinked linked = new dev.ledger.core.tenant.StripeCustomerLinked("acme", "cus_A", "key:svc");
        LinkStripeCustomer link = new LinkStripeCustomer("cus_A", "key:svc");
        fixture.given(REGISTERED, linked)
                .when(append(link))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.ALREADY_LINKED)));
    }

    @Test
    void aPastDueTenantIsStillLinkedToItsStripeCustomer() {
        dev.ledger.core.tenant.StripeCustomerLinked linked = new dev.ledger.core.tenant.StripeCustomerLinked("acme", "cus_A", "key:svc");
        LinkStripeCustomer link = new LinkStripeCustomer("cus_A", "key:svc");
        fixture.given(REGISTERED, PAST_DUE)
                .when(append(link))
                .expectEvents(linked)
                .expectResultMessagePayload(List.of(AppendOutcome.appended(3)));
    }

    private static final BillingCause FAILED = new BillingCause("evt_failed1", "in_1", 7_000, "eur", "P7D");
    private static final BillingCause PAID = new BillingCause("evt_paid1", "in_1", 7_000, "eur", null);

    @Test
    void billingsStatusChangesCarryTheirCauseIntoTheChain() {
        fixture.given(REGISTERED)
                .when(append(new MarkPastDue("invoice.payment_failed", "in_1", "2026-12-10T00:00:00Z", "key:svc", FAILED, 1L),
                        new Suspend("grace expired", "key:svc", FAILED, 2L), new Reactivate("invoice.paid", "key:svc", PAID, 3L)))
                .expectEvents(new TenantMarkedPastDue("acme", "invoice.payment_failed", "in_1", "2026-12-10T00:00:00Z", "key:svc", FAILED),
                        new TenantSuspended("acme", "grace expired", "key:svc", FAILED),
                        new TenantReactivated("acme", "invoice.paid", "key:svc", PAID))
                .expectResultMessagePayload(List.of(AppendOutcome.appended(2), AppendOutcome.appended(3), AppendOutcome.appended(4)));
    }

    @Test
    void aStatusChangeConditionalOnAnOlderStatusEntryIsRefused() {
        // the worker saw the past-due mark at 2; an admin reactivated (3) and suspended (4) since: its suspension and
        // its reactivation are both refused, and so is any condition naming an entry that set no status
        fixture.given(REGISTERED, PAST_DUE, REACTIVATED, USAGE, SUSPENDED)
                .when(append(new Suspend("grace expired", "key:svc", FAILED, 2L), new Reactivate("invoice.paid", "key:svc", PAID, 2L),
                        new Reactivate("invoice.paid", "key:svc", PAID, 4L),
                        new MarkPastDue("invoice.payment_failed", "in_1", null, "key:svc", FAILED, 1L),
                        new Reactivate("invoice.paid", "key:svc", PAID, 5L)))
                .expectEvents(new TenantReactivated("acme", "invoice.paid", "key:svc", PAID))
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.STATUS_CHANGED),
                        AppendOutcome.rejected(Rejection.STATUS_CHANGED), AppendOutcome.rejected(Rejection.STATUS_CHANGED),
                        AppendOutcome.rejected(Rejection.STATUS_CHANGED), AppendOutcome.appended(6)));
    }
}
