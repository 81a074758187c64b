package dev.ledger.core.tenant;

import java.util.List;
import java.util.Map;
import org.axonframework.modelling.command.TargetAggregateIdentifier;

/**
 * An envelope of {@link TenantCommand}s for one tenant, written in one transaction (the group commit). Items are
 * independent: the aggregate decides each on its own and answers one {@link AppendOutcome} per item, in order.
 */
public record AppendEntries(@TargetAggregateIdentifier String tenantId, List<NewEntry> entries) implements LedgerCommand {

    /** One command and the metadata stored (and hashed) with the entry it records: actor, idempotency key, request digest. */
    public record NewEntry(TenantCommand command, Map<String, String> metadata) {
        public NewEntry {
            java.util.Objects.requireNonNull(command, "command");
            metadata = Map.copyOf(metadata);
        }
    }

    public AppendEntries {
        entries = List.copyOf(entries);
    }

    public static AppendEntries of(String tenantId, List<? extends TenantCommand> commands, Map<String, String> metadata) {
        return new AppendEntries(tenantId, commands.stream().map(c -> new NewEntry(c, metadata)).toList());
    }
}
