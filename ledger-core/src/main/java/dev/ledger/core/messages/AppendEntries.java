package dev.ledger.core.messages;

import java.util.List;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * Appends entries to one tenant's chain in one transaction. Items are independent: the aggregate accepts or
 * rejects each on its own and answers one {@link AppendOutcome} per item, in order.
 */
public record AppendEntries(@TargetAggregateIdentifier String tenantId, List<LedgerEvent> entries) implements LedgerCommand {
    public AppendEntries {
        entries = List.copyOf(entries);
        for (LedgerEvent e : entries) {
            if (!e.tenantId().equals(tenantId)) {
                throw new IllegalArgumentException("entry for tenant " + e.tenantId() + " in a command for " + tenantId);
            }
        }
    }
}
