package dev.ledger.core.billing;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ledger.core.messages.LedgerEvent;
import java.util.List;
import java.util.Map;

/**
 * One reconciliation run of a tenant's calendar month, as the ledger answered it: per meter the ledger's quantity
 * (billable units recorded in the month), the quantity reported to Stripe (the month's usage windows), Stripe's
 * quantity as the caller read it from Stripe (its meter event summary), the status ({@code MATCH}, {@code MISMATCH},
 * {@code PENDING}) and the mismatch kinds with their windows. Passes are recorded as well as mismatches.
 *
 * @param period           the month, {@code YYYY-MM}
 * @param rows             per meter: {@code meter, ledger_quantity, reported_quantity, stripe_quantity, status, mismatches}
 * @param projectedThrough the chain's sequence the ledger's and reported quantities were read through
 */
public record ReconciliationRecorded(@JsonProperty("tenant_id") String tenantId, String period,
                                     List<Map<String, Object>> rows,
                                     @JsonProperty("projected_through") long projectedThrough, String actor)
        implements LedgerEvent {
}
