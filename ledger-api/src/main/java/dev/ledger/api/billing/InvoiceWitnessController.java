package dev.ledger.api.billing;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.ledger.api.audit.ChainVerification;
import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.chain.RequestDigest;
import dev.ledger.api.checkpoint.CheckpointService;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.IdempotencyKeys;
import dev.ledger.api.web.ProblemCodes;
import dev.ledger.api.web.Validation;
import dev.ledger.core.billing.InvoiceHeld;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.TenantCommand;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.ExampleObject;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The ledger's half of witnessing a Stripe invoice before it is finalized. The invoice-worker asks once per draft
 * invoice, with the period's quantities it reconciled; the ledger verifies the tenant's whole chain (as an auditor's
 * verification does), signs a checkpoint of its head, proves it consistent with the checkpoint of the tenant's previous
 * witnessed invoice, and records all of it as an {@code InvoiceWitnessed} entry. A chain that does not verify is
 * recorded as {@code InvoiceHeld} ({@code chain_broken}) instead; the worker holds an invoice whose quantities differ
 * itself, through {@code invoice-holds}. One answer per invoice: asking again answers the first.
 */
@RestController
@Tag(name = "Billing")
public class InvoiceWitnessController {

    private static final Pattern INVOICE_ID = Pattern.compile("in_[A-Za-z0-9_]{1,250}");
    private static final int MAX_METERS = 20;

    @Schema(description = "One meter's quantities for the invoice's period", example = """
            {"meter":"evaluations","ledger":1200,"stripe":1200,"invoiced":1200}""")
    public record Quantity(String meter, Long ledger, Long stripe, Long invoiced) {
    }

    @Schema(description = "A draft invoice to witness", example = """
            {"invoice_id":"in_1QxY2a","period_start":"2026-11-01T00:00:00Z","period_end":"2026-12-01T00:00:00Z",
             "quantities":[{"meter":"evaluations","ledger":1200,"stripe":1200,"invoiced":1200}]}""")
    public record WitnessRequest(String invoiceId, String periodStart, String periodEnd, List<Quantity> quantities) {
    }

    @Schema(description = "An invoice to hold back, and why", example = """
            {"invoice_id":"in_1QxY2a","period_start":"2026-11-01T00:00:00Z","period_end":"2026-12-01T00:00:00Z",
             "reason":"quantity_mismatch","detail":"evaluations: ledger 1200, Stripe 1100, invoiced 1100",
             "quantities":[{"meter":"evaluations","ledger":1200,"stripe":1100,"invoiced":1100}]}""")
    public record HoldRequest(String invoiceId, String periodStart, String periodEnd, String reason, String detail,
                              List<Quantity> quantities) {
    }

    private final LedgerWriter writer;
    private final JdbcTemplate jdbc;
    private final DataSource dataSource;
    private final ChainVerification verification;
    private final CheckpointService checkpoints;

    public InvoiceWitnessController(LedgerWriter writer, JdbcTemplate jdbc, DataSource dataSource, ChainVerification verification,
                                    CheckpointService checkpoints) {
        this.writer = writer;
        this.jdbc = jdbc;
        this.dataSource = dataSource;
        this.verification = verification;
        this.checkpoints = checkpoints;
    }

    @Operation(summary = "Witness a draft invoice", operationId = "witnessInvoice",
            description = "Admin key, or a service key (billing:write). Verifies the tenant's chain, signs a checkpoint of its "
                    + "head and proves it consistent with the previous witnessed invoice's; records `InvoiceWitnessed` and "
                    + "answers `status: witnessed` with the checkpoint and its `ledger_checkpoint` metadata form. A chain that "
                    + "does not verify is recorded as `InvoiceHeld` (`chain_broken`) and answers `status: held`. Asking again "
                    + "for the same invoice answers the first answer, with Idempotent-Replayed: true.")
    @ApiResponse(responseCode = "200", description = "Witnessed, or held", headers = @Header(name = "Idempotent-Replayed",
            description = "true when this is the first answer again", schema = @Schema(type = "string")),
            content = @Content(mediaType = "application/json", schema = @Schema(type = "object"), examples = {
                    @ExampleObject(name = "witnessed", value = """
                            {"status":"witnessed","invoice_id":"in_1QxY2a","checkpoint":{"tenant_id":"acme","size":41,
                             "root_hash":"9f2c…","issued_at":"2026-12-01T00:31:00.000Z","key_id":"06e3fd8fda29bb60","signature":"…"},
                             "ledger_checkpoint":"ledger-checkpoint/v1 tenant=acme size=41 root=9f2c… issued_at=2026-12-01T00:31:00.000Z key_id=06e3fd8fda29bb60 sig=…",
                             "previous":{"invoice_id":"in_1PwX1z","size":17,"root_hash":"41ab…"},"consistency_proof":["c3d4…"],
                             "sequence":42,"hash":"e0fc…"}"""),
                    @ExampleObject(name = "held", value = """
                            {"status":"held","invoice_id":"in_1QxY2a","reason":"chain_broken",
                             "detail":"entry 7: hash_mismatch (…)","first_broken_sequence":7,"sequence":42,"hash":"e0fc…"}""")}))
    @ProblemCodes({"insufficient_scope", "not_found", "validation_failed", "long_read_limited", "read_rate_limited",
            "append_timeout", "shutting_down"})
    @PostMapping("/v1/tenants/{tenantId}/invoice-witnesses")
    public ResponseEntity<Map<String, Object>> witness(Caller caller, @PathVariable String tenantId,
                                                       @RequestBody WitnessRequest body) {
        requireBilling(caller, tenantId);
        Validation v = new Validation();
        invoice(v, body.invoiceId());
        String start = v.timestamp("period_start", body.periodStart(), true);
        String end = v.timestamp("period_end", body.periodEnd(), true);
        List<Map<String, Object>> quantities = quantities(v, body.quantities());
        v.throwIfInvalid();
        return locked(tenantId, body.invoiceId(), () -> {
            ChainVerification.Run run = verification.verify(tenantId, null, null, ChainVerification.Source.INVOICE_WITNESS);
            if (!run.valid()) {
                var verdict = run.verdict();
                String detail = "entry " + verdict.firstBrokenSequence() + ": " + verdict.reason() + " (" + verdict.detail() + ")";
                Map<String, Object> answer = hold(caller, tenantId, body.invoiceId(), start, end, "chain_broken", detail, quantities);
                answer.put("first_broken_sequence", verdict.firstBrokenSequence());
                return store(tenantId, body.invoiceId(), "held", null, answer);
            }
            Checkpoint checkpoint = checkpoints.issue(tenantId);
            Map<String, Object> previous = null;
            List<String> proof = List.of();
            Optional<Map<String, Object>> last = jdbc.query("select invoice_id, size, root_hash from invoice_witness where "
                    + "tenant_id = ? and verdict = 'witnessed' order by size desc limit 1", (rs, i) -> {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("invoice_id", rs.getString(1));
                p.put("size", rs.getLong(2));
                p.put("root_hash", Hex.of(rs.getBytes(3)));
                return p;
            }, tenantId).stream().findFirst();
            if (last.isPresent()) {
                previous = last.get();
                long from = (Long) previous.get("size");
                List<byte[]> path = from == checkpoint.size() ? List.of() : checkpoints.consistency(tenantId, from, checkpoint.size());
                if (!MerkleTree.verifyConsistency(from, checkpoint.size(), Hex.parse((String) previous.get("root_hash")),
                        checkpoint.rootHash(), path)) {
                    // the chain verified against its checkpoints, so this is the ledger's own fault: refuse, record nothing
                    throw new IllegalStateException("the consistency proof from " + from + " to " + checkpoint.size()
                            + " of " + tenantId + " does not verify");
                }
                proof = path.stream().map(Hex::of).toList();
            }
            Map<String, Object> cp = LedgerJson.mapper().convertValue(checkpoint.toJson(), LinkedHashMap.class);
            TenantCommand.WitnessInvoice command = new TenantCommand.WitnessInvoice(body.invoiceId(), start, end, cp, previous,
                    proof, quantities, caller.actor());
            LedgerWriter.Written written = writer.append(tenantId, new LedgerWriter.Write(command,
                    IdempotencyKeys.server("invoice-witness", body.invoiceId()), RequestDigest.of(command), caller.actor(), null, null));
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("status", "witnessed");
            answer.put("invoice_id", body.invoiceId());
            answer.put("checkpoint", cp);
            answer.put("ledger_checkpoint", checkpoint.toMetadata());
            answer.put("previous", previous);
            answer.put("consistency_proof", proof);
            answer.put("sequence", written.receipt().sequence());
            answer.put("hash", written.receipt().hash());
            return store(tenantId, body.invoiceId(), "witnessed", checkpoint, answer);
        });
    }

    @Operation(summary = "Hold an invoice back", operationId = "holdInvoice",
            description = "Admin key, or a service key (billing:write): records `InvoiceHeld` with the reason (`quantity_mismatch`, "
                    + "`chain_broken`) and the period's quantities. One answer per invoice, as for witnesses.")
    @ApiResponse(responseCode = "200", description = "Held", headers = @Header(name = "Idempotent-Replayed",
            description = "true when this is the first answer again", schema = @Schema(type = "string")),
            content = @Content(mediaType = "application/json", schema = @Schema(type = "object"), examples = @ExampleObject(value = """
                    {"status":"held","invoice_id":"in_1QxY2a","reason":"quantity_mismatch",
                     "detail":"evaluations: ledger 1200, Stripe 1100, invoiced 1100","sequence":42,"hash":"e0fc…"}""")))
    @ProblemCodes({"insufficient_scope", "not_found", "validation_failed", "append_timeout", "shutting_down"})
    @PostMapping("/v1/tenants/{tenantId}/invoice-holds")
    public ResponseEntity<Map<String, Object>> hold(Caller caller, @PathVariable String tenantId, @RequestBody HoldRequest body) {
        requireBilling(caller, tenantId);
        Validation v = new Validation();
        invoice(v, body.invoiceId());
        String start = v.timestamp("period_start", body.periodStart(), true);
        String end = v.timestamp("period_end", body.periodEnd(), true);
        if (body.reason() == null || !InvoiceHeld.REASONS.contains(body.reason())) {
            v.error("reason", "not_allowed", "one of " + String.join(", ", InvoiceHeld.REASONS));
        }
        v.text("detail", body.detail(), 1000, true);
        List<Map<String, Object>> quantities = quantities(v, body.quantities());
        v.throwIfInvalid();
        return locked(tenantId, body.invoiceId(), () -> store(tenantId, body.invoiceId(), "held", null,
                hold(caller, tenantId, body.invoiceId(), start, end, body.reason(), body.detail(), quantities)));
    }

    private Map<String, Object> hold(Caller caller, String tenantId, String invoiceId, String start, String end, String reason,
                                     String detail, List<Map<String, Object>> quantities) {
        TenantCommand.HoldInvoice command = new TenantCommand.HoldInvoice(invoiceId, start, end, reason, detail, quantities,
                caller.actor());
        LedgerWriter.Written written = writer.append(tenantId, new LedgerWriter.Write(command,
                IdempotencyKeys.server("invoice-hold", invoiceId), RequestDigest.of(command), caller.actor(), null, null));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("status", "held");
        answer.put("invoice_id", invoiceId);
        answer.put("reason", reason);
        answer.put("detail", detail);
        answer.put("sequence", written.receipt().sequence());
        answer.put("hash", written.receipt().hash());
        return answer;
    }

    /** Admin, or a service key with billing:write; a tenant's own key never witnesses its own invoices. */
    private void requireBilling(Caller caller, String tenantId) {
        if (caller.kind() == Caller.Kind.TENANT) {
            throw ApiProblem.forbidden("insufficient_scope", "Only the admin and service keys witness invoices.");
        }
        caller.require(Scope.BILLING_WRITE);
        Long known = jdbc.queryForObject("select count(*) from tenant where tenant_id = ?", Long.class, tenantId);
        if (known == null || known == 0) {
            throw ApiProblem.notFound("Tenant " + tenantId);
        }
    }

    private static void invoice(Validation v, String invoiceId) {
        if (invoiceId == null || !INVOICE_ID.matcher(invoiceId).matches()) {
            v.error("invoice_id", "invalid", "a Stripe invoice id, in_…");
        }
    }

    private static List<Map<String, Object>> quantities(Validation v, List<Quantity> quantities) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (quantities == null || quantities.size() > MAX_METERS) {
            v.error("quantities", quantities == null ? "required" : "too_many", "a list of at most " + MAX_METERS + " meters");
            return out;
        }
        for (int i = 0; i < quantities.size(); i++) {
            Quantity q = quantities.get(i);
            String at = "quantities[" + i + "]";
            if (q == null) {
                v.error(at, "required", "a meter's quantities");
                continue;
            }
            v.identifier(at + ".meter", q.meter(), 100);
            v.required(at + ".ledger", q.ledger());
            for (Map.Entry<String, Long> n : java.util.Arrays.asList(Map.entry("ledger", q.ledger() == null ? 0L : q.ledger()),
                    Map.entry("stripe", q.stripe() == null ? 0L : q.stripe()),
                    Map.entry("invoiced", q.invoiced() == null ? 0L : q.invoiced()))) {
                if (n.getValue() < 0) {
                    v.error(at + "." + n.getKey(), "negative", "zero or a positive integer");
                }
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("meter", q.meter());
            m.put("ledger", q.ledger());
            m.put("stripe", q.stripe());
            m.put("invoiced", q.invoiced());
            out.add(m);
        }
        return out;
    }

    /** Work that answers a fresh answer, run once per invoice. */
    private interface Witnessing {
        Map<String, Object> run();
    }

    /**
     * Runs {@code work} under the tenant's witness lock (a PostgreSQL advisory lock, so that two ledger instances
     * agree), unless the invoice was answered before: then that answer, replayed.
     */
    private ResponseEntity<Map<String, Object>> locked(String tenantId, String invoiceId, Witnessing work) {
        Optional<Map<String, Object>> before = answered(tenantId, invoiceId);
        if (before.isPresent()) {
            return ResponseEntity.ok().header("Idempotent-Replayed", "true").body(before.get());
        }
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("select pg_advisory_lock(hashtext(?))")) {
                ps.setString(1, "invoice-witness:" + tenantId);
                ps.execute();
            }
            try {
                before = answered(tenantId, invoiceId);
                if (before.isPresent()) {
                    return ResponseEntity.ok().header("Idempotent-Replayed", "true").body(before.get());
                }
                return ResponseEntity.ok(work.run());
            } finally {
                try (PreparedStatement ps = c.prepareStatement("select pg_advisory_unlock(hashtext(?))")) {
                    ps.setString(1, "invoice-witness:" + tenantId);
                    ps.execute();
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("the invoice witness lock of " + tenantId + " failed (SQL state " + e.getSQLState() + ")", e);
        }
    }

    private Optional<Map<String, Object>> answered(String tenantId, String invoiceId) {
        return jdbc.query("select answer from invoice_witness where tenant_id = ? and invoice_id = ?", (rs, i) -> {
            try {
                @SuppressWarnings("unchecked")
                Map<String, Object> answer = LedgerJson.mapper().readValue(rs.getString(1), LinkedHashMap.class);
                return answer;
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a stored invoice witness answer does not read", e);
            }
        }, tenantId, invoiceId).stream().findFirst();
    }

    private Map<String, Object> store(String tenantId, String invoiceId, String verdict, Checkpoint checkpoint,
                                      Map<String, Object> answer) {
        try {
            jdbc.update("insert into invoice_witness (tenant_id, invoice_id, verdict, size, root_hash, sequence, answer) "
                            + "values (?, ?, ?, ?, ?, ?, ?) on conflict (tenant_id, invoice_id) do nothing", tenantId, invoiceId, verdict,
                    checkpoint == null ? null : checkpoint.size(), checkpoint == null ? null : checkpoint.rootHash(),
                    answer.get("sequence"), LedgerJson.mapper().writeValueAsString(answer));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        return answer;
    }
}
