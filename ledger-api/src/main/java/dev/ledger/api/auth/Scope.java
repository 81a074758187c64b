package dev.ledger.api.auth;

import java.util.Arrays;
import java.util.Optional;

/** What a key may do; the names are API.md's. */
public enum Scope {
    EVALUATIONS_WRITE("evaluations:write"), USAGE_WRITE("usage:write"), AUDIT_WRITE("audit:write"), AUDIT_READ("audit:read"),
    FINANCE_READ("finance:read"), BILLING_WRITE("billing:write");

    private final String wire;

    Scope(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }

    public static Optional<Scope> fromWire(String s) {
        return Arrays.stream(values()).filter(v -> v.wire.equals(s)).findFirst();
    }
}
