package dev.ledger.core.tenant;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.core.audit.AdminActionRecorded;
import dev.ledger.core.keys.ApiKeyIssued;
import dev.ledger.core.keys.ApiKeyRevoked;
import dev.ledger.core.tenant.AppendEntries;
import dev.ledger.core.tenant.AppendOutcome;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.evaluation.GateOutcome;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.tenant.Rejection;
import dev.ledger.core.stripe.StripeEventRecorded;
import dev.ledger.core.tenant.StripeCustomerLinked;
import dev.ledger.core.tenant.TenantCommand;
import dev.ledger.core.tenant.TenantMarkedPastDue;
import dev.ledger.core.tenant.TenantReactivated;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.tenant.TenantSuspended;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.usage.UsageRecorded;
import dev.ledger.core.usage.UsageReported;
import dev.ledger.core.audit.VerificationRecorded;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.axonframework.test.aggregate.AggregateTestFixture;
import org.axonframework.test.aggregate.FixtureConfiguration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every verb command, given/when/then: the one fact each records (built by the aggregate, for its own tenant), and
 * what each is refused with in which status. {@link TenantLifeTest} walks the status machine itself.
 */
class TenantCommandsTest {

    private static final TenantRegistered REGISTERED = new TenantRegistered("acme", "Acme", null, "admin");
    private static final TenantSuspended SUSPENDED = new TenantSuspended("acme", "unpaid", "admin");
    private static final TenantMarkedPastDue PAST_DUE = new TenantMarkedPastDue("acme", "invoice.payment_failed", "in_1", null, "key:svc");
    private static final List<GateResult> GATES = List.of(new GateResult("pii", GateOutcome.FAIL, "PII_EMAIL"));
    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    private FixtureConfiguration<TenantLedger> fixture;

    @BeforeEach
    void setUp() {
        fixture = new AggregateTestFixture<>(TenantLedger.class);
    }

    private static AppendEntries append(TenantCommand... commands) {
        return AppendEntries.of("acme", List.of(commands), Map.of("actor", "key:k1"));
    }

    /** Each verb and the fact it records for tenant acme. */
    static Stream<Arguments> verbs() {
        return Stream.of(
                Arguments.of(new TenantCommand.RecordEvaluation("ev_1", "pol", "7", "agent:1", DIGEST, TerminalState.REJECTED, GATES,
                                "2026-12-03T10:00:00Z"),
                        new EvaluationRecorded("acme", "ev_1", "pol", "7", "agent:1", DIGEST, TerminalState.REJECTED, GATES,
                                "2026-12-03T10:00:00Z")),
                Arguments.of(new TenantCommand.RecordUsage("u_1", "tokens", 1_000_000_000_000_000L, "2026-12-03T10:00:00Z"),
                        new UsageRecorded("acme", "u_1", "tokens", 1_000_000_000_000_000L, "2026-12-03T10:00:00Z")),
                Arguments.of(new TenantCommand.RecordAdminAction("alice", "policy.published", "pol@7", Map.of("note", "weekly")),
                        new AdminActionRecorded("acme", "alice", "policy.published", "pol@7", Map.of("note", "weekly"))),
                Arguments.of(new TenantCommand.ReportUsage("tokens", "2026-12-03T10:00:00Z", "2026-12-03T10:01:00Z", 42, "mr:acme:1"),
                        new UsageReported("acme", "tokens", "2026-12-03T10:00:00Z", "2026-12-03T10:01:00Z", 42, "mr:acme:1")),
                Arguments.of(new TenantCommand.RecordVerification(1, 9, "BROKEN", 9, 4L, "hash_mismatch", "key:aud"),
                        new VerificationRecorded("acme", 1, 9, "BROKEN", 9, 4L, "hash_mismatch", "key:aud")),
                Arguments.of(new TenantCommand.RecordStripeEvent("evt_1", "invoice.paid", "2026-12-03T10:00:00Z", false, "invoice", "in_1",
                                Map.of("object", Map.of("id", "in_1", "status", "paid"))),
                        new StripeEventRecorded("acme", "evt_1", "invoice.paid", "2026-12-03T10:00:00Z", false, "invoice", "in_1",
                                Map.of("object", Map.of("id", "in_1", "status", "paid")))),
                Arguments.of(new TenantCommand.LinkStripeCustomer("cus_A", "key:svc"), new StripeCustomerLinked("acme", "cus_A", "key:svc")),
                Arguments.of(new TenantCommand.IssueApiKey("k_2", List.of("evaluations:write"), "admin"),
                        new ApiKeyIssued("acme", "k_2", List.of("evaluations:write"), "admin")),
                Arguments.of(new TenantCommand.RevokeApiKey("k_2", "admin"), new ApiKeyRevoked("acme", "k_2", "admin")),
                Arguments.of(new TenantCommand.MarkPastDue("invoice.payment_failed", "in_9", "2026-12-10T00:00:00Z", "key:svc"),
                        new TenantMarkedPastDue("acme", "invoice.payment_failed", "in_9", "2026-12-10T00:00:00Z", "key:svc")),
                Arguments.of(new TenantCommand.Suspend("fraud", "admin"), new TenantSuspended("acme", "fraud", "admin")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("verbs")
    void anActiveTenantRecordsTheFactEachVerbNames(TenantCommand command, LedgerEvent fact) {
        fixture.given(REGISTERED)
                .when(append(command))
                .expectEvents(fact)
                .expectResultMessagePayload(List.of(AppendOutcome.appended(2)));
    }

    @Test
    void reactivatingASuspendedTenantRecordsItsReactivation() {
        fixture.given(REGISTERED, SUSPENDED)
                .when(append(new TenantCommand.Reactivate("paid", "admin")))
                .expectEvents(new TenantReactivated("acme", "paid", "admin"))
                .expectResultMessagePayload(List.of(AppendOutcome.appended(3)));
    }

    /** While suspended, the chain still records what is not billable: reports, verifications, keys, admin actions. */
    static Stream<Arguments> notBillable() {
        return verbs().filter(a -> {
            Object c = a.get()[0];
            return !(c instanceof TenantCommand.RecordEvaluation || c instanceof TenantCommand.RecordUsage
                    || c instanceof TenantCommand.Suspend || c instanceof TenantCommand.MarkPastDue);
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notBillable")
    void aSuspendedTenantStillRecordsWhatIsNotBillable(TenantCommand command, LedgerEvent fact) {
        fixture.given(REGISTERED, SUSPENDED)
                .when(append(command))
                .expectEvents(fact)
                .expectResultMessagePayload(List.of(AppendOutcome.appended(3)));
    }

    @Test
    void aSuspendedTenantRefusesEvaluationsAndUsage() {
        fixture.given(REGISTERED, SUSPENDED)
                .when(append(new TenantCommand.RecordEvaluation("ev_1", "pol", "7", "agent:1", DIGEST, TerminalState.APPROVED, List.of(),
                        "2026-12-03T10:00:00Z"), new TenantCommand.RecordUsage("u_1", "tokens", 3, "2026-12-03T10:00:00Z")))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.TENANT_SUSPENDED),
                        AppendOutcome.rejected(Rejection.TENANT_SUSPENDED)));
    }

    @Test
    void aPastDueTenantStillRecordsEvaluations() {
        fixture.given(REGISTERED, PAST_DUE)
                .when(append(new TenantCommand.RecordEvaluation("ev_1", "pol", "7", "agent:1", DIGEST, TerminalState.ESCALATED, List.of(),
                        "2026-12-03T10:00:00Z")))
                .expectEvents(new EvaluationRecorded("acme", "ev_1", "pol", "7", "agent:1", DIGEST, TerminalState.ESCALATED, List.of(),
                        "2026-12-03T10:00:00Z"))
                .expectResultMessagePayload(List.of(AppendOutcome.appended(3)));
    }

    @Test
    void aPastDueTenantIsSuspendedButNotMarkedPastDueAgain() {
        fixture.given(REGISTERED, PAST_DUE)
                .when(append(new TenantCommand.MarkPastDue("again", null, null, "key:svc"), new TenantCommand.Suspend("grace expired", "key:svc"),
                        new TenantCommand.MarkPastDue("after suspension", null, null, "key:svc")))
                .expectEvents(new TenantSuspended("acme", "grace expired", "key:svc"))
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.TENANT_ALREADY_PAST_DUE), AppendOutcome.appended(3),
                        AppendOutcome.rejected(Rejection.TENANT_NOT_ACTIVE)));
    }

    @Test
    void aStripeLinkIsNeverReplacedAndTheSameLinkAgainIsAlreadyLinked() {
        fixture.given(REGISTERED, new StripeCustomerLinked("acme", "cus_A", "key:svc"))
                .when(append(new TenantCommand.LinkStripeCustomer("cus_A", "key:svc"), new TenantCommand.LinkStripeCustomer("cus_B", "key:svc")))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.ALREADY_LINKED),
                        AppendOutcome.rejected(Rejection.STRIPE_CUSTOMER_ALREADY_LINKED)));
    }

    @Test
    void aTenantRegisteredWithAStripeCustomerRefusesAnotherLink() {
        fixture.given(new TenantRegistered("acme", "Acme", "cus_A", "admin"))
                .when(append(new TenantCommand.LinkStripeCustomer("cus_B", "key:svc")))
                .expectNoEvents()
                .expectResultMessagePayload(List.of(AppendOutcome.rejected(Rejection.STRIPE_CUSTOMER_ALREADY_LINKED)));
    }

    @Test
    void aUsageQuantityOutsideOneToTenToTheFifteenIsNoCommand() {
        assertThatThrownBy(() -> new TenantCommand.RecordUsage("u", "tokens", 0, "2026-12-03T10:00:00Z"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TenantCommand.RecordUsage("u", "tokens", UsageRecorded.MAX_QUANTITY + 1, "2026-12-03T10:00:00Z"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
