package dev.ledger.core.audit;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ledger.core.messages.LedgerEvent;
import java.util.List;
import java.util.Objects;

/**
 * Payloads of earlier entries of the chain, erased (docs/chain.md, "Redaction"): for each, its sequence, the SHA-256 of
 * the payload bytes its hash commits to (lowercase hex, so the entry still verifies) and its type. {@code policy} is
 * null for an admin's redaction, {@code "retention:<N>d"} for a retention run. This entry carries decision state (which
 * sequences are redacted) and its own payload is never redactable.
 */
public record PayloadsRedacted(@JsonProperty("tenant_id") String tenantId, List<Redaction> redactions, String reason,
                               String policy) implements LedgerEvent {

    /** The most redactions one entry carries: a retention run writes batches of this many. */
    public static final int MAX_REDACTIONS = 500;

    /** One erased payload. */
    public record Redaction(long sequence, @JsonProperty("payload_sha256") String payloadSha256, String type) {
        public Redaction {
            Objects.requireNonNull(payloadSha256, "payloadSha256");
            Objects.requireNonNull(type, "type");
        }
    }

    public PayloadsRedacted {
        redactions = List.copyOf(redactions);
    }

    /** The policy name of a retention run redacting payloads older than {@code days} days. */
    public static String retentionPolicy(int days) {
        return "retention:" + days + "d";
    }
}
