package dev.ledger.core.keys;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;

public record ApiKeyRevoked(@JsonProperty("tenant_id") String tenantId, @JsonProperty("key_id") String keyId, String actor)
        implements LedgerEvent {
}
