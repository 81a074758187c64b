package dev.ledger.core.messages;

import com.fasterxml.jackson.annotation.JsonProperty;

public record StripeCustomerLinked(@JsonProperty("tenant_id") String tenantId,
                                   @JsonProperty("stripe_customer_id") String stripeCustomerId, String actor) implements LedgerEvent {
}
