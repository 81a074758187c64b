package dev.ledger.meter;

import dev.ledger.core.chain.JsonBytes;
import dev.ledger.core.messages.LedgerEvent;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The billable units of a usage record's payload exactly as the ledger writes it ({@code UsageRecorded} through the
 * shared mapper: members in declaration order, no whitespace, printable-ASCII text), read by scanning the bytes. A
 * quarter of the bench's entries are usage records, and Jackson's data binding cost more than everything else done
 * with them. Any other form answers null and is left to Jackson, whose reading is the reference: this path only
 * accepts payloads Jackson reads to the same meter and quantity (tested).
 */
final class UsagePayload {

    private static final byte[] TENANT = ascii("{\"tenant_id\":\"");
    private static final byte[] USAGE = ascii("\",\"usage_id\":\"");
    private static final byte[] METER = ascii("\",\"meter\":\"");
    private static final byte[] QUANTITY = ascii("\",\"quantity\":");
    private static final byte[] OCCURRED = ascii(",\"occurred_at\":\"");
    private static final byte[] END = ascii("\"}");

    private UsagePayload() {
    }

    /** Meter and quantity of a canonical usage payload, or null when the payload is in any other form. */
    static LedgerEvent.BillableUnits billable(byte[] b) {
        int p = literal(b, 0, TENANT);
        p = literal(b, text(b, p), USAGE);
        p = literal(b, text(b, p), METER);
        int meterFrom = p;
        int meterTo = text(b, p);
        p = literal(b, meterTo, QUANTITY);
        if (p < 0 || p >= b.length) {
            return null;
        }
        int start = p;
        long quantity = 0;
        while (p < b.length && b[p] >= '0' && b[p] <= '9' && p - start < 18) {
            quantity = quantity * 10 + (b[p++] - '0');
        }
        // digits only (Jackson reads a sign, a fraction or an exponent too, and some of those differently), at most 18,
        // no leading zero (Jackson refuses those)
        if (p == start || b[start] == '0' && p - start > 1) {
            return null;
        }
        p = literal(b, p, OCCURRED);
        p = literal(b, text(b, p), END);
        if (p != b.length || meterTo < 0) {
            return null;
        }
        return new LedgerEvent.BillableUnits(new String(b, meterFrom, meterTo - meterFrom, StandardCharsets.ISO_8859_1), quantity);
    }

    /** The position after {@code literal} when it is at {@code p}, else -1 (and -1 stays -1). */
    private static int literal(byte[] b, int p, byte[] literal) {
        if (p < 0 || p + literal.length > b.length || !Arrays.equals(b, p, p + literal.length, literal, 0, literal.length)) {
            return -1;
        }
        return p + literal.length;
    }

    /** The closing quote of printable-ASCII text starting at {@code p}, else -1. */
    private static int text(byte[] b, int p) {
        if (p < 0) {
            return -1;
        }
        int end = JsonBytes.indexOfQuote(b, p, b.length);
        return end >= 0 && JsonBytes.isPrintableAscii(b, p, end) ? end : -1;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
