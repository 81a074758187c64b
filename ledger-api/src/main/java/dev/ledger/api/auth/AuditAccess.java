package dev.ledger.api.auth;

import dev.ledger.api.web.ApiProblem;
import org.springframework.jdbc.core.JdbcTemplate;

/** Who may read a tenant's chain (entries, verifications, exports, proofs) and its signed checkpoints. */
public final class AuditAccess {

    private AuditAccess() {
    }

    /**
     * Reading a tenant's signed checkpoints: an auditor of the tenant, or a service key (billing:write), since the
     * workers witness the chains they bill against the ledger's latest signed checkpoint. A checkpoint reveals roots,
     * never entries.
     */
    public static void requireCheckpointReader(Caller caller, String tenantId, JdbcTemplate jdbc) {
        if (caller.kind() == Caller.Kind.SERVICE) {
            caller.require(Scope.BILLING_WRITE);
            requireKnown(tenantId, jdbc);
            return;
        }
        requireAuditor(caller, tenantId, jdbc);
    }

    /** Auditors: audit:read on their own tenant, or the admin key. */
    public static void requireAuditor(Caller caller, String tenantId, JdbcTemplate jdbc) {
        if (caller.kind() == Caller.Kind.SERVICE) {
            throw ApiProblem.forbidden("insufficient_scope", "Service keys cannot read entries.");
        }
        caller.require(Scope.AUDIT_READ);
        caller.requireTenant(tenantId);
        requireKnown(tenantId, jdbc);
    }

    private static void requireKnown(String tenantId, JdbcTemplate jdbc) {
        Long known = jdbc.queryForObject("select count(*) from tenant where tenant_id = ?", Long.class, tenantId);
        if (known == null || known == 0) {
            throw ApiProblem.notFound("Tenant " + tenantId);
        }
    }
}
