package dev.ledger.core.tenant;

import org.axonframework.modelling.command.TargetAggregateIdentifier;

/** Opens a tenant's chain; its first entry is {@link TenantRegistered}. */
public record RegisterTenant(@TargetAggregateIdentifier String tenantId, String name, String stripeCustomerId, String actor)
        implements LedgerCommand {
}
