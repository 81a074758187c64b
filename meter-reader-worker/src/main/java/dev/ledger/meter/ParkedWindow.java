package dev.ledger.meter;

import java.time.Instant;

/**
 * A window that Stripe or the ledger refused for good, as an operator sees it. {@code stage} is {@code stripe} (the
 * meter event was refused) or {@code write_back} (Stripe has it, the ledger refused the usage report);
 * {@code parkedAt} is null for windows parked before it was recorded.
 */
public record ParkedWindow(String identifier, String tenantId, String meter, Instant windowStart, Instant windowEnd,
                           long quantity, String stage, String reason, Instant parkedAt) {

    static String stage(MeterReport.Status parkedFrom) {
        return parkedFrom == MeterReport.Status.DELIVERED ? "write_back" : "stripe";
    }
}
