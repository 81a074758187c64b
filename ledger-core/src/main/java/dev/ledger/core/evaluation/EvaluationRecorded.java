package dev.ledger.core.evaluation;

import dev.ledger.core.messages.LedgerEvent;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Optional;

/** A gate decision: digests and metadata only, never the evaluated content. One unit of meter {@code evaluations}. */
public record EvaluationRecorded(@JsonProperty("tenant_id") String tenantId,
                                 @JsonProperty("evaluation_id") String evaluationId,
                                 @JsonProperty("policy_id") String policyId,
                                 @JsonProperty("policy_version") String policyVersion,
                                 String subject,
                                 @JsonProperty("input_digest") String inputDigest,
                                 @JsonProperty("terminal_state") TerminalState terminalState,
                                 List<GateResult> gates,
                                 @JsonProperty("occurred_at") String occurredAt) implements LedgerEvent {

    public static final String METER = "evaluations";

    @Override
    public Optional<BillableUnits> billable() {
        return Optional.of(new BillableUnits(METER, 1));
    }
}
