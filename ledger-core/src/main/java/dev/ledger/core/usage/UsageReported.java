package dev.ledger.core.usage;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;

/** A usage window that reached Stripe, as the meter-reader reported it: the chain shows what was billed. */
public record UsageReported(@JsonProperty("tenant_id") String tenantId, String meter,
                            @JsonProperty("window_start") String windowStart, @JsonProperty("window_end") String windowEnd,
                            long quantity, @JsonProperty("stripe_identifier") String stripeIdentifier) implements LedgerEvent {
}
