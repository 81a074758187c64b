package dev.ledger.api.finance;

import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.chain.Receipt;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.ProblemCodes;
import dev.ledger.api.web.Validation;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.TenantCommand;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.sql.SQLException;
import java.time.YearMonth;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * A reconciliation run: whoever read Stripe's side of a tenant's month (the invoice-worker, or an operator) hands in
 * Stripe's quantity per meter; the ledger brings the tenant's finance projection up to the chain's head, reconciles
 * the month and records the run, whatever its outcome, as a {@code ReconciliationRecorded} entry in the tenant's chain.
 */
@RestController
@Tag(name = "Finance")
public class ReconciliationRunController {

    @Schema(description = "Stripe's quantity of one meter in the month (its meter event summary)")
    public record StripeQuantity(String meter, Long quantity) {
    }

    @Schema(description = "A reconciliation run of one month", example = """
            {"period":"2026-11","stripe":[{"meter":"tokens","quantity":1200}]}""")
    public record RunRequest(String period, List<StripeQuantity> stripe) {
    }

    @Schema(description = "The run's reconciliation, as recorded, with the entry that records it", example = """
            {"period":"2026-11","tenant_id":"acme","projected_through":811,"rows":[{"tenant_id":"acme","meter":"tokens",
             "ledger_quantity":1200,"reported_quantity":1200,"stripe_quantity":1200,"stripe_source":"run",
             "status":"MATCH","mismatches":[]}],"sequence":812,"hash":"e0fc6de0cb69c1b85dc204c7f10d29f98bb909e6275bbf46695bc3c6775990e6"}""")
    public record Run(String period, String tenantId, long projectedThrough, List<Reconciliations.Row> rows, long sequence,
                      String hash) {
    }

    private final Reconciliations reconciliations;
    private final FinanceProjector projector;
    private final LedgerWriter writer;
    private final JdbcTemplate jdbc;

    public ReconciliationRunController(Reconciliations reconciliations, FinanceProjector projector, LedgerWriter writer,
                                       JdbcTemplate jdbc) {
        this.reconciliations = reconciliations;
        this.projector = projector;
        this.writer = writer;
        this.jdbc = jdbc;
    }

    @Operation(summary = "Record a reconciliation run", operationId = "recordReconciliation",
            description = "Admin key, or a service key (billing:write). Reconciles the tenant's UTC month `period` against "
                    + "Stripe's quantities handed in (at most 100 meters; a meter not handed in keeps the quantity last "
                    + "recorded) and records the run in the tenant's chain, matches as well as mismatches.")
    @ApiResponse(responseCode = "201", description = "The run, recorded")
    @ProblemCodes({"insufficient_scope", "not_found", "validation_failed", "chain_broken", "append_timeout", "shutting_down"})
    @PostMapping("/v1/tenants/{tenantId}/reconciliations")
    public ResponseEntity<Run> run(Caller caller, @PathVariable String tenantId, @RequestBody RunRequest body) {
        if (caller.kind() == Caller.Kind.TENANT) {
            throw ApiProblem.forbidden("insufficient_scope", "Only the admin and service keys record reconciliation runs.");
        }
        caller.require(Scope.BILLING_WRITE);
        Long known = jdbc.queryForObject("select count(*) from tenant where tenant_id = ?", Long.class, tenantId);
        if (known == null || known == 0) {
            throw ApiProblem.notFound("Tenant " + tenantId);
        }
        Validation v = new Validation();
        YearMonth month = null;
        if (body.period() == null || !body.period().matches("\\d{4}-(0[1-9]|1[0-2])")) {
            v.error("period", "invalid_format", "a month, YYYY-MM");
        } else {
            month = YearMonth.parse(body.period());
        }
        Map<String, Long> stripe = new LinkedHashMap<>();
        List<StripeQuantity> given = body.stripe() == null ? List.of() : body.stripe();
        if (given.size() > 100) {
            v.error("stripe", "too_many", "at most 100 meters");
        }
        for (int i = 0; i < given.size() && i < 100; i++) {
            StripeQuantity q = given.get(i);
            if (q == null || q.meter() == null || !q.meter().matches("[A-Za-z0-9._:@/-]{1,100}")) {
                v.error("stripe[" + i + "].meter", "invalid_format", "a meter name of 1-100 characters");
            } else if (q.quantity() == null) {
                v.error("stripe[" + i + "].quantity", "required", "Stripe's quantity of the meter");
            } else if (q.quantity() < 0) {
                v.error("stripe[" + i + "].quantity", "negative", "zero or more");
            } else if (stripe.put(q.meter(), q.quantity()) != null) {
                v.error("stripe[" + i + "].meter", "invalid_value", "each meter once");
            }
        }
        v.throwIfInvalid();
        long through;
        try {
            through = projector.catchUp(tenantId);
        } catch (FinanceProjector.ChainGap gap) {
            throw new ApiProblem(HttpStatus.CONFLICT, "chain_broken", "Entry " + gap.missing() + " is missing from the tenant's chain, "
                    + "so its usage cannot be reconciled; verify the chain. Nothing was recorded.");
        } catch (SQLException e) {
            throw new DataAccessResourceFailureException("the finance projection of " + tenantId + " could not catch up", e);
        }
        Reconciliations.Reconciliation r = reconciliations.compute(month, tenantId, stripe);
        List<Map<String, Object>> rows = r.rows().stream()
                .map(row -> LedgerJson.mapper().convertValue(row, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() { }))
                .toList();
        List<Receipt> receipts = writer.appendAll(tenantId, List.of(new TenantCommand.RecordReconciliation(r.period(), rows, through,
                caller.actor())), caller.actor());
        Receipt receipt = receipts.get(0);
        return ResponseEntity.status(HttpStatus.CREATED).body(new Run(r.period(), tenantId, through, r.rows(), receipt.sequence(),
                receipt.hash()));
    }
}
