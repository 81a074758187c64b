package dev.ledger.api.finance;

import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.web.ApiProblem;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Who reads finance: a tenant key with {@code finance:read}, for its own tenant only (another tenant's id, or an
 * invoice of another tenant, answers 404 as if it did not exist), or the admin key, for one tenant or all. Service
 * keys add billing facts and read none.
 */
final class FinanceAccess {

    private FinanceAccess() {
    }

    /** The tenant the answer is limited to (null: every tenant, for the admin); {@code asked} the caller's tenant_id. */
    static String tenant(Caller caller, String asked, JdbcTemplate jdbc) {
        if (caller.kind() == Caller.Kind.SERVICE) {
            throw ApiProblem.forbidden("insufficient_scope", "Service keys cannot read finance.");
        }
        caller.require(Scope.FINANCE_READ);
        String tenant = asked == null || asked.isBlank() ? (caller.isAdmin() ? null : caller.tenantId()) : asked;
        if (tenant == null) {
            return null;
        }
        caller.requireTenant(tenant);
        Long known = jdbc.queryForObject("select count(*) from tenant where tenant_id = ?", Long.class, tenant);
        if (known == null || known == 0) {
            throw ApiProblem.notFound("Tenant " + tenant);
        }
        return tenant;
    }
}
