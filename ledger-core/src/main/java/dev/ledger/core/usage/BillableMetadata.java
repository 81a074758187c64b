package dev.ledger.core.usage;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.ledger.core.chain.AsciiStrings;
import dev.ledger.core.chain.JsonBytes;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What an entry bills, read from its hashed metadata alone: the keys {@code meter} (a string) and {@code quantity}
 * (the decimal string of a positive long), which the ledger writes for every billable entry. Workers bill from these,
 * never from an entry's type or payload, so an entry of a type a worker does not know still bills what it says, and
 * one without them bills nothing.
 *
 * @param meter    null when the entry bills nothing
 * @param quantity its units (0 when it bills nothing)
 * @param refusal  why the keys are present but cannot be billed (a stable reason), or null
 */
public record BillableMetadata(String meter, long quantity, String refusal) {

    /** An entry that bills nothing. */
    public static final BillableMetadata NONE = new BillableMetadata(null, 0, null);
    public static final String INVALID_METER = "invalid_meter";
    public static final String QUANTITY_OUT_OF_RANGE = "quantity_out_of_range";
    private static final JsonFactory JSON = new JsonFactory();
    private static final String METER = "meter";
    private static final String QUANTITY = "quantity";
    private static final byte[] METER_BYTES = METER.getBytes(StandardCharsets.US_ASCII);
    private static final byte[] QUANTITY_BYTES = QUANTITY.getBytes(StandardCharsets.US_ASCII);
    /** The largest metadata the fast path reads (the ledger's are a few hundred bytes). */
    static final int FLAT_LIMIT = 4096;

    public boolean bills() {
        return meter != null && refusal == null;
    }

    /**
     * Reads the two keys of a metadata object. Either missing, or metadata that is not a JSON object: {@link #NONE}.
     * A quantity of {@code "0"}: {@link #NONE}. Both present but a meter outside the ledger's meter names
     * ({@code [A-Za-z0-9._:@/-]{1,100}}) or a quantity that is not a decimal number in 1..{@code maxQuantity}: a
     * refusal (such an entry was not written by the ledger).
     */
    public static BillableMetadata read(byte[] metadata, long maxQuantity) {
        if (metadata == null || metadata.length == 0) {
            return NONE;
        }
        BillableMetadata fast = readFlat(metadata, maxQuantity);
        return fast != null ? fast : readWithJackson(metadata, maxQuantity);
    }

    /**
     * The reference reading, for any bytes: Jackson's streaming parser. Package-private so that tests hold the fast
     * path to it.
     */
    static BillableMetadata readWithJackson(byte[] metadata, long maxQuantity) {
        if (metadata == null || metadata.length == 0) {
            return NONE;
        }
        String meter = null;
        String quantity = null;
        try (JsonParser p = JSON.createParser(metadata)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return NONE;
            }
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (name.equals(METER)) {
                    meter = value == JsonToken.VALUE_STRING ? p.getText() : "";
                } else if (name.equals(QUANTITY)) {
                    quantity = value == JsonToken.VALUE_STRING ? p.getText() : "";
                } else {
                    p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) {
                return NONE;
            }
        } catch (IOException e) {
            return NONE;
        }
        return decide(meter, quantity, maxQuantity);
    }

    /**
     * The fast path, for metadata exactly as the ledger writes it: one flat object of string members, no whitespace,
     * every name and value printable ASCII without a backslash (bytes that read the same as JSON text, as UTF-8 and as
     * a Java string), at most {@value #FLAT_LIMIT} bytes (far inside Jackson's name and string limits). Null for
     * anything else (an escape, a number, a nested value, whitespace, non-ASCII, a trailing byte): Jackson decides
     * those. A repeated name keeps its last value, as Jackson's reading does. Package-private for the tests.
     */
    static BillableMetadata readFlat(byte[] m, long maxQuantity) {
        int n = m.length;
        if (n < 2 || n > FLAT_LIMIT || m[0] != '{' || m[n - 1] != '}' || !JsonBytes.isPrintableAscii(m, 0, n)) {
            return null; // the structure's bytes are printable too: checking all at once is checking every string
        }
        int last = n - 1;
        int p = 1;
        int meterFrom = -1;
        int meterTo = -1;
        int quantityFrom = -1;
        int quantityTo = -1;
        if (p < last) {
            while (true) {
                if (m[p] != '"') {
                    return null;
                }
                int nameFrom = p + 1;
                int nameTo = plainStringEnd(m, nameFrom, last);
                if (nameTo < 0 || m[nameTo + 1] != ':' || m[nameTo + 2] != '"') {
                    return null; // nameTo + 2 <= last: m[last] is '}', never ':'
                }
                int valueFrom = nameTo + 3;
                int valueTo = plainStringEnd(m, valueFrom, last);
                if (valueTo < 0) {
                    return null;
                }
                if (is(METER_BYTES, m, nameFrom, nameTo)) {
                    meterFrom = valueFrom;
                    meterTo = valueTo;
                } else if (is(QUANTITY_BYTES, m, nameFrom, nameTo)) {
                    quantityFrom = valueFrom;
                    quantityTo = valueTo;
                }
                p = valueTo + 1;
                if (p == last) {
                    break;
                }
                if (m[p] != ',') {
                    return null;
                }
                p++;
            }
        }
        if (meterFrom < 0 || quantityFrom < 0) {
            return NONE;
        }
        // decide's rules on the bytes (printable ASCII, so each byte is its character): no string but the meter's
        if (!isMeterName(m, meterFrom, meterTo)) {
            return new BillableMetadata(null, 0, INVALID_METER);
        }
        if (quantityTo - quantityFrom == 1 && m[quantityFrom] == '0') {
            return NONE;
        }
        long q = positiveDecimal(m, quantityFrom, quantityTo, maxQuantity);
        return q < 0 ? new BillableMetadata(null, 0, QUANTITY_OUT_OF_RANGE)
                : new BillableMetadata(meterName(m, meterFrom, meterTo), q, null);
    }

    /** The meters read lately, shared by every thread (an entry stream names a few meters). */
    private static final AsciiStrings METERS = new AsciiStrings();

    private static String meterName(byte[] m, int from, int to) {
        return METERS.of(m, from, to);
    }

    /**
     * The closing quote of the string starting at {@code from}, before {@code limit}, or -1 (the object is printable
     * ASCII without a backslash, checked once: a string ends at its next quote).
     */
    private static int plainStringEnd(byte[] m, int from, int limit) {
        return JsonBytes.indexOfQuote(m, from, limit);
    }

    private static boolean is(byte[] name, byte[] m, int from, int to) {
        return to - from == name.length && Arrays.equals(m, from, to, name, 0, name.length);
    }

    /** What the two keys' values bill, however they were read. */
    private static BillableMetadata decide(String meter, String quantity, long maxQuantity) {
        if (meter == null || quantity == null) {
            return NONE;
        }
        if (!isMeterName(meter)) {
            return new BillableMetadata(null, 0, INVALID_METER);
        }
        if (quantity.equals("0")) {
            return NONE; // no units: nothing to bill
        }
        long q = positiveDecimal(quantity, maxQuantity);
        return q < 0 ? new BillableMetadata(null, 0, QUANTITY_OUT_OF_RANGE) : new BillableMetadata(meter, q, null);
    }

    /** A meter name as the ledger accepts them: letters, digits and . _ : @ / -, 1 to 100 characters. */
    public static boolean isMeterName(String meter) {
        if (meter == null || meter.isEmpty() || meter.length() > 100) {
            return false;
        }
        for (int i = 0; i < meter.length(); i++) {
            if (!isMeterChar(meter.charAt(i))) {
                return false;
            }
        }
        return true;
    }

    private static boolean isMeterName(byte[] m, int from, int to) {
        if (to - from < 1 || to - from > 100) {
            return false;
        }
        for (int i = from; i < to; i++) {
            if (!isMeterChar((char) m[i])) {
                return false;
            }
        }
        return true;
    }

    private static boolean isMeterChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '.' || c == '_' || c == ':' || c == '@' || c == '/' || c == '-';
    }

    /** 1..max written without sign or leading zero, else -1. */
    private static long positiveDecimal(String s, long max) {
        return positiveDecimal(s.getBytes(StandardCharsets.ISO_8859_1), 0, s.length(), max);
    }

    /** The same for the ASCII bytes in [from, to) (any other byte is not a digit). */
    private static long positiveDecimal(byte[] s, int from, int to, long max) {
        if (to == from || to - from > 19 || s[from] == '0') {
            return -1;
        }
        long v = 0;
        for (int i = from; i < to; i++) {
            char c = (char) s[i];
            if (c < '0' || c > '9') {
                return -1;
            }
            if (v > (max - (c - '0')) / 10) {
                return -1; // past max (and so never past Long.MAX_VALUE)
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
