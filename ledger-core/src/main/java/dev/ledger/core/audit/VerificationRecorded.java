package dev.ledger.core.audit;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;

/** A verification run and its verdict, recorded in the chain it checked: the auditors are audited too. */
public record VerificationRecorded(@JsonProperty("tenant_id") String tenantId,
                                   @JsonProperty("from_sequence") long fromSequence,
                                   @JsonProperty("to_sequence") long toSequence,
                                   String status, long checked,
                                   @JsonProperty("first_broken_sequence") Long firstBrokenSequence,
                                   String reason, String actor) implements LedgerEvent {
}
