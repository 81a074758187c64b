package dev.ledger.core.usage;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;

/** {@code quantity} units of {@code meter}. */
public record UsageRecorded(@JsonProperty("tenant_id") String tenantId, @JsonProperty("usage_id") String usageId, String meter,
                            long quantity, @JsonProperty("occurred_at") String occurredAt) implements LedgerEvent {

    /**
     * The largest quantity one usage record may carry (10^15): the ledger refuses more, and the meter-reader's window
     * sums of such records stay far below {@code Long.MAX_VALUE} even before its own checked bound.
     */
    public static final long MAX_QUANTITY = 1_000_000_000_000_000L;

    @Override
    public Optional<BillableUnits> billable() {
        return Optional.of(new BillableUnits(meter, quantity));
    }
}
