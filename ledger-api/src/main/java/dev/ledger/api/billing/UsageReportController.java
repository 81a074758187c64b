package dev.ledger.api.billing;

import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.chain.Receipt;
import dev.ledger.api.chain.RequestDigest;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.IdempotencyKeys;
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
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** What the meter-reader delivered to Stripe, written back so the chain shows what was billed. */
@RestController
@Tag(name = "Billing")
public class UsageReportController {

    @Schema(description = "One usage window delivered to Stripe", example = """
            {"meter":"evaluations","window_start":"2026-11-21T10:00:00Z","window_end":"2026-11-21T10:01:00Z","quantity":42,
             "stripe_identifier":"acme-evaluations-20261121T1000"}""")
    public record UsageReportRequest(String meter, String windowStart, String windowEnd, Long quantity, String stripeIdentifier) {
    }

    private final LedgerWriter writer;
    private final JdbcTemplate jdbc;

    public UsageReportController(LedgerWriter writer, JdbcTemplate jdbc) {
        this.writer = writer;
        this.jdbc = jdbc;
    }

    @Operation(summary = "Record a usage report", operationId = "recordUsageReport",
            description = "Scope billing:write (service keys). What the meter-reader delivered to Stripe for one window; the "
                    + "same stripe_identifier again answers the first receipt.")
    @ApiResponse(responseCode = "201", description = "The receipt"
            + " (the same stripe_identifier again answers the first receipt, with Idempotent-Replayed: true)",
            headers = @Header(name = "Idempotent-Replayed", description = "true when this is the first answer again",
                    schema = @Schema(type = "string")))
    @ProblemCodes({"insufficient_scope", "not_found", "validation_failed", "idempotency_key_reused", "concurrent_request", "entry_too_large",
            "append_timeout", "shutting_down"})
    @PostMapping("/v1/tenants/{tenantId}/usage-reports")
    public ResponseEntity<Receipt> report(Caller caller, @PathVariable String tenantId, @RequestBody UsageReportRequest body) {
        caller.require(Scope.BILLING_WRITE);
        caller.requireTenant(tenantId);
        if (jdbc.queryForObject("select count(*) from tenant where tenant_id = ?", Long.class, tenantId) == 0) {
            throw ApiProblem.notFound("Tenant " + tenantId);
        }
        Validation v = new Validation().identifier("meter", body.meter(), 100)
                .identifier("stripe_identifier", body.stripeIdentifier(), 255).required("quantity", body.quantity());
        if (body.quantity() != null && body.quantity() < 0) {
            v.error("quantity", "negative", "zero or a positive integer");
        }
        String start = v.timestamp("window_start", body.windowStart(), true);
        String end = v.timestamp("window_end", body.windowEnd(), true);
        v.throwIfInvalid();
        TenantCommand.ReportUsage entry = new TenantCommand.ReportUsage(body.meter(), start, end, body.quantity(), body.stripeIdentifier());
        // the Stripe identifier is the idempotency key: the same report twice is one entry
        LedgerWriter.Written written = writer.append(tenantId, new LedgerWriter.Write(entry, IdempotencyKeys.server("usage-report", body.stripeIdentifier()),
                RequestDigest.of(body), caller.actor(), null, null));
        return RequestDigest.answer(HttpStatus.CREATED, written, written.receipt());
    }
}
