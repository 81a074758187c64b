package dev.ledger.core.trace;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

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
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final SecureRandom RANDOM = new SecureRandom();

    private RequestId() {
    }

    /** The caller's id when it is one we can repeat safely, else a new one. */
    public static String acceptOrCreate(String offered) {
        return offered != null && VALID.matcher(offered).matches() ? offered : create();
    }

    /** A new id: {@code req_} and 16 random bytes in hex. */
    public static String create() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        return "req_" + HexFormat.of().formatHex(b);
    }

    /** Whether a value (from a header, a record) is an id as {@link #acceptOrCreate} keeps them. */
    public static boolean valid(String value) {
        return value != null && VALID.matcher(value).matches();
    }
}
