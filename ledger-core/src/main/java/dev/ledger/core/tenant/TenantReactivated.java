package dev.ledger.core.tenant;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;

/** ACTIVE again; {@code cause} names the Stripe payment when billing reactivated it (null for an admin's). */
public record TenantReactivated(@JsonProperty("tenant_id") String tenantId, String reason, String actor, BillingCause cause)
        implements LedgerEvent {

    public TenantReactivated(String tenantId, String reason, String actor) {
        this(tenantId, reason, actor, null);
    }
}
