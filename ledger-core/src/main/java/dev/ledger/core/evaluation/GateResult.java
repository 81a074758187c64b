package dev.ledger.core.evaluation;

import com.fasterxml.jackson.annotation.JsonProperty;

/** One gate of an evaluation: which gate, how it came out, and a machine reason code (never content). */
public record GateResult(String gate, GateOutcome outcome, @JsonProperty("reason_code") String reasonCode) {
}
