package dev.ledger.meter;

/**
 * A closed usage window on its way out: first to Stripe as one meter event, then back to the ledger as a usage
 * report. {@code status} is one of {@link Status}; {@code stripeCustomerId} is the tenant's customer now.
 */
public record MeterReport(UsageWindow window, long quantity, String identifier, Status status, int attempts,
                          String stripeCustomerId) {

    /** OPEN → CLOSED → DELIVERED (Stripe has it) → WRITTEN_BACK (the ledger has it); PARKED needs a person. */
    public enum Status { OPEN, CLOSED, DELIVERED, WRITTEN_BACK, PARKED }
}
