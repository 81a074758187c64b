package dev.ledger.core.messages;

import com.fasterxml.jackson.annotation.JsonProperty;

public record TenantSuspended(@JsonProperty("tenant_id") String tenantId, String reason, String actor) implements LedgerEvent {
}
