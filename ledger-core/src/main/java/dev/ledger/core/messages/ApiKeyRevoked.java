package dev.ledger.core.messages;

import com.fasterxml.jackson.annotation.JsonProperty;

public record ApiKeyRevoked(@JsonProperty("tenant_id") String tenantId, @JsonProperty("key_id") String keyId, String actor)
        implements LedgerEvent {
}
