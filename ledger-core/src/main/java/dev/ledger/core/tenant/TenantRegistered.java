package dev.ledger.core.tenant;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;

public record TenantRegistered(@JsonProperty("tenant_id") String tenantId, String name,
                               @JsonProperty("stripe_customer_id") String stripeCustomerId, String actor) implements LedgerEvent {
}
