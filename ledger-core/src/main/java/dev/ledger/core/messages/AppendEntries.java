package dev.ledger.core.messages;

import java.util.List;
import java.util.Map;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * Appends entries to one tenant's chain in one transaction. Items are independent: the aggregate accepts or
 * rejects each on its own and answers one {@link AppendOutcome} per item, in order.
 */
public record AppendEntries(@TargetAggregateIdentifier String tenantId, List<NewEntry> entries) implements LedgerCommand {

    /** One entry and the metadata stored (and hashed) with it: actor, idempotency key, request digest. */
    public record NewEntry(LedgerEvent event, Map<String, String> metadata) {
        public NewEntry {
            metadata = Map.copyOf(metadata);
        }
    }

    public AppendEntries {
        entries = List.copyOf(entries);
        for (NewEntry e : entries) {
            if (!e.event().tenantId().equals(tenantId)) {
                throw new IllegalArgumentException("entry for tenant " + e.event().tenantId() + " in a command for " + tenantId);
            }
        }
    }

    public static AppendEntries of(String tenantId, List<LedgerEvent> events, Map<String, String> metadata) {
        return new AppendEntries(tenantId, events.stream().map(e -> new NewEntry(e, metadata)).toList());
    }
}
