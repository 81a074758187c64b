package dev.ledger.core.tenant;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import dev.ledger.core.messages.AppendEntries;
import dev.ledger.core.messages.AppendOutcome;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.messages.RegisterTenant;
import dev.ledger.core.messages.Rejection;
import dev.ledger.core.messages.StripeCustomerLinked;
import dev.ledger.core.messages.TenantMarkedPastDue;
import dev.ledger.core.messages.TenantReactivated;
import dev.ledger.core.messages.TenantRegistered;
import dev.ledger.core.messages.TenantStatus;
import dev.ledger.core.messages.TenantSuspended;
import java.util.ArrayList;
import java.util.List;
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
            LedgerEvent entry = item.event();
            Rejection refusal = refusal(entry);
            if (refusal != null) {
                outcomes.add(AppendOutcome.rejected(refusal));
                continue;
            }
            MetaData metadata = MetaData.from(item.metadata());
            // billable facts travel in the hashed metadata, so workers bill without knowing the entry's type
            metadata = entry.billable().map(units -> MetaData.from(item.metadata()).mergedWith(units.metadata())).orElse(metadata);
            apply(entry, metadata);
            outcomes.add(AppendOutcome.appended(sequence));
        }
        return outcomes;
    }

    /** The decision on one entry, from the tenant's state alone: null when it may be recorded. */
    private Rejection refusal(LedgerEvent entry) {
        return switch (entry) {
            case TenantRegistered ignored -> Rejection.TENANT_EXISTS;
            case StripeCustomerLinked linked when linked.stripeCustomerId().equals(stripeCustomerId) -> Rejection.ALREADY_LINKED;
            case StripeCustomerLinked ignored when stripeCustomerId != null -> Rejection.STRIPE_CUSTOMER_ALREADY_LINKED;
            // the status machine: ACTIVE -> PAST_DUE -> SUSPENDED -> ACTIVE, PAST_DUE -> ACTIVE, ACTIVE -> SUSPENDED
            case TenantSuspended ignored when status == TenantStatus.SUSPENDED -> Rejection.TENANT_ALREADY_SUSPENDED;
            case TenantReactivated ignored when status == TenantStatus.ACTIVE -> Rejection.TENANT_ALREADY_ACTIVE;
            case TenantMarkedPastDue ignored when status == TenantStatus.PAST_DUE -> Rejection.TENANT_ALREADY_PAST_DUE;
            case TenantMarkedPastDue ignored when status != TenantStatus.ACTIVE -> Rejection.TENANT_NOT_ACTIVE;
            default -> status == TenantStatus.SUSPENDED && entry.billable().isPresent() ? Rejection.TENANT_SUSPENDED : null;
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
        status = TenantStatus.SUSPENDED;
    }

    @EventSourcingHandler
    void on(TenantMarkedPastDue pastDue) {
        sequence++;
        status = TenantStatus.PAST_DUE;
    }

    @EventSourcingHandler
    void on(TenantReactivated reactivated) {
        sequence++;
        status = TenantStatus.ACTIVE;
    }

    /** Any other entry: it changes no decision state. */
    @EventSourcingHandler(payloadType = LedgerEvent.class)
    void counted() {
        sequence++;
    }

    long sequence() {
        return sequence;
    }

    TenantStatus status() {
        return status;
    }
}
