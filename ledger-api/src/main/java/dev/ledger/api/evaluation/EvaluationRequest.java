package dev.ledger.api.evaluation;

import dev.ledger.api.web.Validation;
import io.swagger.v3.oas.annotations.media.Schema;
import dev.ledger.core.tenant.TenantCommand;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.evaluation.TerminalState;
import java.util.List;

/** The body of POST /v1/evaluations: digests and metadata only (unknown members, e.g. content, are refused). */
@Schema(description = "A gate decision", example = """
        {"evaluation_id":"ev_123","policy_id":"pol_pii","policy_version":"7","subject":"agent:42",
         "input_digest":"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","terminal_state":"REJECTED",
         "gates":[{"gate":"pii","outcome":"FAIL","reason_code":"PII_EMAIL"}],"occurred_at":"2026-11-21T10:00:00Z"}""")
public record EvaluationRequest(String evaluationId, String policyId, String policyVersion, String subject, String inputDigest,
                                TerminalState terminalState, List<GateResult> gates, String occurredAt) {

    static final int MAX_GATES = 64;

    /** The command this request asks for, or a validation_failed problem naming each bad field. */
    TenantCommand.RecordEvaluation validated() {
        Validation v = new Validation()
                .identifier("evaluation_id", evaluationId, 128)
                .identifier("policy_id", policyId, 128)
                .identifier("policy_version", policyVersion, 64)
                .text("subject", subject, 256, true)
                .sha256Digest("input_digest", inputDigest)
                .required("terminal_state", terminalState);
        if (gates == null) {
            v.error("gates", "required", "is required (may be empty)");
        } else if (gates.size() > MAX_GATES) {
            v.error("gates", "too_many", "at most " + MAX_GATES + " gates");
        } else {
            for (int i = 0; i < gates.size(); i++) {
                GateResult g = gates.get(i);
                if (g == null) {
                    v.error("gates[" + i + "]", "required", "is required");
                    continue;
                }
                v.identifier("gates[" + i + "].gate", g.gate(), 64).required("gates[" + i + "].outcome", g.outcome());
                if (g.reasonCode() != null) {
                    v.identifier("gates[" + i + "].reason_code", g.reasonCode(), 64);
                }
            }
        }
        String at = v.timestamp("occurred_at", occurredAt, true);
        v.throwIfInvalid();
        return new TenantCommand.RecordEvaluation(evaluationId, policyId, policyVersion, subject, inputDigest, terminalState,
                gates, at);
    }
}
