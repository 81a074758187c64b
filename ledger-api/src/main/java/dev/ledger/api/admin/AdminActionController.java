package dev.ledger.api.admin;

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
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** Admin actions taken in the client's own system. */
@RestController
@Tag(name = "Writing")
public class AdminActionController {

    @Schema(description = "An admin action", example = """
            {"actor":"alice@acme","action":"policy.published","target":"pol_pii@7","details":{"ticket":"CHG-12"}}""")
    public record AdminActionRequest(String actor, String action, String target,
                                     @Schema(description = "at most 32 members, any JSON values", type = "object",
                                             additionalProperties = Schema.AdditionalPropertiesValue.TRUE) Map<String, Object> details) {
    }

    private final LedgerWriter writer;

    public AdminActionController(LedgerWriter writer) {
        this.writer = writer;
    }

    @Operation(summary = "Record an admin action", operationId = "recordAdminAction",
            description = "Scope audit:write. An admin action taken in the client's own system (at most 32 `details` members).")
    @ApiResponse(responseCode = "201", description = "The receipt"
            + " (a replay of the same key and body answers the first receipt again, with Idempotent-Replayed: true)",
            headers = @Header(name = "Idempotent-Replayed", description = "true when this is the first answer again",
                    schema = @Schema(type = "string")))
    @ProblemCodes({"insufficient_scope", "tenant_key_required", "idempotency_key_missing", "idempotency_key_invalid",
            "idempotency_key_reserved", "validation_failed", "idempotency_key_reused", "concurrent_request",
            "entry_too_large", "append_timeout", "shutting_down"})
    @PostMapping("/v1/admin-actions")
    public ResponseEntity<Receipt> record(Caller caller, @RequestHeader(value = "Idempotency-Key", required = false) String key,
                                          @RequestBody AdminActionRequest body) {
        caller.require(Scope.AUDIT_WRITE);
        String tenant = caller.writeTenant();
        String idempotencyKey = Validation.idempotencyKey(key);
        Validation v = new Validation().text("actor", body.actor(), 256, true).identifier("action", body.action(), 128)
                .text("target", body.target(), 256, false);
        if (body.details() != null && body.details().size() > 32) {
            v.error("details", "too_many", "at most 32 members");
        }
        v.throwIfInvalid();
        TenantCommand.RecordAdminAction entry = new TenantCommand.RecordAdminAction(body.actor(), body.action(), body.target(),
                body.details() == null ? Map.of() : body.details());
        LedgerWriter.Written written = writer.append(tenant, new LedgerWriter.Write(entry, idempotencyKey, RequestDigest.of(body),
                caller.actor(), null, null));
        return RequestDigest.answer(HttpStatus.CREATED, written, written.receipt());
    }
}
