package dev.ledger.api.tenant;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ledger.api.auth.ApiKeys;
import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.ProblemCodes;
import dev.ledger.api.web.QueryParams;
import dev.ledger.api.webhook.StripeEventIntake;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import dev.ledger.core.tenant.BillingCause;
import dev.ledger.core.tenant.ChainIds;
import dev.ledger.core.tenant.RegisterTenant;
import dev.ledger.core.tenant.TenantCommand;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.CacheControl;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.annotation.Transactional;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/** Tenants and keys (admin). Every change here is also an entry in the tenant's chain, with its actor. */
@RestController
@Tag(name = "Tenants and keys")
public class TenantController {

    @Schema(description = "A tenant to register", example = """
            {"tenant_id":"acme","name":"Acme Inc","stripe_customer_id":"cus_Q1w2E3r4T5y6U7"}""")
    public record CreateTenant(@JsonProperty(required = true) String tenantId, @JsonProperty(required = true) String name,
                               String stripeCustomerId) {
    }

    @Schema(description = "The scopes of a new tenant key", example = """
            {"scopes":["evaluations:write","audit:read"]}""")
    public record IssueKey(List<String> scopes) {
    }

    @Schema(description = "Why the status changes (1-500 characters), recorded in the chain", example = """
            {"reason":"invoice in_1QxY unpaid after the grace period"}""")
    public record Reason(String reason) {
    }

    @Schema(description = "The tenant's Stripe customer", example = """
            {"stripe_customer_id":"cus_Q1w2E3r4T5y6U7"}""")
    public record LinkCustomer(String stripeCustomerId) {
    }

    private final LedgerWriter writer;
    private final ApiKeys keys;
    private final JdbcTemplate jdbc;
    private final SystemChain systemChain;
    private final TransactionTemplate transactions;
    private final StripeEventIntake heldEvents;
    private static final Logger log = LoggerFactory.getLogger(TenantController.class);

    public TenantController(LedgerWriter writer, ApiKeys keys, JdbcTemplate jdbc, SystemChain systemChain,
                            PlatformTransactionManager transactionManager, StripeEventIntake heldEvents) {
        this.writer = writer;
        this.keys = keys;
        this.jdbc = jdbc;
        this.systemChain = systemChain;
        this.transactions = new TransactionTemplate(transactionManager);
        this.heldEvents = heldEvents;
    }

    @Operation(summary = "Register a tenant", operationId = "createTenant",
            description = "Admin key. The registration is the first entry of the tenant's chain, with its actor.")
    @ApiResponse(responseCode = "201", description = "The tenant, registered (status ACTIVE)")
    @ProblemCodes({"admin_only", "validation_failed", "tenant_exists"})
    @PostMapping("/v1/tenants")
    public ResponseEntity<TenantView> create(Caller caller, @RequestBody CreateTenant body) {
        caller.requireAdmin();
        List<Map<String, String>> errors = new ArrayList<>();
        if (!ChainIds.isTenantId(body.tenantId())) {
            errors.add(Map.of("field", "tenant_id", "code", "invalid_format",
                    "message", "1-63 characters: lowercase letters, digits, '-' and '_', starting with a letter or digit"));
        }
        if (body.name() == null || body.name().isBlank() || body.name().length() > 200) {
            errors.add(Map.of("field", "name", "code", "invalid_length", "message", "1-200 characters"));
        }
        if (body.stripeCustomerId() != null && !body.stripeCustomerId().matches("cus_[A-Za-z0-9]{1,250}")) {
            errors.add(Map.of("field", "stripe_customer_id", "code", "invalid_format", "message", "a Stripe customer id, cus_…"));
        }
        if (!errors.isEmpty()) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed", "The tenant is not valid.", errors);
        }
        if (find(body.tenantId()) != null) {
            throw tenantExists(body.tenantId());
        }
        try {
            writer.register(new RegisterTenant(body.tenantId(), body.name().strip(), body.stripeCustomerId(), caller.actor()));
        } catch (RuntimeException e) {
            if (find(body.tenantId()) != null) {
                throw tenantExists(body.tenantId());
            }
            throw e;
        }
        if (body.stripeCustomerId() != null) {
            releaseHeldEvents(body.stripeCustomerId());
        }
        return ResponseEntity.status(HttpStatus.CREATED).body(find(body.tenantId()));
    }

    /**
     * Stripe events that waited for a tenant to own this customer go into its chain now. The link stands whatever
     * happens here: a failure leaves them held, and the customer's next event releases them.
     */
    private void releaseHeldEvents(String stripeCustomerId) {
        try {
            int released = heldEvents.releaseHeld(stripeCustomerId);
            if (released > 0) {
                log.info("{} held Stripe event(s) of a newly linked customer recorded in its tenant's chain", released);
            }
        } catch (RuntimeException e) {
            log.warn("held Stripe events of a newly linked customer stay held for now: {}", e.getClass().getSimpleName());
        }
    }

    /** A tenant's chain opens once: the store refuses a second TenantRegistered at sequence 1. */
    private static ApiProblem tenantExists(String id) {
        return dev.ledger.api.web.Problems.of(dev.ledger.core.tenant.Rejection.TENANT_EXISTS);
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "A page of tenants by tenant_id; `next_after` is the `after` of the next page, absent on the last one",
            example = """
            {"tenants":[{"tenant_id":"acme","name":"Acme Inc","status":"ACTIVE","stripe_customer_id":"cus_Q1w2E3r4T5y6U7",
             "created_at":"2026-11-21T09:00:00Z"}],"next_after":"acme"}""")
    public record Tenants(List<TenantView> tenants, String nextAfter) {
    }

    @Operation(summary = "List tenants", operationId = "listTenants",
            description = "The admin key: every tenant, by tenant_id, after `after`, at most `limit` (1-1000, default 100). "
                    + "A tenant key: its own tenant only. Service keys: 403.")
    @ApiResponse(responseCode = "200", description = "The page")
    @ProblemCodes({"insufficient_scope", "invalid_parameter"})
    @GetMapping("/v1/tenants")
    public Tenants list(Caller caller, @RequestParam(defaultValue = "") String after, @RequestParam(defaultValue = "100") int limit) {
        QueryParams.pageLimit(limit);
        if (caller.kind() == Caller.Kind.SERVICE) {
            throw ApiProblem.forbidden("insufficient_scope", "Service keys cannot list tenants.");
        }
        if (caller.kind() == Caller.Kind.TENANT) {
            TenantView own = find(caller.tenantId());
            return new Tenants(own == null || own.tenantId().compareTo(after) <= 0 ? List.of() : List.of(own), null);
        }
        List<TenantView> page = jdbc.query("select tenant_id, name, status, stripe_customer_id, created_at from tenant "
                        + "where tenant_id > ? and tenant_id <> ? order by tenant_id limit ?", TenantController::view, after,
                SystemChain.TENANT_ID, limit + 1);
        String next = page.size() > limit ? page.get(limit - 1).tenantId() : null;
        return new Tenants(page.subList(0, Math.min(limit, page.size())), next);
    }

    @Operation(summary = "Read a tenant", operationId = "getTenant",
            description = "The admin key, or a tenant key of this tenant (any other tenant answers 404).")
    @ApiResponse(responseCode = "200", description = "The tenant")
    @ProblemCodes("not_found")
    @GetMapping("/v1/tenants/{tenantId}")
    public TenantView get(Caller caller, @PathVariable String tenantId) {
        caller.requireTenant(tenantId);
        if (!caller.isAdmin() && caller.kind() != Caller.Kind.TENANT) {
            throw ApiProblem.notFound("Tenant " + tenantId);
        }
        return existing(tenantId);
    }

    @Operation(summary = "Issue a tenant API key", operationId = "issueTenantKey",
            description = "Admin key. The key is shown once; only a salted hash is stored. Recorded in the tenant's chain.")
    @ApiResponse(responseCode = "201", description = "The new key",
            headers = @Header(name = "Cache-Control", description = "no-store: the key is shown once and no cache may keep it",
                    schema = @Schema(type = "string")))
    @ProblemCodes({"admin_only", "not_found", "validation_failed", "unknown_scope"})
    @PostMapping("/v1/tenants/{tenantId}/api-keys")
    @Transactional
    public ResponseEntity<ApiKeys.Issued> issueKey(Caller caller, @PathVariable String tenantId, @RequestBody IssueKey body) {
        caller.requireAdmin();
        existingTenant(tenantId);
        Set<Scope> scopes = scopes(body.scopes(), EnumSet.complementOf(EnumSet.of(Scope.BILLING_WRITE)));
        ApiKeys.Issued issued = keys.issue(tenantId, scopes);
        writer.appendAll(tenantId, List.of(new TenantCommand.IssueApiKey(issued.keyId(), issued.scopes(), caller.actor())), caller.actor());
        return newKey(issued);
    }

    /**
     * Service keys for the workers: not bound to a tenant, able only to add billing facts. Issued and revoked as
     * entries of the {@link SystemChain}, with their actor, like a tenant's keys in its own chain.
     */
    @Operation(summary = "Issue a service key", operationId = "issueServiceKey",
            description = "Admin key. A billing:write key for the workers, bound to no tenant: it adds billing facts, links "
                    + "Stripe customers and reads signed checkpoints, nothing else. Recorded in the system chain `_system`.")
    @ApiResponse(responseCode = "201", description = "The new service key",
            headers = @Header(name = "Cache-Control", description = "no-store: the key is shown once and no cache may keep it",
                    schema = @Schema(type = "string")))
    @ProblemCodes("admin_only")
    @PostMapping("/v1/service-keys")
    public ResponseEntity<ApiKeys.Issued> issueServiceKey(Caller caller) {
        caller.requireAdmin();
        systemChain.ensure(caller.actor());
        ApiKeys.Issued issued = transactions.execute(status -> {
            ApiKeys.Issued key = keys.issue(null, EnumSet.of(Scope.BILLING_WRITE));
            writer.appendAll(SystemChain.TENANT_ID, List.of(new TenantCommand.IssueApiKey(key.keyId(), key.scopes(),
                    caller.actor())), caller.actor());
            return key;
        });
        return newKey(issued);
    }

    @Operation(summary = "Revoke a service key", operationId = "revokeServiceKey",
            description = "Admin key. The key answers 401 from the first request after this 204. Recorded in the system chain.")
    @ApiResponse(responseCode = "204", description = "Revoked")
    @ProblemCodes({"admin_only", "not_found"})
    @DeleteMapping("/v1/service-keys/{keyId}")
    public ResponseEntity<Void> revokeServiceKey(Caller caller, @PathVariable String keyId) {
        caller.requireAdmin();
        transactions.executeWithoutResult(status -> {
            if (!keys.revokeService(keyId)) {
                throw ApiProblem.notFound("Service key " + keyId);
            }
            writer.appendAll(SystemChain.TENANT_ID, List.of(new TenantCommand.RevokeApiKey(keyId, caller.actor())),
                    caller.actor());
        });
        return ResponseEntity.noContent().build();
    }

    /** An answer carrying a new key: 201, and no cache anywhere may keep it. */
    private static ResponseEntity<ApiKeys.Issued> newKey(ApiKeys.Issued issued) {
        return ResponseEntity.status(HttpStatus.CREATED).cacheControl(CacheControl.noStore()).header("Pragma", "no-cache").body(issued);
    }

    @Operation(summary = "Revoke a tenant API key", operationId = "revokeTenantKey",
            description = "Admin key. The key stops working at once. Recorded in the tenant's chain.")
    @ApiResponse(responseCode = "204", description = "Revoked")
    @ProblemCodes({"admin_only", "not_found"})
    @DeleteMapping("/v1/tenants/{tenantId}/api-keys/{keyId}")
    @Transactional
    public ResponseEntity<Void> revokeKey(Caller caller, @PathVariable String tenantId, @PathVariable String keyId) {
        caller.requireAdmin();
        existingTenant(tenantId);
        if (!keys.revoke(tenantId, keyId)) {
            throw ApiProblem.notFound("Key " + keyId);
        }
        writer.appendAll(tenantId, List.of(new TenantCommand.RevokeApiKey(keyId, caller.actor())), caller.actor());
        return ResponseEntity.noContent().build();
    }

    @Operation(summary = "Suspend a tenant", operationId = "suspendTenant",
            description = "Admin key, or a service key (billing:write) with a billing cause. A SUSPENDED tenant's billable "
                    + "writes answer 402 tenant_suspended. Recorded in its chain with its cause; status_sequence makes it "
                    + "conditional on the tenant's status not having changed since that entry.")
    @ApiResponse(responseCode = "200", description = "The tenant, SUSPENDED")
    @ProblemCodes({"admin_only", "insufficient_scope", "not_found", "validation_failed", "tenant_already_suspended",
            "status_changed"})
    @PostMapping("/v1/tenants/{tenantId}/suspend")
    public TenantView suspend(Caller caller, @PathVariable String tenantId, @RequestBody StatusChange body) {
        BillingCause cause = statusChanger(caller, body == null ? null : body.cause());
        existingTenant(tenantId);
        writer.appendAll(tenantId, List.of(new TenantCommand.Suspend(reason(body), caller.actor(), cause,
                statusSequence(body))), caller.actor());
        return existing(tenantId);
    }

    @Operation(summary = "Reactivate a tenant", operationId = "reactivateTenant",
            description = "Admin key, or a service key (billing:write) with a billing cause. A SUSPENDED or PAST_DUE tenant "
                    + "is ACTIVE again. Recorded in its chain with its cause; status_sequence makes it conditional.")
    @ApiResponse(responseCode = "200", description = "The tenant, ACTIVE")
    @ProblemCodes({"admin_only", "insufficient_scope", "not_found", "validation_failed", "tenant_already_active",
            "status_changed"})
    @PostMapping("/v1/tenants/{tenantId}/reactivate")
    public TenantView reactivate(Caller caller, @PathVariable String tenantId, @RequestBody StatusChange body) {
        BillingCause cause = statusChanger(caller, body == null ? null : body.cause());
        existingTenant(tenantId);
        writer.appendAll(tenantId, List.of(new TenantCommand.Reactivate(reason(body), caller.actor(), cause,
                statusSequence(body))), caller.actor());
        return existing(tenantId);
    }

    @Operation(summary = "Mark a tenant past due", operationId = "markTenantPastDue",
            description = "Admin key, or a service key (billing:write): a payment failed. The tenant keeps recording inside "
                    + "its grace period; the cause (reason, Stripe invoice, grace end, and billing's cause: Stripe event, "
                    + "amount due, grace policy) is recorded in its chain. Only an ACTIVE tenant is marked.")
    @ApiResponse(responseCode = "200", description = "The tenant, PAST_DUE")
    @ProblemCodes({"insufficient_scope", "not_found", "validation_failed", "tenant_already_past_due", "tenant_not_active",
            "status_changed"})
    @PostMapping("/v1/tenants/{tenantId}/past-due")
    public TenantView markPastDue(Caller caller, @PathVariable String tenantId, @RequestBody PastDue body) {
        caller.require(Scope.BILLING_WRITE);
        if (caller.kind() == Caller.Kind.TENANT) {
            throw new ApiProblem(HttpStatus.FORBIDDEN, "insufficient_scope", "Only the admin and service keys mark a tenant past due.");
        }
        existingTenant(tenantId);
        String reason = reason(new Reason(body == null ? null : body.reason()));
        BillingCause cause = cause(body.cause());
        String invoiceId = body.invoiceId();
        if (invoiceId != null && !invoiceId.matches("in_[A-Za-z0-9_]{1,250}")) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed", "invoice_id must be in_…");
        }
        if (cause != null && invoiceId != null && !invoiceId.equals(cause.invoiceId())) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed", "invoice_id and cause.invoice_id differ.");
        }
        String graceUntil = body.graceUntil();
        if (graceUntil != null) {
            try {
                graceUntil = java.time.Instant.parse(graceUntil).toString();
            } catch (java.time.format.DateTimeParseException e) {
                throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed", "grace_until must be an RFC 3339 UTC time.");
            }
        }
        writer.appendAll(tenantId, List.of(new TenantCommand.MarkPastDue(reason, cause != null ? cause.invoiceId() : invoiceId,
                graceUntil, caller.actor(), cause, body.statusSequence())), caller.actor());
        return existing(tenantId);
    }

    /** Why a payment failed, the Stripe invoice and when the grace period ends (all but the reason optional). */
    @Schema(description = "Why the tenant is past due, the Stripe invoice, the end of its grace period, billing's cause "
            + "and the status entry the change is conditional on", example = """
            {"reason":"invoice.payment_failed","invoice_id":"in_1QxY","grace_until":"2026-12-10T00:00:00Z",\
            "cause":{"stripe_event_id":"evt_1QxZ","invoice_id":"in_1QxY","amount":7000,"currency":"eur","grace_policy":"P7D"},\
            "status_sequence":1}""")
    public record PastDue(String reason, @com.fasterxml.jackson.annotation.JsonProperty("invoice_id") String invoiceId,
                          @com.fasterxml.jackson.annotation.JsonProperty("grace_until") String graceUntil,
                          @Schema(implementation = CauseSchema.class) com.fasterxml.jackson.databind.JsonNode cause,
                          @com.fasterxml.jackson.annotation.JsonProperty("status_sequence") Long statusSequence) {
    }

    /** A suspension or reactivation: why, billing's cause (service keys must give one) and an optional condition. */
    @Schema(description = "Why the status changes, billing's cause (required of a service key) and the status entry the "
            + "change is conditional on", example = """
            {"reason":"grace period expired","cause":{"stripe_event_id":"evt_1QxZ","invoice_id":"in_1QxY","amount":7000,\
            "currency":"eur","grace_policy":"P7D"},"status_sequence":12}""")
    public record StatusChange(String reason, @Schema(implementation = CauseSchema.class) com.fasterxml.jackson.databind.JsonNode cause,
                               @com.fasterxml.jackson.annotation.JsonProperty("status_sequence") Long statusSequence) {
    }

    /** The documented shape of a billing cause (read by {@link #cause}, which takes only whole amounts). */
    @Schema(name = "BillingCause", description = "The Stripe event, invoice and amount (minor units) behind a status change, "
            + "and the grace policy in force (ISO-8601, e.g. P7D)")
    record CauseSchema(@JsonProperty("stripe_event_id") String stripeEventId, @JsonProperty("invoice_id") String invoiceId,
                       long amount, String currency, @JsonProperty("grace_policy") String gracePolicy) {
    }

    /**
     * Who may change a status: the admin key, or a service key (billing:write) that gives billing's cause; never a
     * tenant key. Answers the cause read.
     */
    private static BillingCause statusChanger(Caller caller, com.fasterxml.jackson.databind.JsonNode cause) {
        if (caller.kind() != Caller.Kind.ADMIN) {
            caller.require(Scope.BILLING_WRITE);
            if (caller.kind() == Caller.Kind.TENANT) {
                caller.requireAdmin();
            }
            if (cause == null || cause.isNull()) {
                throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed",
                        "A service key changes a tenant's status only with billing's cause.");
            }
        }
        return cause(cause);
    }

    /** Billing's cause, or null when none is given; amounts must be whole minor units. */
    private static BillingCause cause(com.fasterxml.jackson.databind.JsonNode c) {
        if (c == null || c.isNull()) {
            return null;
        }
        com.fasterxml.jackson.databind.JsonNode amount = c.get("amount");
        if (!c.isObject() || amount == null || !amount.isIntegralNumber() || !amount.canConvertToLong()) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed",
                    "cause must be an object with a whole amount in minor units.");
        }
        for (java.util.Iterator<String> names = c.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!Set.of("stripe_event_id", "invoice_id", "amount", "currency", "grace_policy").contains(name)) {
                throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed", "cause has no member " + name + ".");
            }
        }
        try {
            return new BillingCause(text(c, "stripe_event_id"), text(c, "invoice_id"), amount.asLong(), text(c, "currency"),
                    text(c, "grace_policy"));
        } catch (IllegalArgumentException e) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed", "cause." + e.getMessage() + ".");
        }
    }

    private static String text(com.fasterxml.jackson.databind.JsonNode c, String name) {
        com.fasterxml.jackson.databind.JsonNode v = c.get(name);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    private static Long statusSequence(StatusChange body) {
        return body == null ? null : body.statusSequence();
    }

    private static String reason(StatusChange body) {
        return reason(new Reason(body == null ? null : body.reason()));
    }

    /** The meter-reader links the Stripe customer it created for a tenant (scope billing:write). */
    @Operation(summary = "Link the tenant's Stripe customer", operationId = "linkStripeCustomer",
            description = "Service key (billing:write). Links a tenant without a customer; the same customer again answers "
                    + "200, another one 409. Recorded in the tenant's chain.")
    @ApiResponse(responseCode = "200", description = "The tenant, linked")
    @ProblemCodes({"insufficient_scope", "not_found", "validation_failed", "stripe_customer_already_linked", "already_linked"})
    @PutMapping("/v1/tenants/{tenantId}/stripe-customer")
    public TenantView linkCustomer(Caller caller, @PathVariable String tenantId, @RequestBody LinkCustomer body) {
        caller.require(Scope.BILLING_WRITE);
        if (caller.kind() == Caller.Kind.TENANT) {
            throw new ApiProblem(HttpStatus.FORBIDDEN, "insufficient_scope", "Only service keys link Stripe customers.");
        }
        TenantView tenant = existingTenant(tenantId);
        if (body.stripeCustomerId() == null || !body.stripeCustomerId().matches("cus_[A-Za-z0-9]{1,250}")) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed", "stripe_customer_id must be cus_…");
        }
        if (body.stripeCustomerId().equals(tenant.stripeCustomerId())) {
            return tenant;
        }
        if (tenant.stripeCustomerId() != null) {
            // the aggregate refuses it too (two links racing): this answer only spares the append
            throw new ApiProblem(HttpStatus.CONFLICT, "stripe_customer_already_linked",
                    "Tenant " + tenantId + " is already linked to another Stripe customer; a link is never replaced.");
        }
        writer.appendAll(tenantId, List.of(new TenantCommand.LinkStripeCustomer(body.stripeCustomerId(), caller.actor())), caller.actor());
        releaseHeldEvents(body.stripeCustomerId());
        return existing(tenantId);
    }

    private static String reason(Reason body) {
        String r = body == null ? null : body.reason();
        if (r == null || r.isBlank() || r.length() > 500) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed", "reason: 1-500 characters are required.");
        }
        return r;
    }

    private static Set<Scope> scopes(List<String> wire, Set<Scope> allowed) {
        if (wire == null || wire.isEmpty()) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed", "scopes: at least one scope is required.");
        }
        Set<Scope> scopes = EnumSet.noneOf(Scope.class);
        for (String s : wire) {
            Scope scope = Scope.fromWire(s).filter(allowed::contains).orElseThrow(() -> new ApiProblem(
                    HttpStatus.UNPROCESSABLE_ENTITY, "unknown_scope", "Unknown or not grantable scope: " + s));
            scopes.add(scope);
        }
        return scopes;
    }

    /** A tenant that keys, status changes and customer links act on: never the system chain. */
    private TenantView existingTenant(String tenantId) {
        if (SystemChain.isSystem(tenantId)) {
            throw ApiProblem.notFound("Tenant " + tenantId);
        }
        return existing(tenantId);
    }

    private TenantView existing(String tenantId) {
        TenantView t = find(tenantId);
        if (t == null) {
            throw ApiProblem.notFound("Tenant " + tenantId);
        }
        return t;
    }

    private TenantView find(String tenantId) {
        List<TenantView> found = jdbc.query("select tenant_id, name, status, stripe_customer_id, created_at from tenant where tenant_id = ?",
                TenantController::view, tenantId);
        return found.isEmpty() ? null : found.get(0);
    }

    private static TenantView view(ResultSet rs, int row) throws SQLException {
        return new TenantView(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                DateTimeFormatter.ISO_INSTANT.format(rs.getTimestamp(5).toInstant().atOffset(ZoneOffset.UTC)));
    }
}
