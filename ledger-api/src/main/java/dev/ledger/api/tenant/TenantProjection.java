package dev.ledger.api.tenant;

import dev.ledger.api.checkpoint.CheckpointService;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.tenant.StripeCustomerLinked;
import dev.ledger.core.tenant.TenantMarkedPastDue;
import dev.ledger.core.tenant.TenantReactivated;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.tenant.TenantStatus;
import dev.ledger.core.tenant.TenantSuspended;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.EventBus;
import org.axonframework.eventhandling.EventMessage;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Read models that must agree with the chain at every commit: the event bus hands each append's entries here while
 * the append's transaction is being prepared, so these updates commit with it, and a failure here fails and rolls
 * back the append (nothing is logged and skipped).
 *
 * <p>Subscribed to the bus directly rather than through an Axon event processor: a processor invokes an annotated
 * handler per entry (its own unit of work, interceptors, parameter resolution), which cost a quarter of the append
 * thread's CPU under batch load for entries that, but for the few tenant-lifecycle ones, change nothing here. One
 * pass over the batch does the same work, and tells the checkpoint scheduler each tenant's new head once.
 */
@Component
public class TenantProjection {

    private final JdbcTemplate jdbc;
    private final CheckpointService checkpoints;

    public TenantProjection(JdbcTemplate jdbc, CheckpointService checkpoints, EventBus eventBus) {
        this.jdbc = jdbc;
        this.checkpoints = checkpoints;
        eventBus.subscribe(this::onAppend);
    }

    /** The entries of one append, in order. */
    void onAppend(List<? extends EventMessage<?>> entries) {
        Map<String, Long> heads = new HashMap<>();
        for (EventMessage<?> message : entries) {
            if (!(message instanceof DomainEventMessage<?> entry) || !(entry.getPayload() instanceof LedgerEvent event)) {
                continue;
            }
            apply(event, entry);
            heads.merge(event.tenantId(), entry.getSequenceNumber() + 1, Math::max);
        }
        heads.forEach(checkpoints::touch);
    }

    private void apply(LedgerEvent event, DomainEventMessage<?> entry) {
        switch (event) {
            case TenantRegistered r -> jdbc.update(
                    "insert into tenant (tenant_id, name, status, stripe_customer_id, created_at) values (?, ?, ?, ?, ?)",
                    r.tenantId(), r.name(), TenantStatus.ACTIVE.name(), r.stripeCustomerId(), java.sql.Timestamp.from(entry.getTimestamp()));
            case StripeCustomerLinked l ->
                    jdbc.update("update tenant set stripe_customer_id = ? where tenant_id = ?", l.stripeCustomerId(), l.tenantId());
            case TenantSuspended s -> status(s.tenantId(), TenantStatus.SUSPENDED);
            case TenantReactivated r -> status(r.tenantId(), TenantStatus.ACTIVE);
            case TenantMarkedPastDue p -> status(p.tenantId(), TenantStatus.PAST_DUE);
            default -> {
                // no tenant state in other entries
            }
        }
    }

    private void status(String tenantId, TenantStatus status) {
        jdbc.update("update tenant set status = ? where tenant_id = ?", status.name(), tenantId);
    }
}
