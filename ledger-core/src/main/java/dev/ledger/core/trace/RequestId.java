package dev.ledger.core.trace;

import java.util.HexFormat;

/**
 * The id of the HTTP request an entry came from, followed from the API to the workers: ledger-api takes the caller's
 * {@code X-Request-Id} (or makes one), logs it with every line of the request ({@link #LOG_KEY} in the logging MDC),
 * answers it, stores it beside each entry it writes ({@code domain_event_entry.request_id}: not in the hashed
 * metadata, so the chain commits to no correlation id), and the publisher copies it into the Kafka record's
 * {@link #HEADER} header, from which the workers log it with the lines about that entry.
 */
public final class RequestId {

    /** The HTTP header, in and out. */
    public static final String HTTP_HEADER = "X-Request-Id";
    /** The Kafka record header. */
    public static final String HEADER = "ledger-request-id";
    /** The key it travels under in an entry's Axon metadata, to its own column: never into the hashed metadata. */
    public static final String METADATA_KEY = "request_id";
    /** The logging MDC key (and the JSON log field). */
    public static final String LOG_KEY = "request_id";
    /** What a caller's id may be; anything else is replaced by one of ours (a log line must not be forgeable). */
    private static final int MAX_LENGTH = 64;

    private RequestId() {
    }

    /** The caller's id when it is one we can repeat safely, else a new one. */
    public static String acceptOrCreate(String offered) {
        return valid(offered) ? offered : create();
    }

    /**
     * A new id: {@code req_} and 16 random bytes in hex. It names a request in logs and stored rows and guards
     * nothing, so it comes from the thread's own generator: a shared SecureRandom made every request of a busy
     * service queue on one lock.
     */
    public static String create() {
        java.util.concurrent.ThreadLocalRandom r = java.util.concurrent.ThreadLocalRandom.current();
        HexFormat hex = HexFormat.of();
        return "req_" + hex.toHexDigits(r.nextLong()) + hex.toHexDigits(r.nextLong());
    }

    /** Whether a value (from a header, a record) is an id as {@link #acceptOrCreate} keeps them. */
    public static boolean valid(String value) {
        if (value == null || value.isEmpty() || value.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            if (!allowed(value.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    /** {@code [A-Za-z0-9._:-]} */
    private static boolean allowed(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '.' || c == '_' || c == ':' || c == '-';
    }
}
