package dev.ledger.core.chain;

import java.util.Arrays;

/**
 * The one hex codec (docs/chain.md: hex is lowercase). Writes lowercase; reads lowercase only, so that one hash has
 * one spelling everywhere it is compared, stored or signed: upper case, an odd length or any other character is
 * refused with an {@link IllegalArgumentException} saying which.
 */
public final class Hex {

    private static final char[] DIGITS = "0123456789abcdef".toCharArray();
    /** Digit values of the lowercase hex digits; -1 for every other byte. */
    private static final int[] VALUE = new int[256];

    static {
        Arrays.fill(VALUE, -1);
        for (int i = 0; i < 16; i++) {
            VALUE[DIGITS[i]] = i;
        }
    }

    private Hex() {
    }

    /** Lowercase hex of the bytes. */
    public static String of(byte[] bytes) {
        char[] out = new char[2 * bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[2 * i] = DIGITS[(bytes[i] >> 4) & 0xf];
            out[2 * i + 1] = DIGITS[bytes[i] & 0xf];
        }
        return new String(out);
    }

    /** The bytes of lowercase hex text. */
    public static byte[] parse(CharSequence hex) {
        int n = hex.length();
        if ((n & 1) != 0) {
            throw new IllegalArgumentException("hex needs an even number of digits, not " + n);
        }
        byte[] out = new byte[n / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (digit(hex.charAt(2 * i)) << 4 | digit(hex.charAt(2 * i + 1)));
        }
        return out;
    }

    /** The bytes of exactly {@code bytes} bytes' worth of lowercase hex ({@code what} names it in the refusal). */
    public static byte[] parse(CharSequence hex, int bytes, String what) {
        if (hex == null || hex.length() != 2 * bytes) {
            throw new IllegalArgumentException(what + " must be " + 2 * bytes + " lowercase hex digits");
        }
        return parse(hex);
    }

    /** The bytes of the lowercase hex digits held as ASCII in [from, to) of {@code b} (the byte scanners' form). */
    public static byte[] parse(byte[] b, int from, int to) {
        if (((to - from) & 1) != 0) {
            throw new IllegalArgumentException("hex needs an even number of digits, not " + (to - from));
        }
        byte[] out = new byte[(to - from) / 2];
        int bad = 0;
        for (int i = 0, j = from; i < out.length; i++, j += 2) {
            int hi = VALUE[b[j] & 0xff];
            int lo = VALUE[b[j + 1] & 0xff];
            bad |= hi | lo;
            out[i] = (byte) (hi << 4 | lo);
        }
        if (bad < 0) {
            throw new IllegalArgumentException("not a lowercase hex digit");
        }
        return out;
    }

    private static int digit(char c) {
        int v = c < 256 ? VALUE[c] : -1;
        if (v < 0) {
            throw new IllegalArgumentException(c >= 'A' && c <= 'F' ? "hex must be lowercase (found '" + c + "')"
                    : "not a hex digit (char " + (int) c + ")");
        }
        return v;
    }
}
