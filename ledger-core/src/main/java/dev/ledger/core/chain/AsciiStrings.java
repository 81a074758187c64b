package dev.ledger.core.chain;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Strings of printable-ASCII bytes, reused while their bytes repeat: a record reader names a few tenants, types and
 * meters over and over, and a partition's records interleave them, so one remembered value would be replaced at almost
 * every record. Eight slots, chosen by the value's length and last byte; a slot's value is replaced by the next one
 * that lands there. Not thread-safe: one instance per reader (or per thread).
 */
public final class AsciiStrings {

    private static final int SLOTS = 8;
    private final byte[][] bytes = new byte[SLOTS][];
    private final String[] values = new String[SLOTS];

    /** The printable-ASCII text in [from, to); IllegalArgumentException for anything else (a backslash included). */
    public String of(byte[] b, int from, int to) {
        int slot = to > from ? (b[to - 1] + 31 * (to - from)) & (SLOTS - 1) : 0;
        byte[] seen = bytes[slot];
        if (seen != null && Arrays.equals(b, from, to, seen, 0, seen.length)) {
            return values[slot];
        }
        if (!JsonBytes.isPrintableAscii(b, from, to)) {
            throw new IllegalArgumentException("not printable ASCII");
        }
        byte[] copy = Arrays.copyOfRange(b, from, to);
        String value = new String(copy, StandardCharsets.ISO_8859_1);
        bytes[slot] = copy;
        values[slot] = value;
        return value;
    }
}
