package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.core.tenant.BillingCause;
import dev.ledger.invoice.DunningPolicy.Decision;
import dev.ledger.invoice.DunningPolicy.FailedInvoice;
import dev.ledger.invoice.DunningPolicy.Standing;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Dunning's rules without infrastructure: which step billing asks for, why, and when it asks for none. */
class DunningPolicyTest {

    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final Instant FAILED_AT = Instant.parse("2026-12-04T12:00:00Z");
    private final DunningPolicy policy = new DunningPolicy("P7D");

    private static FailedInvoice invoice(String id, String status, boolean dunned) {
        return new FailedInvoice(id, status, 7_000, "paid".equals(status) ? 7_000 : 0, "eur", "evt_fail_" + id, FAILED_AT,
                "evt_shown_" + id, dunned);
    }

    private static Standing active(long seq) {
        return new Standing("ACTIVE", seq, null, null, null);
    }

    private static Standing billing(String status, long seq, String invoice, Instant graceUntil) {
        return new Standing(status, seq, "evt_fail_" + invoice, invoice, graceUntil);
    }

    @Test
    void anActiveTenantWithAFailedUnpaidInvoiceIsMarkedPastDueWithItsGraceFromTheFailure() {
        Decision d = policy.decide(active(4), List.of(invoice("in_a", "open", false)), NOW);
        assertThat(d).isEqualTo(new Decision.MarkPastDue(new BillingCause("evt_fail_in_a", "in_a", 7_000, "eur", "P7D"),
                FAILED_AT.plus(Duration.ofDays(7)), 4));
    }

    @Test
    void aFailureStripeTimedAheadOfTheWorkersClockStartsTheGraceNow() {
        FailedInvoice ahead = new FailedInvoice("in_a", "open", 7_000, 0, "eur", "evt_f", NOW.plusSeconds(86_400), "evt_f", false);
        Decision d = policy.decide(active(2), List.of(ahead), NOW);
        assertThat(((Decision.MarkPastDue) d).graceUntil()).isEqualTo(NOW.plus(Duration.ofDays(7)));
    }

    @Test
    void nothingIsAskedForAPaidInvoiceAnInvoiceDunnedBeforeOrAnUnknownTenant() {
        assertThat(policy.decide(active(2), List.of(invoice("in_a", "paid", false), invoice("in_b", "void", false)), NOW))
                .isEqualTo(new Decision.Wait(null));
        // an admin reactivated the tenant with in_b still owed: billing does not overrule that
        assertThat(policy.decide(active(9), List.of(invoice("in_b", "open", true)), NOW)).isEqualTo(new Decision.Wait(null));
        assertThat(policy.decide(null, List.of(invoice("in_a", "open", false)), NOW)).isEqualTo(new Decision.Wait(null));
    }

    @Test
    void insideItsGraceAPastDueTenantWaitsForItsEndAndIsSuspendedAtIt() {
        Instant graceEnd = FAILED_AT.plus(Duration.ofDays(7));
        List<FailedInvoice> owed = List.of(invoice("in_a", "open", true));
        assertThat(policy.decide(billing("PAST_DUE", 5, "in_a", graceEnd), owed, NOW)).isEqualTo(new Decision.Wait(graceEnd));
        assertThat(policy.decide(billing("PAST_DUE", 5, "in_a", graceEnd), owed, graceEnd)).isEqualTo(
                new Decision.Suspend(new BillingCause("evt_fail_in_a", "in_a", 7_000, "eur", "P7D"), graceEnd, 5));
    }

    @Test
    void aPaymentReactivatesAPastDueOrSuspendedTenantCitingTheEventThatShowsItPaid() {
        List<FailedInvoice> paid = List.of(invoice("in_a", "paid", true));
        Decision expected = new Decision.Reactivate(new BillingCause("evt_shown_in_a", "in_a", 7_000, "eur", null), "invoice.paid", 8);
        assertThat(policy.decide(billing("PAST_DUE", 8, "in_a", NOW.plusSeconds(60)), paid, NOW)).isEqualTo(expected);
        assertThat(policy.decide(billing("SUSPENDED", 8, "in_a", null), paid, NOW)).isEqualTo(expected);
        assertThat(policy.decide(billing("SUSPENDED", 8, "in_a", null), List.of(invoice("in_a", "void", true)), NOW))
                .isEqualTo(new Decision.Reactivate(new BillingCause("evt_shown_in_a", "in_a", 0, "eur", null), "invoice.voided", 8));
    }

    @Test
    void aStatusAnAdminSetIsNeverChangedByBilling() {
        List<FailedInvoice> paid = List.of(invoice("in_a", "paid", true));
        assertThat(policy.decide(new Standing("SUSPENDED", 3, null, null, null), paid, NOW)).isEqualTo(new Decision.Wait(null));
        assertThat(policy.decide(new Standing("PAST_DUE", 3, null, null, NOW.minusSeconds(1)), List.of(invoice("in_a", "open", false)),
                NOW)).isEqualTo(new Decision.Wait(null));
    }

    @Test
    void aSuspendedTenantWhoseInvoiceIsStillUnpaidStaysSuspended() {
        assertThat(policy.decide(billing("SUSPENDED", 6, "in_a", null), List.of(invoice("in_a", "uncollectible", true)), NOW))
                .isEqualTo(new Decision.Wait(null));
    }

    @Test
    void theGracePolicyIsAnIsoPeriodOfDaysOrTime() {
        assertThat(DunningPolicy.grace("P7D")).isEqualTo(Duration.ofDays(7));
        assertThat(DunningPolicy.grace("PT36H")).isEqualTo(Duration.ofHours(36));
        for (String bad : new String[] {"7", "P0D", "P1W", "-P7D", "P7DT1H", "", null}) {
            assertThatThrownBy(() -> DunningPolicy.grace(bad)).as(String.valueOf(bad)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
