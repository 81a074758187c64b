package dev.ledger.core.stripe;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ledger.core.messages.LedgerEvent;
import java.util.Map;

/**
 * A Stripe event whose signature the ledger verified, recorded once (per event id) in the chain of the tenant owning
 * its customer: what Stripe said, when, about which object, so that every status change it causes can cite it and an
 * auditor can read the object as Stripe sent it ({@code data}: the event's {@code data} member, unchanged).
 *
 * @param created the event's {@code created} time (RFC 3339, UTC, whole seconds: Stripe's resolution)
 */
public record StripeEventRecorded(@JsonProperty("tenant_id") String tenantId, @JsonProperty("event_id") String eventId,
                                  @JsonProperty("event_type") String eventType, String created, boolean livemode,
                                  @JsonProperty("object_type") String objectType, @JsonProperty("object_id") String objectId,
                                  Map<String, Object> data) implements LedgerEvent {
}
