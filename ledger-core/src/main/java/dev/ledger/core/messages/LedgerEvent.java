package dev.ledger.core.messages;

/**
 * Every fact the ledger records. One event is one entry in its tenant's hash chain; the family is sealed so
 * projections, the verifier and the workers switch over it with compiler-checked exhaustiveness.
 */
public sealed interface LedgerEvent
        permits TenantRegistered, StripeCustomerLinked, TenantSuspended, TenantReactivated, ApiKeyIssued, ApiKeyRevoked,
        EvaluationRecorded, UsageRecorded, AdminActionRecorded, UsageReported, VerificationRecorded {

    String tenantId();

    /** Units this entry adds to a Stripe meter, or none. Kept here so the API, the workers and finance agree. */
    default java.util.Optional<BillableUnits> billable() {
        return java.util.Optional.empty();
    }

    /** Meter name and a positive whole quantity. */
    record BillableUnits(String meter, long quantity) {
    }
}
