package dev.ledger.api.auth;

import dev.ledger.api.web.ApiProblem;
import java.util.Set;

/**
 * Who is calling: the admin, a tenant key (bound to one tenant) or a service key (any tenant, billing facts only).
 */
public record Caller(Kind kind, String keyId, String tenantId, Set<Scope> scopes) {

    public enum Kind { ADMIN, TENANT, SERVICE }

    public static final String ATTRIBUTE = Caller.class.getName();

    public boolean isAdmin() {
        return kind == Kind.ADMIN;
    }

    /** The actor recorded in the chain for what this caller does. */
    public String actor() {
        return isAdmin() ? "admin" : "key:" + keyId;
    }

    public void require(Scope scope) {
        if (!isAdmin() && !scopes.contains(scope)) {
            throw ApiProblem.forbidden("insufficient_scope", "This key lacks the scope " + scope.wire() + ".");
        }
    }

    public void requireAdmin() {
        if (!isAdmin()) {
            throw ApiProblem.forbidden("admin_only", "Only the admin key may do this.");
        }
    }

    /** Reading or acting on tenant {@code t}: other tenants answer 404, never revealing that they exist. */
    public void requireTenant(String t) {
        if (kind == Kind.TENANT && !tenantId.equals(t)) {
            throw ApiProblem.notFound("Tenant " + t);
        }
    }

    /** The tenant a tenant-key write lands in; the body can never choose it. */
    public String writeTenant() {
        if (kind != Kind.TENANT) {
            throw ApiProblem.forbidden("tenant_key_required", "Writes are made with a tenant key.");
        }
        return tenantId;
    }
}
