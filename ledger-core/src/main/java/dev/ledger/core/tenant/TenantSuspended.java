package dev.ledger.core.tenant;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;

/** Nothing billable is recorded until reactivated; {@code cause} names the unpaid invoice and the grace policy
 * that expired when billing suspended it (null for an admin's suspension). */
public record TenantSuspended(@JsonProperty("tenant_id") String tenantId, String reason, String actor, BillingCause cause)
        implements LedgerEvent {

    public TenantSuspended(String tenantId, String reason, String actor) {
        this(tenantId, reason, actor, null);
    }
}
