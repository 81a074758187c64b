package dev.ledger.core.messages;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.axonframework.serialization.Revision;

@Revision("1")
public record TenantRegistered(@JsonProperty("tenant_id") String tenantId, String name,
                               @JsonProperty("stripe_customer_id") String stripeCustomerId, String actor) implements LedgerEvent {
}
