package dev.ledger.core.tenant;

/**
 * Why the tenant's aggregate refused a command: a stable machine code (the problem+json {@code code}) and a sentence a
 * person can act on. The web layer maps each to an HTTP status in one place ({@code Problems}); nothing else compares
 * codes. {@code TENANT_EXISTS} is the one refusal the store makes rather than the aggregate: a tenant's chain opens
 * once, and a second registration finds its first entry taken.
 */
public enum Rejection {
    TENANT_EXISTS("tenant_exists", "The tenant is already registered."),
    ALREADY_LINKED("already_linked", "The tenant is already linked to that Stripe customer."),
    STRIPE_CUSTOMER_ALREADY_LINKED("stripe_customer_already_linked",
            "The tenant is already linked to another Stripe customer; a link is never replaced."),
    TENANT_SUSPENDED("tenant_suspended", "The tenant is suspended; nothing billable is recorded until it is reactivated."),
    TENANT_ALREADY_SUSPENDED("tenant_already_suspended", "The tenant is already SUSPENDED; reactivate it first."),
    TENANT_ALREADY_ACTIVE("tenant_already_active", "The tenant is already ACTIVE; only a SUSPENDED or PAST_DUE tenant is reactivated."),
    TENANT_ALREADY_PAST_DUE("tenant_already_past_due", "The tenant is already PAST_DUE; its grace period runs from the first mark."),
    TENANT_NOT_ACTIVE("tenant_not_active", "Only an ACTIVE tenant is marked PAST_DUE; a SUSPENDED tenant stays suspended until reactivated."),
    STATUS_CHANGED("status_changed", "The tenant's status changed after the status sequence given; read the tenant's chain again and decide anew."),
    ENTRY_NOT_IN_CHAIN("entry_not_in_chain", "The tenant's chain holds no entry with that sequence."),
    NOT_REDACTABLE("not_redactable", "The entry's payload carries decision state or is itself a redaction; it is never redacted."),
    ALREADY_REDACTED("already_redacted", "The entry's payload is already redacted.");

    private final String code;
    private final String detail;

    Rejection(String code, String detail) {
        this.code = code;
        this.detail = detail;
    }

    public String code() {
        return code;
    }

    public String detail() {
        return detail;
    }
}
