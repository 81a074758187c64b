package dev.ledger.core.messages;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Optional;
import org.axonframework.serialization.Revision;

/** {@code quantity} units of {@code meter}. */
@Revision("1")
public record UsageRecorded(@JsonProperty("tenant_id") String tenantId, @JsonProperty("usage_id") String usageId, String meter,
                            long quantity, @JsonProperty("occurred_at") String occurredAt) implements LedgerEvent {

    @Override
    public Optional<BillableUnits> billable() {
        return Optional.of(new BillableUnits(meter, quantity));
    }
}
