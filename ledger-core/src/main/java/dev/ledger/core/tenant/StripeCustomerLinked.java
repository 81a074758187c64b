package dev.ledger.core.tenant;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;

public record StripeCustomerLinked(@JsonProperty("tenant_id") String tenantId,
                                   @JsonProperty("stripe_customer_id") String stripeCustomerId, String actor) implements LedgerEvent {
}
