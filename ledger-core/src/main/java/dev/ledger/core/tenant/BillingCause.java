package dev.ledger.core.tenant;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Why billing moved a tenant's status, as the invoice-worker saw it in Stripe: the Stripe event that caused it, the
 * invoice and its amount (whole minor units of {@code currency}: the amount due for a failed payment, the amount paid
 * for a payment), and the grace policy in force (an ISO-8601 period such as {@code P7D}, null when it played no
 * part). Recorded in the status entry itself, so "why is this tenant suspended?" is answered from the chain alone.
 */
public record BillingCause(@JsonProperty("stripe_event_id") String stripeEventId, @JsonProperty("invoice_id") String invoiceId,
                           long amount, String currency, @JsonProperty("grace_policy") String gracePolicy) {

    public BillingCause {
        if (stripeEventId == null || !stripeEventId.matches("evt_[A-Za-z0-9_]{1,250}")) {
            throw new IllegalArgumentException("stripe_event_id must be evt_…");
        }
        if (invoiceId == null || !invoiceId.matches("in_[A-Za-z0-9_]{1,250}")) {
            throw new IllegalArgumentException("invoice_id must be in_…");
        }
        if (amount < 0) {
            throw new IllegalArgumentException("amount must be zero or more minor units");
        }
        if (currency == null || !currency.matches("[a-z]{3}")) {
            throw new IllegalArgumentException("currency must be three lowercase letters");
        }
        if (gracePolicy != null && !gracePolicy.matches("P[0-9]{1,4}D|PT[0-9]{1,6}[HMS]")) {
            throw new IllegalArgumentException("grace_policy must be an ISO-8601 period of days, hours, minutes or seconds");
        }
    }
}
