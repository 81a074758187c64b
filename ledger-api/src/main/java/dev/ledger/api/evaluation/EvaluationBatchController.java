package dev.ledger.api.evaluation;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DatabindException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.chain.Receipt;
import dev.ledger.api.chain.RequestDigest;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.Problems;
import dev.ledger.api.web.Validation;
import dev.ledger.api.web.ProblemCodes;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.tenant.TenantCommand;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Up to 1,000 independent evaluations in one request, through the same group-commit path as single writes. */
@RestController
@Tag(name = "Writing")
public class EvaluationBatchController {

    static final int MAX_ITEMS = 1000;

    @Schema(description = "1 to 1,000 evaluations", example = """
            {"items":[{"idempotency_key":"ev_123","evaluation_id":"ev_123","policy_id":"pol_pii","policy_version":"7",
             "subject":"agent:42","input_digest":"sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
             "terminal_state":"APPROVED","gates":[],"occurred_at":"2026-11-21T10:00:00Z"}]}""")
    @JsonDeserialize(using = BatchReader.class)
    public record BatchRequest(
            @ArraySchema(schema = @Schema(ref = "#/components/schemas/EvaluationBatchItem")) List<BatchItem> items) {
    }

    /** One item as read from the body: an evaluation with its key, or why it could not be read. */
    public sealed interface BatchItem {
    }

    /** An item read into its fields; the key member stays JSON so that a non-string key counts as none. */
    public record Item(JsonNode idempotencyKey, String evaluationId, String policyId, String policyVersion, String subject,
                       String inputDigest, TerminalState terminalState, List<GateResult> gates, String occurredAt)
            implements BatchItem {
        EvaluationRequest request() {
            return new EvaluationRequest(evaluationId, policyId, policyVersion, subject, inputDigest, terminalState, gates,
                    occurredAt);
        }
    }

    /** An item that is not an object, or has an unknown member or a value of the wrong type. */
    public record Unreadable(ApiProblem problem) implements BatchItem {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "The answer to one item: status 201 or 200 (a replay) with the receipt, or a 4xx/5xx status with the problem")
    public record ItemResult(int status, Receipt receipt, ProblemDetail error) {
    }

    @Schema(description = "One result per item, in order", example = """
            {"results":[{"status":201,"receipt":{"tenant_id":"acme","evaluation_id":"ev_123","sequence":42,
             "hash":"e0fc6de0cb69c1b85dc204c7f10d29f98bb909e6275bbf46695bc3c6775990e6",
             "prev_hash":"7eb764d539cb0cb333331a9ebbd63b9c87670655acbbaec48add28d7f5e361b7","recorded_at":"2026-11-21T10:00:00.123Z"}},
             {"status":422,"error":{"type":"https://ledger.dev/problems/validation_failed","title":"Unprocessable Entity","status":422,
             "detail":"The request is not valid: occurred_at.","code":"validation_failed"}}]}""")
    public record BatchResponse(List<ItemResult> results) {
    }

    private final LedgerWriter writer;

    public EvaluationBatchController(LedgerWriter writer) {
        this.writer = writer;
    }

    @Operation(summary = "Record up to 1,000 evaluations", operationId = "recordEvaluationBatch",
            description = "Scope evaluations:write. Each item is an evaluation with its own `idempotency_key` member; items are "
                    + "independent (one bad item fails only itself) and answered in order with the status and receipt or "
                    + "problem a single POST /v1/evaluations would have given. Body up to 4 MiB.")
    @ApiResponse(responseCode = "200", description = "One result per item, in order")
    @ProblemCodes({"insufficient_scope", "tenant_key_required", "validation_failed"})
    @PostMapping("/v1/evaluations:batch")
    public BatchResponse record(Caller caller, @RequestBody BatchRequest body) {
        caller.require(Scope.EVALUATIONS_WRITE);
        String tenant = caller.writeTenant();
        if (body.items() == null || body.items().isEmpty() || body.items().size() > MAX_ITEMS) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed", "items: 1 to " + MAX_ITEMS + " evaluations.");
        }
        List<ItemResult> results = new ArrayList<>(body.items().size());
        List<LedgerWriter.Write> writes = new ArrayList<>();
        List<Integer> positions = new ArrayList<>();
        for (BatchItem item : body.items()) {
            try {
                if (item instanceof Unreadable unreadable) {
                    throw unreadable.problem();
                }
                LedgerWriter.Write w = write(tenant, (Item) item, caller);
                positions.add(results.size());
                writes.add(w);
                results.add(null);
            } catch (ApiProblem problem) {
                results.add(failed(problem));
            }
        }
        List<LedgerWriter.Answer> answers = writes.isEmpty() ? List.of() : writer.appendMany(tenant, writes);
        for (int i = 0; i < answers.size(); i++) {
            LedgerWriter.Write w = writes.get(i);
            results.set(positions.get(i), switch (answers.get(i)) {
                case LedgerWriter.Written written -> new ItemResult(written.replayed() ? 200 : 201,
                        written.receipt().withEvaluationId(((TenantCommand.RecordEvaluation) w.command()).evaluationId()), null);
                case LedgerWriter.Refused refused -> failed(refused.problem());
            });
        }
        return new BatchResponse(results);
    }

    private LedgerWriter.Write write(String tenant, Item item, Caller caller) {
        JsonNode key = item.idempotencyKey();
        String idempotencyKey = Validation.idempotencyKey(key == null || !key.isTextual() ? null : key.asText());
        EvaluationRequest request = item.request();
        TenantCommand.RecordEvaluation entry = request.validated();
        return new LedgerWriter.Write(entry, idempotencyKey, RequestDigest.of(request), caller.actor(),
                "evaluation_id:" + entry.evaluationId(), "duplicate_evaluation_id");
    }

    private static ItemResult failed(ApiProblem p) {
        return new ItemResult(p.status().value(), null, Problems.body(p.status(), p.code(), p.getMessage(), p.errors()));
    }

    /**
     * Reads a batch body from Jackson's token stream: each item straight into its record (no tree of the whole body, no
     * second pass over a copy), by the mapper's own rules for the record (naming, coercion, unknown members). An item the
     * record refuses fails alone: the reader skips to the item's end and goes on with the next. What makes the whole body
     * unreadable stays the whole request's error, as for any body: broken JSON, the stream limits, an unknown top-level
     * member, {@code items} not an array.
     */
    static final class BatchReader extends StdDeserializer<BatchRequest> {

        BatchReader() {
            super(BatchRequest.class);
        }

        @Override
        public BatchRequest deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (!p.isExpectedStartObjectToken()) {
                return (BatchRequest) ctxt.handleUnexpectedToken(handledType(), p);
            }
            List<BatchItem> items = null;
            for (String name = p.nextFieldName(); name != null; name = p.nextFieldName()) {
                if (!name.equals("items")) {
                    throw UnrecognizedPropertyException.from(p, handledType(), name, List.of("items"));
                }
                JsonToken t = p.nextToken();
                if (t == JsonToken.VALUE_NULL) {
                    items = null;
                    continue;
                }
                if (t != JsonToken.START_ARRAY) {
                    throw MismatchedInputException.from(p, List.class, "items must be an array");
                }
                items = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    items.add(item(p, ctxt));
                }
            }
            return new BatchRequest(items);
        }

        private static BatchItem item(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (p.currentToken() != JsonToken.START_OBJECT) {
                p.skipChildren();
                return new Unreadable(new ApiProblem(HttpStatus.BAD_REQUEST, "malformed_json",
                        "Each item is a JSON object."));
            }
            int arrayDepth = depth(p.getParsingContext()) - 1;
            try {
                return ctxt.readValue(p, Item.class);
            } catch (UnrecognizedPropertyException unknown) {
                rethrowIfTheBodyIsAtFault(unknown);
                skipToEndOfItem(p, arrayDepth);
                return new Unreadable(new ApiProblem(HttpStatus.BAD_REQUEST, "unknown_field",
                        "Unknown member '" + unknown.getPropertyName() + "'."));
            } catch (DatabindException wrong) {
                rethrowIfTheBodyIsAtFault(wrong);
                skipToEndOfItem(p, arrayDepth);
                return new Unreadable(new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY,
                        "validation_failed", "The item has a value of the wrong type or an unknown enum value."));
            }
        }

        /**
         * The record's reader wraps what the parser throws: broken JSON and the stream limits are the whole body's fault,
         * not the item's, and fail the request as they would any body.
         */
        private static void rethrowIfTheBodyIsAtFault(DatabindException e) throws IOException {
            for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
                if (t instanceof JsonProcessingException body && !(t instanceof DatabindException)) {
                    throw body;
                }
            }
        }

        /** From wherever the record's reader stopped inside the item to the item's own end (back in the array). */
        private static void skipToEndOfItem(JsonParser p, int arrayDepth) throws IOException {
            while (!(p.currentToken() == JsonToken.END_OBJECT && depth(p.getParsingContext()) == arrayDepth)) {
                if (p.nextToken() == null) {
                    throw MismatchedInputException.from(p, List.class, "the body ends inside an item");
                }
            }
        }

        private static int depth(JsonStreamContext context) {
            int depth = 0;
            for (JsonStreamContext c = context; c != null; c = c.getParent()) {
                depth++;
            }
            return depth;
        }
    }
}
