package dev.ledger.core.tenant;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A payment failed: the tenant is PAST_DUE and keeps recording until {@code graceUntil} (RFC 3339, or none when the
 * grace policy is not stated); the cause ({@code reason}, and the Stripe invoice when there is one; {@code cause} when
 * billing marked it: the Stripe event, the invoice's amount due and the grace policy) is in the chain.
 */
public record TenantMarkedPastDue(@JsonProperty("tenant_id") String tenantId, String reason,
                                  @JsonProperty("invoice_id") String invoiceId, @JsonProperty("grace_until") String graceUntil,
                                  String actor, BillingCause cause) implements LedgerEvent {

    /** Marked without a billing cause (an admin's or a service's own call). */
    public TenantMarkedPastDue(String tenantId, String reason, String invoiceId, String graceUntil, String actor) {
        this(tenantId, reason, invoiceId, graceUntil, actor, null);
    }
}
