package dev.ledger.core.trace;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The id of the HTTP request an entry came from, followed from the API to the workers: ledger-api takes the caller's
 * {@code X-Request-Id} (or makes one), logs it with every line of the request ({@link #LOG_KEY} in the logging MDC),
 * answers it, writes it into each entry's metadata ({@link #METADATA_KEY}, hashed with the entry like the rest of the
 * metadata), and the publisher copies it into the Kafka record's {@link #HEADER} header, from which the workers log it
 * with the lines about that entry.
 */
public final class RequestId {

    /** The HTTP header, in and out. */
    public static final String HTTP_HEADER = "X-Request-Id";
    /** The Kafka record header. */
    public static final String HEADER = "ledger-request-id";
    /** The entry metadata key. */
    public static final String METADATA_KEY = "request_id";
    /** The logging MDC key (and the JSON log field). */
    public static final String LOG_KEY = "request_id";
    /** What a caller's id may be; anything else is replaced by one of ours (a log line must not be forgeable). */
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._:-]{1,64}");
    private static final JsonFactory JSON = new JsonFactory();
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

    /** The request id in an entry's metadata (a JSON object), or null when there is none or it is not valid. */
    public static String fromMetadata(byte[] metadata) {
        if (metadata == null || metadata.length == 0) {
            return null;
        }
        try (JsonParser p = JSON.createParser(metadata)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals(METADATA_KEY)) {
                    return value == JsonToken.VALUE_STRING && valid(p.getText()) ? p.getText() : null;
                }
                p.skipChildren();
            }
            return null;
        } catch (IOException e) {
            return null;
        }
    }
}
