package dev.ledger.api.usage;

import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.chain.Receipt;
import dev.ledger.api.chain.RequestDigest;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.Validation;
import dev.ledger.api.web.ProblemCodes;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import dev.ledger.core.tenant.TenantCommand;
import dev.ledger.core.usage.UsageRecorded;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** Usage records: {@code quantity} units of a meter. */
@RestController
@Tag(name = "Writing")
public class UsageController {

    @Schema(description = "Units of a meter", example = """
            {"usage_id":"u_1","meter":"tokens","quantity":1200,"occurred_at":"2026-11-21T10:00:00Z"}""")
    public record UsageRequest(String usageId, String meter, Long quantity, String occurredAt) {
    }

    private final LedgerWriter writer;
    private final UsageProperties props;

    public UsageController(LedgerWriter writer, UsageProperties props) {
        this.writer = writer;
        this.props = props;
    }

    @Operation(summary = "Record usage", operationId = "recordUsage",
            description = "Scope usage:write. `quantity` units (a positive JSON integer, at most 10^15) of a meter this "
                    + "deployment bills (LEDGER_ALLOWED_METERS).")
    @ApiResponse(responseCode = "201", description = "The receipt"
            + " (a replay of the same key and body answers the first receipt again, with Idempotent-Replayed: true)",
            headers = @Header(name = "Idempotent-Replayed", description = "true when this is the first answer again",
                    schema = @Schema(type = "string")))
    @ProblemCodes({"insufficient_scope", "tenant_key_required", "idempotency_key_missing", "idempotency_key_invalid",
            "idempotency_key_reserved", "validation_failed", "idempotency_key_reused", "unknown_meter", "duplicate_usage_id", "tenant_suspended",
            "concurrent_request", "entry_too_large", "append_timeout", "shutting_down"})
    @PostMapping("/v1/usage")
    public ResponseEntity<Receipt> record(Caller caller, @RequestHeader(value = "Idempotency-Key", required = false) String key,
                                          @RequestBody UsageRequest body) {
        caller.require(Scope.USAGE_WRITE);
        String tenant = caller.writeTenant();
        String idempotencyKey = Validation.idempotencyKey(key);
        Validation v = new Validation().identifier("usage_id", body.usageId(), 128).identifier("meter", body.meter(), 100)
                .required("quantity", body.quantity());
        if (body.quantity() != null && body.quantity() <= 0) {
            v.error("quantity", "not_positive", "a positive integer");
        }
        if (body.quantity() != null && body.quantity() > UsageRecorded.MAX_QUANTITY) {
            v.error("quantity", "too_large", "at most " + UsageRecorded.MAX_QUANTITY);
        }
        String at = v.timestamp("occurred_at", body.occurredAt(), true);
        v.throwIfInvalid();
        if (!props.allows(body.meter())) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "unknown_meter",
                    "Meter '" + body.meter() + "' is not billed by this deployment (LEDGER_ALLOWED_METERS).",
                    List.of(Map.of("field", "meter", "code", "unknown_meter")));
        }
        TenantCommand.RecordUsage entry = new TenantCommand.RecordUsage(body.usageId(), body.meter(), body.quantity(), at);
        LedgerWriter.Written written = writer.append(tenant, new LedgerWriter.Write(entry, idempotencyKey, RequestDigest.of(body),
                caller.actor(), "usage_id:" + entry.usageId(), "duplicate_usage_id"));
        return RequestDigest.answer(HttpStatus.CREATED, written, written.receipt().withUsageId(entry.usageId()));
    }
}
