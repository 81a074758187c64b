package dev.ledger.api.webhook;

import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Stripe webhook intake ({@code POST /v1/webhooks/stripe}).
 *
 * @param secrets   the endpoint's signing secrets ({@code LEDGER_STRIPE_WEBHOOK_SECRETS}, comma-separated): an event
 *                  signed with any of them is accepted, so a secret is rolled by adding the new one, then removing the
 *                  old one once Stripe signs with the new one only. None: the endpoint answers 503 and records nothing.
 * @param tolerance how far the signature's timestamp may be from the ledger's clock, either way
 *                  ({@code LEDGER_STRIPE_WEBHOOK_TOLERANCE}, default 300 s as Stripe's libraries)
 */
@ConfigurationProperties(prefix = "ledger.stripe.webhook")
public record StripeWebhookProperties(@DefaultValue List<String> secrets, @DefaultValue("300s") Duration tolerance) {

    public StripeWebhookProperties {
        secrets = secrets.stream().map(String::strip).filter(s -> !s.isEmpty()).toList();
        if (tolerance.isNegative() || tolerance.isZero()) {
            throw new IllegalArgumentException("LEDGER_STRIPE_WEBHOOK_TOLERANCE must be positive");
        }
    }

    /** Never the secrets. */
    @Override
    public String toString() {
        return "StripeWebhookProperties[secrets=" + secrets.size() + " set, tolerance=" + tolerance + "]";
    }
}
