package dev.ledger.api.admin;

import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.chain.Receipt;
import dev.ledger.api.chain.RequestDigest;
import dev.ledger.api.web.Validation;
import dev.ledger.core.messages.AdminActionRecorded;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** Admin actions taken in the client's own system. */
@RestController
public class AdminActionController {

    public record AdminActionRequest(String actor, String action, String target, Map<String, Object> details) {
    }

    private final LedgerWriter writer;

    public AdminActionController(LedgerWriter writer) {
        this.writer = writer;
    }

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
        AdminActionRecorded entry = new AdminActionRecorded(tenant, body.actor(), body.action(), body.target(),
                body.details() == null ? Map.of() : body.details());
        LedgerWriter.Written written = writer.append(tenant, new LedgerWriter.Write(entry, idempotencyKey, RequestDigest.of(body),
                caller.actor(), null, null));
        return RequestDigest.answer(HttpStatus.CREATED, written, written.receipt());
    }
}
