package dev.ledger.core.keys;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** A key was issued: its id and scopes only, never the secret or its hash. */
public record ApiKeyIssued(@JsonProperty("tenant_id") String tenantId, @JsonProperty("key_id") String keyId, List<String> scopes,
                           String actor) implements LedgerEvent {
}
