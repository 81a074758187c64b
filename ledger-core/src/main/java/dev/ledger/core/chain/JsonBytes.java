package dev.ledger.core.chain;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Base64;

/** Scanning JSON text as bytes, for the readers of records this project writes itself (entry records, bundles). */
public final class JsonBytes {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private JsonBytes() {
    }

    /** Index of the first {@code '"'} in [from, to), or -1: eight bytes per step, since base64 members are long. */
    public static int indexOfQuote(byte[] b, int from, int to) {
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            long w = (long) LONGS.get(b, i) ^ 0x2222222222222222L;
            long found = (w - 0x0101010101010101L) & ~w & 0x8080808080808080L;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        for (; i < to; i++) {
            if (b[i] == '"') {
                return i;
            }
        }
        return -1;
    }

    /**
     * Index of the last {@code '"'} in [from, to), or -1: eight bytes per step, from the end. A word is first asked
     * whether it holds a quote at all (three operations, exact for that question); only the word that does has each
     * byte tested on its own (no borrow between bytes), so the highest match found is a real one.
     */
    public static int lastIndexOfQuote(byte[] b, int from, int to) {
        int i = to;
        for (; i - Long.BYTES >= from; i -= Long.BYTES) {
            long w = (long) LONGS.get(b, i - Long.BYTES) ^ 0x2222222222222222L;
            if (((w - 0x0101010101010101L) & ~w & 0x8080808080808080L) != 0) {
                long zero = ~(((w & 0x7f7f7f7f7f7f7f7fL) + 0x7f7f7f7f7f7f7f7fL) | w) & 0x8080808080808080L;
                return i - Long.BYTES + 7 - (Long.numberOfLeadingZeros(zero) >>> 3);
            }
        }
        for (i--; i >= from; i--) {
            if (b[i] == '"') {
                return i;
            }
        }
        return -1;
    }

    /**
     * Whether [from, to) holds neither a backslash nor a control character (below 0x20): JSON string content that
     * means exactly its bytes. Eight bytes per step.
     */
    public static boolean isPlain(byte[] b, int from, int to) {
        int i = from;
        long bad = 0;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            long w = (long) LONGS.get(b, i);
            long backslash = w ^ 0x5c5c5c5c5c5c5c5cL;
            bad |= (backslash - 0x0101010101010101L) & ~backslash & 0x8080808080808080L; // a byte equal to '\\'
            bad |= (w - 0x2020202020202020L) & ~w & 0x8080808080808080L; // a byte below 0x20
        }
        if (bad != 0) {
            return false;
        }
        for (; i < to; i++) {
            if (b[i] == '\\' || (b[i] >= 0 && b[i] < 0x20)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether [from, to) holds only printable ASCII other than the backslash (0x20-0x7e): JSON string content whose
     * bytes are its UTF-8 encoding and its Latin-1 characters alike. Eight bytes per step.
     */
    public static boolean isPrintableAscii(byte[] b, int from, int to) {
        int i = from;
        long bad = 0;
        // Per byte, high bit of: the byte itself (above 0x7f); byte + 0x01 (0x7f); NOT (byte + 0x60) (below 0x20);
        // NOT ((byte ^ '\\') + 0x7f) (a backslash). For bytes below 0x80 none of these sums carries into the next
        // byte; a byte above 0x7f may, but it is flagged by its own high bit, so a carry never hides a bad word.
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            long w = (long) LONGS.get(b, i);
            bad |= w | (w + 0x0101010101010101L)
                    | ~((w + 0x6060606060606060L) & ((w ^ 0x5c5c5c5c5c5c5c5cL) + 0x7f7f7f7f7f7f7f7fL));
        }
        if (i < to && to - from >= Long.BYTES) {
            // the last, partial word: the eight bytes ending at the range's end (some of them checked already)
            long w = (long) LONGS.get(b, to - Long.BYTES);
            bad |= w | (w + 0x0101010101010101L)
                    | ~((w + 0x6060606060606060L) & ((w ^ 0x5c5c5c5c5c5c5c5cL) + 0x7f7f7f7f7f7f7f7fL));
            i = to;
        }
        bad &= 0x8080808080808080L;
        if (bad != 0) {
            return false;
        }
        for (; i < to; i++) {
            if (b[i] < 0x20 || b[i] > 0x7e || b[i] == '\\') {
                return false;
            }
        }
        return true;
    }

    /**
     * The end of the run of 1 to 18 ASCII digits at {@code from} (any such number fits a long); IllegalArgumentException
     * when there is none, it is longer, or it has a leading zero (JSON has none: Jackson refuses {@code 007}), which the
     * record readers leave to their reference parser.
     */
    public static int digitsEnd(byte[] b, int from) {
        return digitsEnd(b, from, b.length);
    }

    /** {@link #digitsEnd(byte[], int)} within {@code [from, to)}: a digit at {@code to} or after is not looked at. */
    public static int digitsEnd(byte[] b, int from, int to) {
        int p = from;
        while (p < to && b[p] >= '0' && b[p] <= '9' && p - from < 18) {
            p++;
        }
        if (p == from || p < to && b[p] >= '0' && b[p] <= '9') {
            throw new IllegalArgumentException("empty, or too long for this path");
        }
        if (b[from] == '0' && p - from > 1) {
            throw new IllegalArgumentException("a leading zero: not a JSON number"); // JSON: 0, or 1-9 then digits
        }
        return p;
    }

    /** The value of the ASCII digits in [from, to), as {@link #digitsEnd} found them. */
    public static long digits(byte[] b, int from, int to) {
        long v = 0;
        for (int i = from; i < to; i++) {
            v = v * 10 + (b[i] - '0');
        }
        return v;
    }

    /** The bytes of the base64 text in [from, to) (the JDK's basic decoder: RFC 4648, padding optional); IllegalArgumentException for anything else. */
    public static byte[] base64(byte[] b, int from, int to) {
        ByteBuffer decoded = Base64.getDecoder().decode(ByteBuffer.wrap(b, from, to - from));
        byte[] out = decoded.array();
        return decoded.arrayOffset() == 0 && decoded.position() == 0 && decoded.remaining() == out.length ? out
                : Arrays.copyOfRange(out, decoded.arrayOffset() + decoded.position(), decoded.arrayOffset() + decoded.limit());
    }
}
