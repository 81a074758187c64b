package dev.ledger.core.tenant;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A payment failed: the tenant is PAST_DUE and keeps recording until {@code graceUntil} (RFC 3339, or none when the
 * grace policy is not stated); the cause ({@code reason}, and the Stripe invoice when there is one) is in the chain.
 */
public record TenantMarkedPastDue(@JsonProperty("tenant_id") String tenantId, String reason,
                                  @JsonProperty("invoice_id") String invoiceId, @JsonProperty("grace_until") String graceUntil,
                                  String actor) implements LedgerEvent {
}
