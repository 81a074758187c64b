package dev.ledger.core.tenant;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import dev.ledger.core.audit.AdminActionRecorded;
import dev.ledger.core.keys.ApiKeyIssued;
import dev.ledger.core.keys.ApiKeyRevoked;
import dev.ledger.core.tenant.AppendEntries;
import dev.ledger.core.tenant.AppendOutcome;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.tenant.RegisterTenant;
import dev.ledger.core.tenant.Rejection;
import dev.ledger.core.stripe.StripeEventRecorded;
import dev.ledger.core.tenant.StripeCustomerLinked;
import dev.ledger.core.tenant.TenantCommand;
import dev.ledger.core.tenant.TenantCommand.IssueApiKey;
import dev.ledger.core.tenant.TenantCommand.LinkStripeCustomer;
import dev.ledger.core.tenant.TenantCommand.MarkPastDue;
import dev.ledger.core.tenant.TenantCommand.Reactivate;
import dev.ledger.core.tenant.TenantCommand.RecordAdminAction;
import dev.ledger.core.tenant.TenantCommand.RecordEvaluation;
import dev.ledger.core.tenant.TenantCommand.RecordUsage;
import dev.ledger.core.tenant.TenantCommand.RecordVerification;
import dev.ledger.core.tenant.TenantCommand.RecordStripeEvent;
import dev.ledger.core.tenant.TenantCommand.ReportUsage;
import dev.ledger.core.tenant.TenantCommand.RevokeApiKey;
import dev.ledger.core.tenant.TenantCommand.Suspend;
import dev.ledger.core.tenant.TenantMarkedPastDue;
import dev.ledger.core.tenant.TenantReactivated;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.tenant.TenantStatus;
import dev.ledger.core.tenant.TenantSuspended;
import dev.ledger.core.usage.UsageRecorded;
import dev.ledger.core.usage.UsageReported;
import dev.ledger.core.audit.VerificationRecorded;
import dev.ledger.core.audit.PayloadsRedacted;
import dev.ledger.core.tenant.TenantCommand.RedactPayloads;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.messaging.MetaData;
import org.axonframework.modelling.command.AggregateIdentifier;

/**
 * One tenant's chain. Every event it applies becomes the next entry (sequence 1, 2, 3, …); the storage layer
 * links it into the hash chain in the same transaction. State is only what decisions need.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE)
public class TenantLedger {

    @AggregateIdentifier
    private String tenantId;
    private TenantStatus status;
    private String stripeCustomerId;
    private long sequence;
    /** The sequence of the entry that set the status (the registration, or the last status change). */
    private long statusSequence;
    /** The sequences whose payloads are redacted (from the PayloadsRedacted entries): each is redacted once. */
    private Set<Long> redacted = new HashSet<>();

    protected TenantLedger() {
        // for Axon
    }

    @CommandHandler
    public TenantLedger(RegisterTenant command) {
        apply(new TenantRegistered(command.tenantId(), command.name(), command.stripeCustomerId(), command.actor()),
                MetaData.with("actor", command.actor()));
    }

    @CommandHandler
    public List<AppendOutcome> handle(AppendEntries command) {
        List<AppendOutcome> outcomes = new ArrayList<>(command.entries().size());
        for (AppendEntries.NewEntry item : command.entries()) {
            TenantCommand verb = item.command();
            Rejection refusal = refusal(verb);
            if (refusal != null) {
                outcomes.add(AppendOutcome.rejected(refusal));
                continue;
            }
            LedgerEvent entry = fact(verb);
            MetaData metadata = MetaData.from(item.metadata());
            // billable facts travel in the hashed metadata, so workers bill without knowing the entry's type
            var billable = entry.billable();
            if (billable.isPresent()) {
                metadata = metadata.mergedWith(billable.get().metadata());
            }
            apply(entry, metadata);
            outcomes.add(AppendOutcome.appended(sequence));
        }
        return outcomes;
    }

    /**
     * The decision on one command, from the tenant's state alone: null when it may be recorded. The status machine:
     * ACTIVE → PAST_DUE → SUSPENDED → ACTIVE, PAST_DUE → ACTIVE, ACTIVE → SUSPENDED; nothing billable while SUSPENDED.
     */
    private Rejection refusal(TenantCommand command) {
        if (command instanceof TenantCommand.StatusChange change && change.ifStatusSequence() != null
                && change.ifStatusSequence() != statusSequence) {
            return Rejection.STATUS_CHANGED;
        }
        return switch (command) {
            case RecordEvaluation ignored -> status == TenantStatus.SUSPENDED ? Rejection.TENANT_SUSPENDED : null;
            case RecordUsage ignored -> status == TenantStatus.SUSPENDED ? Rejection.TENANT_SUSPENDED : null;
            case LinkStripeCustomer link when link.stripeCustomerId().equals(stripeCustomerId) -> Rejection.ALREADY_LINKED;
            case LinkStripeCustomer ignored when stripeCustomerId != null -> Rejection.STRIPE_CUSTOMER_ALREADY_LINKED;
            case Suspend ignored when status == TenantStatus.SUSPENDED -> Rejection.TENANT_ALREADY_SUSPENDED;
            case Reactivate ignored when status == TenantStatus.ACTIVE -> Rejection.TENANT_ALREADY_ACTIVE;
            case MarkPastDue ignored when status == TenantStatus.PAST_DUE -> Rejection.TENANT_ALREADY_PAST_DUE;
            case MarkPastDue ignored when status != TenantStatus.ACTIVE -> Rejection.TENANT_NOT_ACTIVE;
            case LinkStripeCustomer ignored -> null;
            case Suspend ignored -> null;
            case Reactivate ignored -> null;
            case MarkPastDue ignored -> null;
            case RecordAdminAction ignored -> null;
            case ReportUsage ignored -> null;
            case RecordStripeEvent ignored -> null;
            case TenantCommand.WitnessInvoice ignored -> null;
            case TenantCommand.HoldInvoice ignored -> null;
            case TenantCommand.RecordReconciliation ignored -> null;
            case RecordVerification ignored -> null;
            case RedactPayloads redact -> redactionRefusal(redact);
            case IssueApiKey ignored -> null;
            case RevokeApiKey ignored -> null;
        };
    }

    /**
     * A redaction names entries of this chain, before it, of a type whose payload carries no decision state, each
     * not redacted yet (nor twice in the command).
     */
    private Rejection redactionRefusal(RedactPayloads command) {
        Set<Long> named = new HashSet<>();
        for (RedactPayloads.Target t : command.targets()) {
            if (t.sequence() < 1 || t.sequence() > sequence) {
                return Rejection.ENTRY_NOT_IN_CHAIN;
            }
            if (!RedactionPolicy.redactable(t.type())) {
                return Rejection.NOT_REDACTABLE;
            }
            if (redacted.contains(t.sequence()) || !named.add(t.sequence())) {
                return Rejection.ALREADY_REDACTED;
            }
        }
        return null;
    }

    /** The one fact an accepted command records, in this tenant's chain. */
    private LedgerEvent fact(TenantCommand command) {
        return switch (command) {
            case RecordEvaluation c -> new EvaluationRecorded(tenantId, c.evaluationId(), c.policyId(), c.policyVersion(), c.subject(),
                    c.inputDigest(), c.terminalState(), c.gates(), c.occurredAt());
            case RecordUsage c -> new UsageRecorded(tenantId, c.usageId(), c.meter(), c.quantity(), c.occurredAt());
            case RecordAdminAction c -> new AdminActionRecorded(tenantId, c.actor(), c.action(), c.target(), c.details());
            case ReportUsage c -> new UsageReported(tenantId, c.meter(), c.windowStart(), c.windowEnd(), c.quantity(), c.stripeIdentifier());
            case RecordVerification c -> new VerificationRecorded(tenantId, c.fromSequence(), c.toSequence(), c.status(), c.checked(),
                    c.firstBrokenSequence(), c.reason(), c.actor());
            case RecordStripeEvent c -> new StripeEventRecorded(tenantId, c.eventId(), c.eventType(), c.created(), c.livemode(),
                    c.objectType(), c.objectId(), c.data());
            case TenantCommand.WitnessInvoice c -> new dev.ledger.core.billing.InvoiceWitnessed(tenantId, c.invoiceId(),
                    c.periodStart(), c.periodEnd(), c.checkpoint(), c.previous(), c.consistencyProof(), c.quantities(), c.actor());
            case TenantCommand.HoldInvoice c -> new dev.ledger.core.billing.InvoiceHeld(tenantId, c.invoiceId(), c.periodStart(),
                    c.periodEnd(), c.reason(), c.detail(), c.quantities(), c.actor());
            case TenantCommand.RecordReconciliation c -> new dev.ledger.core.billing.ReconciliationRecorded(tenantId, c.period(),
                    c.rows(), c.projectedThrough(), c.actor());
            case LinkStripeCustomer c -> new StripeCustomerLinked(tenantId, c.stripeCustomerId(), c.actor());
            case RedactPayloads c -> new PayloadsRedacted(tenantId, c.targets().stream()
                    .map(t -> new PayloadsRedacted.Redaction(t.sequence(), t.payloadSha256(), t.type())).toList(), c.reason(),
                    c.policy());
            case IssueApiKey c -> new ApiKeyIssued(tenantId, c.keyId(), c.scopes(), c.actor());
            case RevokeApiKey c -> new ApiKeyRevoked(tenantId, c.keyId(), c.actor());
            case MarkPastDue c -> new TenantMarkedPastDue(tenantId, c.reason(), c.invoiceId(), c.graceUntil(), c.actor(),
                    c.cause());
            case Suspend c -> new TenantSuspended(tenantId, c.reason(), c.actor(), c.cause());
            case Reactivate c -> new TenantReactivated(tenantId, c.reason(), c.actor(), c.cause());
        };
    }

    /*
     * One handler per entry that changes decision state, and one that only counts every other entry. That one names no
     * payload parameter, so replaying a tenant (loading it cold, or building a snapshot) never deserializes the
     * payloads of its evaluations and usage records: most of a replay's work before.
     */

    @EventSourcingHandler
    void on(TenantRegistered registered) {
        sequence++;
        statusSequence = sequence;
        tenantId = registered.tenantId();
        status = TenantStatus.ACTIVE;
        stripeCustomerId = registered.stripeCustomerId();
    }

    @EventSourcingHandler
    void on(StripeCustomerLinked linked) {
        sequence++;
        stripeCustomerId = linked.stripeCustomerId();
    }

    @EventSourcingHandler
    void on(TenantSuspended suspended) {
        sequence++;
        statusSequence = sequence;
        status = TenantStatus.SUSPENDED;
    }

    @EventSourcingHandler
    void on(TenantMarkedPastDue pastDue) {
        sequence++;
        statusSequence = sequence;
        status = TenantStatus.PAST_DUE;
    }

    @EventSourcingHandler
    void on(TenantReactivated reactivated) {
        sequence++;
        statusSequence = sequence;
        status = TenantStatus.ACTIVE;
    }

    @EventSourcingHandler
    void on(PayloadsRedacted redaction) {
        sequence++;
        if (redacted == null) {
            redacted = new HashSet<>(); // a snapshot written before redactions existed
        }
        for (PayloadsRedacted.Redaction r : redaction.redactions()) {
            redacted.add(r.sequence());
        }
    }

    /** Any other entry: it changes no decision state. */
    @EventSourcingHandler(payloadType = LedgerEvent.class)
    void counted() {
        sequence++;
    }

    long sequence() {
        return sequence;
    }

    boolean isRedacted(long entrySequence) {
        return redacted != null && redacted.contains(entrySequence);
    }

    long statusSequence() {
        return statusSequence;
    }

    TenantStatus status() {
        return status;
    }
}
