package dev.ledger.core.tenant;

/** Everything that asks a tenant's ledger to record something. */
public sealed interface LedgerCommand permits RegisterTenant, AppendEntries {
    String tenantId();
}
