package dev.ledger.api.tenant;

/** A tenant as the API shows it. */
public record TenantView(String tenantId, String name, String status, String stripeCustomerId, String createdAt) {
}
