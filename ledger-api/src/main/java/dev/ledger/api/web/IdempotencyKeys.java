package dev.ledger.api.web;

/**
 * Idempotency keys the ledger makes itself live under {@link #RESERVED_PREFIX}, which no client key may start with
 * ({@link Validation#idempotencyKey}): a client can never claim the key a server-side write will use.
 */
public final class IdempotencyKeys {

    public static final String RESERVED_PREFIX = "ledger:";

    private IdempotencyKeys() {
    }

    /** The key of a write the ledger derives from {@code kind} and an identifier, e.g. ("usage-report", a Stripe identifier). */
    public static String server(String kind, String id) {
        return RESERVED_PREFIX + kind + ":" + id;
    }

    static boolean isReserved(String clientKey) {
        return clientKey.regionMatches(true, 0, RESERVED_PREFIX, 0, RESERVED_PREFIX.length());
    }
}
