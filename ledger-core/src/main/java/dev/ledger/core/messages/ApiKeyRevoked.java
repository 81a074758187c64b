package dev.ledger.core.messages;

import com.fasterxml.jackson.annotation.JsonProperty;
import org.axonframework.serialization.Revision;

@Revision("1")
public record ApiKeyRevoked(@JsonProperty("tenant_id") String tenantId, @JsonProperty("key_id") String keyId, String actor)
        implements LedgerEvent {
}
