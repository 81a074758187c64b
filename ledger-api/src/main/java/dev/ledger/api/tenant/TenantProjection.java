package dev.ledger.api.tenant;

import dev.ledger.api.checkpoint.CheckpointService;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.tenant.StripeCustomerLinked;
import dev.ledger.core.tenant.TenantMarkedPastDue;
import dev.ledger.core.tenant.TenantReactivated;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.tenant.TenantStatus;
import dev.ledger.core.tenant.TenantSuspended;
import java.time.Instant;
import org.axonframework.config.ProcessingGroup;
import org.axonframework.eventhandling.EventHandler;
import org.axonframework.eventhandling.SequenceNumber;
import org.axonframework.eventhandling.Timestamp;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Read models that must agree with the chain at every commit: updated by a subscribing processor, inside the
 * append's own transaction (a failure here rolls the append back).
 */
@Component
@ProcessingGroup(TenantProjection.GROUP)
public class TenantProjection {

    public static final String GROUP = "tenant-projection";
    private final JdbcTemplate jdbc;
    private final CheckpointService checkpoints;

    public TenantProjection(JdbcTemplate jdbc, CheckpointService checkpoints) {
        this.jdbc = jdbc;
        this.checkpoints = checkpoints;
    }

    @EventHandler
    void on(LedgerEvent event, @SequenceNumber Long sequenceNumber, @Timestamp Instant recordedAt) {
        switch (event) {
            case TenantRegistered r -> jdbc.update(
                    "insert into tenant (tenant_id, name, status, stripe_customer_id, created_at) values (?, ?, ?, ?, ?)",
                    r.tenantId(), r.name(), TenantStatus.ACTIVE.name(), r.stripeCustomerId(), java.sql.Timestamp.from(recordedAt));
            case StripeCustomerLinked l ->
                    jdbc.update("update tenant set stripe_customer_id = ? where tenant_id = ?", l.stripeCustomerId(), l.tenantId());
            case TenantSuspended s -> status(s.tenantId(), TenantStatus.SUSPENDED);
            case TenantReactivated r -> status(r.tenantId(), TenantStatus.ACTIVE);
            case TenantMarkedPastDue p -> status(p.tenantId(), TenantStatus.PAST_DUE);
            default -> {
                // no tenant state in other entries
            }
        }
        checkpoints.touch(event.tenantId(), sequenceNumber + 1);
    }

    private void status(String tenantId, TenantStatus status) {
        jdbc.update("update tenant set status = ? where tenant_id = ?", status.name(), tenantId);
    }
}
