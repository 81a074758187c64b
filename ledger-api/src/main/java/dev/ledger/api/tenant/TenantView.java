package dev.ledger.api.tenant;

import io.swagger.v3.oas.annotations.media.Schema;

/** A tenant as the API shows it. */
@Schema(description = "A tenant as the API shows it", example = """
        {"tenant_id":"acme","name":"Acme Inc","status":"ACTIVE","stripe_customer_id":"cus_Q1w2E3r4T5y6U7","created_at":"2026-11-21T09:00:00Z"}""")
public record TenantView(String tenantId, String name,
                         @Schema(allowableValues = {"ACTIVE", "PAST_DUE", "SUSPENDED"}) String status,
                         String stripeCustomerId, String createdAt) {
}
