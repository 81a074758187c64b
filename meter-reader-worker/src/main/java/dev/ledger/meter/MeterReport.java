package dev.ledger.meter;

import java.time.Instant;

/**
 * A closed usage window on its way out: first to Stripe as one meter event, then back to the ledger as a usage
 * report. {@code status} is one of {@link Status}; {@code stripeCustomerId} is the tenant's customer now.
 * {@code firstSentAt}: recorded before the first Stripe call for it (null: never sent), which fixes its event time;
 * {@code sentAt}: recorded before the call that opened Stripe's current identifier window (about 24 h) for it.
 */
public record MeterReport(UsageWindow window, long quantity, String identifier, Status status, int attempts,
                          String stripeCustomerId, Instant firstSentAt, Instant sentAt) {

    /** OPEN → CLOSED → DELIVERED (Stripe has it) → WRITTEN_BACK (the ledger has it); PARKED needs a person. */
    public enum Status { OPEN, CLOSED, DELIVERED, WRITTEN_BACK, PARKED }

    /** A report never sent yet. */
    public MeterReport(UsageWindow window, long quantity, String identifier, Status status, int attempts,
                       String stripeCustomerId) {
        this(window, quantity, identifier, status, attempts, stripeCustomerId, null, null);
    }

    MeterReport withStatus(Status next) {
        return new MeterReport(window, quantity, identifier, next, 0, stripeCustomerId, firstSentAt, sentAt);
    }

    MeterReport sentAt(Instant first, Instant sent) {
        return new MeterReport(window, quantity, identifier, status, attempts, stripeCustomerId, first, sent);
    }
}
