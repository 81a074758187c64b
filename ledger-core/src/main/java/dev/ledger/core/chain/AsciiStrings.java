package dev.ledger.core.chain;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Strings of printable-ASCII bytes, reused while their bytes repeat: a record reader names a few tenants, types and
 * meters over and over, and a partition's records interleave them, so one remembered value would be replaced at almost
 * every record. Eight slots, chosen by the value's length and last byte; a slot's value is replaced by the next one
 * that lands there. Each slot holds an immutable entry, so one instance may be shared by threads: a race between two
 * misses only costs one of them a string (a per-thread cache cost a thread-local lookup per entry).
 */
public final class AsciiStrings {

    private static final int SLOTS = 8;

    /** A value with its bytes. Immutable (final fields): safe to read from any thread that sees the reference. */
    private record Seen(byte[] bytes, String value) {
    }

    private final Seen[] slots = new Seen[SLOTS];

    /** The printable-ASCII text in [from, to); IllegalArgumentException for anything else (a backslash included). */
    public String of(byte[] b, int from, int to) {
        int slot = to > from ? (b[to - 1] + 31 * (to - from)) & (SLOTS - 1) : 0;
        Seen seen = slots[slot];
        if (seen != null && Arrays.equals(b, from, to, seen.bytes(), 0, seen.bytes().length)) {
            return seen.value();
        }
        if (!JsonBytes.isPrintableAscii(b, from, to)) {
            throw new IllegalArgumentException("not printable ASCII");
        }
        byte[] copy = Arrays.copyOfRange(b, from, to);
        String value = new String(copy, StandardCharsets.ISO_8859_1);
        slots[slot] = new Seen(copy, value);
        return value;
    }
}
