package dev.ledger.api.evaluation;

import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.chain.Receipt;
import dev.ledger.api.chain.RequestDigest;
import dev.ledger.api.web.Validation;
import dev.ledger.core.messages.EvaluationRecorded;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** Gate decisions from the governance API; each is one billable unit of meter {@code evaluations}. */
@RestController
public class EvaluationController {

    private final LedgerWriter writer;

    public EvaluationController(LedgerWriter writer) {
        this.writer = writer;
    }

    @PostMapping("/v1/evaluations")
    public ResponseEntity<Receipt> record(Caller caller, @RequestHeader(value = "Idempotency-Key", required = false) String key,
                                          @RequestBody EvaluationRequest body) {
        caller.require(Scope.EVALUATIONS_WRITE);
        String tenant = caller.writeTenant();
        String idempotencyKey = Validation.idempotencyKey(key);
        EvaluationRecorded entry = body.validated(tenant);
        LedgerWriter.Written written = writer.append(tenant, new LedgerWriter.Write(entry, idempotencyKey, RequestDigest.of(body),
                caller.actor(), "evaluation_id:" + entry.evaluationId(), "duplicate_evaluation_id"));
        return RequestDigest.answer(HttpStatus.CREATED, written, written.receipt().withEvaluationId(entry.evaluationId()));
    }
}
