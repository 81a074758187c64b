package dev.ledger.core.tenant;

import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.usage.UsageRecorded;
import java.util.List;
import java.util.Map;

/**
 * What a caller asks of one tenant's ledger: one verb per thing a tenant's chain can record. The tenant's aggregate
 * decides each command from its own state (refusing it with a {@link Rejection}, or recording the one fact it
 * names) and builds that fact itself, for its own tenant. Commands travel in an {@link AppendEntries} envelope, so the
 * group commit still writes many of them in one transaction, but every decision is per command.
 *
 * <p>The commands carry no tenant id: the envelope names the aggregate, so a command can never record a fact into
 * another tenant's chain.
 */
public sealed interface TenantCommand {

    /** A gate decision made upstream; billable, refused while the tenant is suspended. */
    record RecordEvaluation(String evaluationId, String policyId, String policyVersion, String subject, String inputDigest,
                            TerminalState terminalState, List<GateResult> gates, String occurredAt) implements TenantCommand {
        public RecordEvaluation {
            gates = List.copyOf(gates);
        }
    }

    /** Units of a meter; billable, refused while the tenant is suspended. */
    record RecordUsage(String usageId, String meter, long quantity, String occurredAt) implements TenantCommand {
        public RecordUsage {
            if (quantity <= 0 || quantity > UsageRecorded.MAX_QUANTITY) {
                throw new IllegalArgumentException("quantity must be 1.." + UsageRecorded.MAX_QUANTITY + ", was " + quantity);
            }
        }
    }

    /** An admin action taken in the client's own system ({@code actor} is the client's actor, not the caller). */
    record RecordAdminAction(String actor, String action, String target, Map<String, Object> details) implements TenantCommand {
    }

    /** A usage window that reached Stripe (the meter-reader's write-back). Recorded in any status. */
    record ReportUsage(String meter, String windowStart, String windowEnd, long quantity, String stripeIdentifier)
            implements TenantCommand {
    }

    /** A verification run and its verdict, recorded in the chain it checked. Recorded in any status. */
    record RecordVerification(long fromSequence, long toSequence, String status, long checked, Long firstBrokenSequence,
                              String reason, String actor) implements TenantCommand {
    }

    /**
     * A Stripe event about the tenant's customer, its signature verified by the ledger. Recorded in any status (a
     * payment is news for a suspended tenant too); the envelope's entity key makes it once per event id.
     */
    record RecordStripeEvent(String eventId, String eventType, String created, boolean livemode, String objectType,
                             String objectId, Map<String, Object> data) implements TenantCommand {
    }

    /** A Stripe invoice witnessed before finalization ({@link dev.ledger.core.billing.InvoiceWitnessed}). Any status. */
    record WitnessInvoice(String invoiceId, String periodStart, String periodEnd, Map<String, Object> checkpoint,
                          Map<String, Object> previous, List<String> consistencyProof, List<Map<String, Object>> quantities,
                          String actor) implements TenantCommand {
    }

    /** A Stripe invoice held back by the witness ({@link dev.ledger.core.billing.InvoiceHeld}). Any status. */
    record HoldInvoice(String invoiceId, String periodStart, String periodEnd, String reason, String detail,
                       List<Map<String, Object>> quantities, String actor) implements TenantCommand {
    }

    /** A reconciliation run of one month ({@link dev.ledger.core.billing.ReconciliationRecorded}). Any status. */
    record RecordReconciliation(String period, List<Map<String, Object>> rows, long projectedThrough, String actor)
            implements TenantCommand {
    }

    /** Links the tenant to its Stripe customer, once: a link is never replaced. */
    record LinkStripeCustomer(String stripeCustomerId, String actor) implements TenantCommand {
    }

    /** Records that a key was issued (id and scopes only). */
    record IssueApiKey(String keyId, List<String> scopes, String actor) implements TenantCommand {
        public IssueApiKey {
            scopes = List.copyOf(scopes);
        }
    }

    /** Records that a key was revoked. */
    record RevokeApiKey(String keyId, String actor) implements TenantCommand {
    }

    /**
     * A change of the tenant's status. {@code cause} is billing's reason (null for an admin's decision);
     * {@code ifStatusSequence}, when given, is the sequence of the status entry (or the registration) the caller last
     * saw: the change is refused with {@link Rejection#STATUS_CHANGED} if the status changed after it, so a worker
     * acting on its view of the chain never undoes a decision it has not seen yet.
     */
    sealed interface StatusChange extends TenantCommand {
        BillingCause cause();

        Long ifStatusSequence();
    }

    /** ACTIVE → PAST_DUE: a payment failed; the tenant keeps recording until {@code graceUntil}. */
    record MarkPastDue(String reason, String invoiceId, String graceUntil, String actor, BillingCause cause,
                       Long ifStatusSequence) implements StatusChange {
        public MarkPastDue(String reason, String invoiceId, String graceUntil, String actor) {
            this(reason, invoiceId, graceUntil, actor, null, null);
        }
    }

    /** ACTIVE or PAST_DUE → SUSPENDED: nothing billable is recorded until reactivated. */
    record Suspend(String reason, String actor, BillingCause cause, Long ifStatusSequence) implements StatusChange {
        public Suspend(String reason, String actor) {
            this(reason, actor, null, null);
        }
    }

    /** SUSPENDED or PAST_DUE → ACTIVE. */
    record Reactivate(String reason, String actor, BillingCause cause, Long ifStatusSequence) implements StatusChange {
        public Reactivate(String reason, String actor) {
            this(reason, actor, null, null);
        }
    }

    /**
     * Erases the payloads of earlier entries ({@link dev.ledger.core.audit.PayloadsRedacted}): each target is an
     * entry as the store holds it (sequence, the SHA-256 of its payload in lowercase hex, its stored type). The
     * aggregate refuses the whole command if any target is outside the chain, of a type never redacted, or redacted
     * already; {@code policy} is null for an admin's redaction, {@code "retention:<N>d"} for a retention run. Who asked is
     * the entry's metadata actor, like every write's.
     */
    record RedactPayloads(List<Target> targets, String reason, String policy) implements TenantCommand {
        public RedactPayloads {
            targets = List.copyOf(targets);
            if (targets.isEmpty() || targets.size() > dev.ledger.core.audit.PayloadsRedacted.MAX_REDACTIONS) {
                throw new IllegalArgumentException("1.." + dev.ledger.core.audit.PayloadsRedacted.MAX_REDACTIONS
                        + " redactions, was " + targets.size());
            }
        }

        /** One entry to redact, as stored. */
        public record Target(long sequence, String payloadSha256, String type) {
        }
    }
}
