package dev.ledger.api.redaction;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ledger.api.auth.Caller;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.chain.Receipt;
import dev.ledger.api.chain.RequestDigest;
import dev.ledger.api.web.ProblemCodes;
import dev.ledger.api.web.Validation;
import dev.ledger.core.tenant.TenantCommand;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** Redaction of payloads (admin): one entry on request, and per-tenant retention on a schedule. */
@RestController
@Tag(name = "Tenants and keys")
public class RedactionController {

    /** The longest retention a policy names (a century): anything longer is no retention. */
    static final int MAX_DAYS = 36_500;

    @Schema(description = "Why the payload is erased (1-500 characters), recorded in the chain", example = """
            {"reason":"GDPR erasure request ticket PRIV-2211"}""")
    public record RedactionBody(String reason) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "The redaction entry's place in the chain, the entry whose payload it erased and the digest its hash still commits to",
            example = """
            {"tenant_id":"acme","sequence":43,"hash":"e0fc6de0cb69c1b85dc204c7f10d29f98bb909e6275bbf46695bc3c6775990e6",
             "prev_hash":"7eb764d539cb0cb333331a9ebbd63b9c87670655acbbaec48add28d7f5e361b7","recorded_at":"2026-11-21T10:00:00.123Z",
             "redacted_sequence":3,"payload_sha256":"b1946ac92492d2347c6235b4d2611184b1946ac92492d2347c6235b4d2611184"}""")
    public record RedactionReceipt(String tenantId, long sequence, String hash, String prevHash, String recordedAt,
                                   long redactedSequence, @JsonProperty("payload_sha256") String payloadSha256) {
    }

    @Schema(description = "Redact payloads older than this many days (1-36500), or null to clear the policy", example = """
            {"redact_payloads_after_days":365}""")
    public record RetentionBody(Integer redactPayloadsAfterDays) {
    }

    @Schema(description = "The tenant's retention policy (null: none) and the chain entry that set it", example = """
            {"tenant_id":"acme","redact_payloads_after_days":365,"sequence":44}""")
    public record Retention(String tenantId, Integer redactPayloadsAfterDays, long sequence) {
    }

    private final Redactions redactions;
    private final LedgerWriter writer;
    private final JdbcTemplate jdbc;

    public RedactionController(Redactions redactions, LedgerWriter writer, JdbcTemplate jdbc) {
        this.redactions = redactions;
        this.writer = writer;
        this.jdbc = jdbc;
    }

    @Operation(summary = "Redact an entry's payload", operationId = "redactEntryPayload",
            description = "Admin key. Erases the payload bytes of entry `seq` (an evaluation, usage record, admin action or "
                    + "Stripe event); the redaction is itself an entry of the chain (PayloadsRedacted), and the entry still "
                    + "verifies through the payload digest its hash commits to. Billing facts stay (they are in the hashed "
                    + "metadata). Entries carrying decision state and redactions are never redacted; a payload is redacted once.")
    @ApiResponse(responseCode = "201", description = "The redaction entry's receipt"
            + " (a replay of the same key and body answers the first receipt again, with Idempotent-Replayed: true)",
            headers = @Header(name = "Idempotent-Replayed", description = "true when this is the first answer again",
                    schema = @Schema(type = "string")))
    @ProblemCodes({"admin_only", "not_found", "entry_not_in_chain", "idempotency_key_missing", "idempotency_key_invalid",
            "idempotency_key_reserved", "validation_failed", "not_redactable", "already_redacted", "idempotency_key_reused",
            "concurrent_request", "append_timeout", "shutting_down"})
    @PostMapping("/v1/tenants/{tenantId}/entries/{sequence}/redaction")
    public ResponseEntity<RedactionReceipt> redact(Caller caller, @PathVariable String tenantId, @PathVariable long sequence,
                                                   @RequestHeader(value = "Idempotency-Key", required = false) String key,
                                                   @RequestBody RedactionBody body) {
        caller.requireAdmin();
        String idempotencyKey = Validation.idempotencyKey(key);
        new Validation().text("reason", body.reason(), 500, true).throwIfInvalid();
        Redactions.Redacted done = redactions.redact(tenantId, sequence, body.reason(), idempotencyKey, caller.actor());
        Receipt r = done.written().receipt();
        return RequestDigest.answer(HttpStatus.CREATED, done.written(), new RedactionReceipt(r.tenantId(), r.sequence(), r.hash(),
                r.prevHash(), r.recordedAt(), done.redactedSequence(), done.payloadSha256()));
    }

    @Operation(summary = "Set a tenant's retention policy", operationId = "setTenantRetention",
            description = "Admin key. From now on the payloads of the tenant's redactable entries recorded more than N days "
                    + "ago are redacted on a schedule (LEDGER_RETENTION_SCAN_MILLIS), in PayloadsRedacted entries of at most "
                    + "500 with policy `retention:<N>d`; null clears the policy. The change is recorded in the tenant's chain "
                    + "as an admin action `retention.set`.")
    @ApiResponse(responseCode = "200", description = "The policy in force")
    @ProblemCodes({"admin_only", "not_found", "validation_failed"})
    @PutMapping("/v1/tenants/{tenantId}/retention")
    @Transactional
    public Retention setRetention(Caller caller, @PathVariable String tenantId, @RequestBody RetentionBody body) {
        caller.requireAdmin();
        Integer days = body.redactPayloadsAfterDays();
        if (days != null && (days < 1 || days > MAX_DAYS)) {
            new Validation().error("redact_payloads_after_days", "out_of_range", "1.." + MAX_DAYS + " days, or null").throwIfInvalid();
        }
        Map<String, Object> details = new HashMap<>();
        details.put("redact_payloads_after_days", days);
        long sequence = writer.appendAll(tenantId, List.of(new TenantCommand.RecordAdminAction(caller.actor(), "retention.set",
                "redact_payloads_after_days", details)), caller.actor()).get(0).sequence();
        if (days == null) {
            jdbc.update("delete from retention_policy where tenant_id = ?", tenantId);
        } else {
            jdbc.update("insert into retention_policy (tenant_id, redact_payloads_after_days, set_sequence) values (?, ?, ?)"
                    + " on conflict (tenant_id) do update set redact_payloads_after_days = excluded.redact_payloads_after_days,"
                    + " set_sequence = excluded.set_sequence, updated_at = now()", tenantId, days, sequence);
        }
        return new Retention(tenantId, days, sequence);
    }
}
