package dev.ledger.invoice;

import dev.ledger.core.tenant.BillingCause;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Dunning's decisions, from a tenant's status as its chain shows it and its invoices that had a failed payment, at
 * one instant: no I/O, so every rule is tested without infrastructure. The machine is the aggregate's
 * ({@code ACTIVE → PAST_DUE → SUSPENDED → ACTIVE}, {@code PAST_DUE → ACTIVE}); this only decides which step billing
 * asks for and why:
 * <ul>
 *   <li>ACTIVE with an unpaid invoice whose payment failed and that was never dunned: PAST_DUE, its grace running
 *       from the failure (or from now, when Stripe's clock is ahead of ours), citing the failure event and the amount
 *       due;</li>
 *   <li>PAST_DUE because of an invoice that is still unpaid when the grace period is over: SUSPENDED;</li>
 *   <li>PAST_DUE or SUSPENDED because of an invoice that is now paid (or void): ACTIVE, citing the event that shows
 *       it settled and the amount paid.</li>
 * </ul>
 * A status an admin set (one without billing's cause) is never changed by billing, and an invoice is dunned once:
 * an admin who reactivates a tenant that still owes it is not overruled. Invoice states only move forward (the
 * projection's rank), so a late or repeated event never moves a tenant backwards.
 */
final class DunningPolicy {

    private static final Pattern POLICY = Pattern.compile("P[0-9]{1,4}D|PT[0-9]{1,6}[HMS]");

    /** The tenant's status and the entry that set it, with billing's cause when it has one. */
    record Standing(String status, long statusSequence, String causeEventId, String causeInvoiceId, Instant graceUntil) {
        boolean byBilling() {
            return causeEventId != null && causeInvoiceId != null;
        }
    }

    /**
     * An invoice of the tenant with at least one failed payment: its projected status and amounts, its first failure
     * (event id and Stripe time), the event whose snapshot the projection shows, and whether billing dunned it.
     */
    record FailedInvoice(String invoiceId, String status, long amountDue, long amountPaid, String currency,
                         String failedEventId, Instant failedAt, String shownEventId, boolean dunned) {
        boolean settled() {
            return "paid".equals(status) || "void".equals(status);
        }
    }

    /** What billing asks of the ledger for one tenant, conditional on the status entry it decided from. */
    sealed interface Decision {
        /** Nothing to do; {@code wakeAt}: when to decide again (the end of a grace period), or null. */
        record Wait(Instant wakeAt) implements Decision {
        }

        record MarkPastDue(BillingCause cause, Instant graceUntil, long ifStatusSequence) implements Decision {
        }

        record Suspend(BillingCause cause, Instant graceUntil, long ifStatusSequence) implements Decision {
        }

        record Reactivate(BillingCause cause, String settledBy, long ifStatusSequence) implements Decision {
        }
    }

    private final Duration grace;
    private final String gracePolicy;

    /** {@code gracePolicy}: the grace period as an ISO-8601 period of days, hours, minutes or seconds (P7D). */
    DunningPolicy(String gracePolicy) {
        this.gracePolicy = gracePolicy;
        this.grace = grace(gracePolicy);
    }

    /** The period a policy text names; IllegalArgumentException unless it is one this ledger records (P7D, PT36H). */
    static Duration grace(String policy) {
        if (policy == null || !POLICY.matcher(policy).matches()) {
            throw new IllegalArgumentException("INVOICE_WORKER_GRACE_PERIOD must be an ISO-8601 period of days, hours, "
                    + "minutes or seconds such as P7D or PT36H: " + policy);
        }
        Duration d = policy.endsWith("D") ? Duration.ofDays(Long.parseLong(policy.substring(1, policy.length() - 1)))
                : Duration.parse(policy);
        if (d.isZero()) {
            throw new IllegalArgumentException("INVOICE_WORKER_GRACE_PERIOD must be longer than zero: " + policy);
        }
        return d;
    }

    String gracePolicy() {
        return gracePolicy;
    }

    Decision decide(Standing standing, List<FailedInvoice> failed, Instant now) {
        if (standing == null) {
            return new Decision.Wait(null); // its registration has not reached this worker: nothing to condition on
        }
        switch (standing.status()) {
            case "ACTIVE" -> {
                Optional<FailedInvoice> first = failed.stream().filter(f -> !f.settled() && !f.dunned())
                        .min(Comparator.comparing(FailedInvoice::failedAt).thenComparing(FailedInvoice::failedEventId));
                if (first.isEmpty()) {
                    return new Decision.Wait(null);
                }
                FailedInvoice f = first.get();
                Instant from = f.failedAt().isBefore(now) ? f.failedAt() : now;
                return new Decision.MarkPastDue(new BillingCause(f.failedEventId(), f.invoiceId(), f.amountDue(), f.currency(),
                        gracePolicy), from.plus(grace), standing.statusSequence());
            }
            case "PAST_DUE", "SUSPENDED" -> {
                if (!standing.byBilling()) {
                    return new Decision.Wait(null);
                }
                FailedInvoice owed = failed.stream().filter(f -> f.invoiceId().equals(standing.causeInvoiceId())).findFirst()
                        .orElse(null);
                if (owed == null) {
                    return new Decision.Wait(null); // the projection has not seen that invoice's events yet
                }
                if (owed.settled()) {
                    return new Decision.Reactivate(new BillingCause(owed.shownEventId(), owed.invoiceId(), owed.amountPaid(),
                            owed.currency(), null), "invoice." + ("paid".equals(owed.status()) ? "paid" : "voided"),
                            standing.statusSequence());
                }
                if (standing.status().equals("SUSPENDED") || standing.graceUntil() == null) {
                    return new Decision.Wait(null);
                }
                if (now.isBefore(standing.graceUntil())) {
                    return new Decision.Wait(standing.graceUntil());
                }
                return new Decision.Suspend(new BillingCause(standing.causeEventId(), owed.invoiceId(), owed.amountDue(),
                        owed.currency(), gracePolicy), standing.graceUntil(), standing.statusSequence());
            }
            default -> {
                return new Decision.Wait(null);
            }
        }
    }
}
