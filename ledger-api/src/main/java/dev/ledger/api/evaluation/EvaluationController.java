package dev.ledger.api.evaluation;

import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.chain.Receipt;
import dev.ledger.api.chain.RequestDigest;
import dev.ledger.api.web.Validation;
import dev.ledger.api.web.ProblemCodes;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import dev.ledger.core.tenant.TenantCommand;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** Gate decisions from the governance API; each is one billable unit of meter {@code evaluations}. */
@RestController
@Tag(name = "Writing")
public class EvaluationController {

    private final LedgerWriter writer;

    public EvaluationController(LedgerWriter writer) {
        this.writer = writer;
    }

    @Operation(summary = "Record an evaluation", operationId = "recordEvaluation",
            description = "Scope evaluations:write. A gate decision: digests and metadata only. One billable unit of meter "
                    + "`evaluations`. The same Idempotency-Key and body again answer the first receipt.")
    @ApiResponse(responseCode = "201", description = "The receipt: the entry's place in the tenant's chain"
            + " (a replay of the same key and body answers the first receipt again, with Idempotent-Replayed: true)",
            headers = @Header(name = "Idempotent-Replayed", description = "true when this is the first answer again",
                    schema = @Schema(type = "string")))
    @ProblemCodes({"insufficient_scope", "tenant_key_required", "idempotency_key_missing", "idempotency_key_invalid",
            "idempotency_key_reserved", "validation_failed", "idempotency_key_reused", "duplicate_evaluation_id", "tenant_suspended", "concurrent_request",
            "entry_too_large", "append_timeout", "shutting_down"})
    @PostMapping("/v1/evaluations")
    public ResponseEntity<Receipt> record(Caller caller, @RequestHeader(value = "Idempotency-Key", required = false) String key,
                                          @RequestBody EvaluationRequest body) {
        caller.require(Scope.EVALUATIONS_WRITE);
        String tenant = caller.writeTenant();
        String idempotencyKey = Validation.idempotencyKey(key);
        TenantCommand.RecordEvaluation entry = body.validated();
        LedgerWriter.Written written = writer.append(tenant, new LedgerWriter.Write(entry, idempotencyKey, RequestDigest.of(body),
                caller.actor(), "evaluation_id:" + entry.evaluationId(), "duplicate_evaluation_id"));
        return RequestDigest.answer(HttpStatus.CREATED, written, written.receipt().withEvaluationId(entry.evaluationId()));
    }
}
