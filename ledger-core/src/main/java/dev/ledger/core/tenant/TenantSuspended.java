package dev.ledger.core.tenant;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;

public record TenantSuspended(@JsonProperty("tenant_id") String tenantId, String reason, String actor) implements LedgerEvent {
}
