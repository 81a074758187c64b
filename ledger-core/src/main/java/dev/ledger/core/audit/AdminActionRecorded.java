package dev.ledger.core.audit;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/** An admin action taken in the client's own system. */
public record AdminActionRecorded(@JsonProperty("tenant_id") String tenantId, String actor, String action, String target,
                                  Map<String, Object> details) implements LedgerEvent {
}
