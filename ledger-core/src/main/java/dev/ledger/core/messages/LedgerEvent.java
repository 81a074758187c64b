package dev.ledger.core.messages;

import dev.ledger.core.audit.AdminActionRecorded;
import dev.ledger.core.audit.VerificationRecorded;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.keys.ApiKeyIssued;
import dev.ledger.core.keys.ApiKeyRevoked;
import dev.ledger.core.stripe.StripeEventRecorded;
import dev.ledger.core.tenant.StripeCustomerLinked;
import dev.ledger.core.tenant.TenantMarkedPastDue;
import dev.ledger.core.tenant.TenantReactivated;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.tenant.TenantSuspended;
import dev.ledger.core.usage.UsageRecorded;
import dev.ledger.core.usage.UsageReported;

/**
 * Every fact the ledger records. One event is one entry in its tenant's hash chain; the family is sealed so
 * projections, the verifier and the workers switch over it with compiler-checked exhaustiveness.
 */
public sealed interface LedgerEvent
        permits TenantRegistered, StripeCustomerLinked, TenantSuspended, TenantReactivated, TenantMarkedPastDue, ApiKeyIssued, ApiKeyRevoked,
        EvaluationRecorded, UsageRecorded, AdminActionRecorded, UsageReported, VerificationRecorded,
        StripeEventRecorded, dev.ledger.core.billing.InvoiceWitnessed, dev.ledger.core.billing.InvoiceHeld,
        dev.ledger.core.billing.ReconciliationRecorded, dev.ledger.core.audit.PayloadsRedacted {

    String tenantId();

    /** Units this entry adds to a Stripe meter, or none. Kept here so the API, the workers and finance agree. */
    default java.util.Optional<BillableUnits> billable() {
        return java.util.Optional.empty();
    }

    /**
     * Meter name and a positive whole quantity. The ledger writes them into the entry's hashed metadata under
     * {@link #METER} and {@link #QUANTITY}, so a worker bills from the entry alone, whatever its type.
     */
    record BillableUnits(String meter, long quantity) {

        public static final String METER = "meter";
        public static final String QUANTITY = "quantity";

        /** The two metadata entries, quantity as a decimal string. */
        public java.util.Map<String, String> metadata() {
            return java.util.Map.of(METER, meter, QUANTITY, Long.toString(quantity));
        }
    }
}
