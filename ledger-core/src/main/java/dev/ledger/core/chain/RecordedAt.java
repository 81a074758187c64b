package dev.ledger.core.chain;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;

/**
 * An entry's {@code recorded_at} as an instant. The ledger writes it as {@code Instant.toString()} does
 * ({@code 2026-11-21T10:00:00.123Z}); that form is read directly, several times faster than {@link Instant#parse}
 * (which took a fifth of the consumer's time per entry). Anything else goes through {@link Instant#parse}, so the
 * accepted forms and the errors stay exactly Instant's. The one reader of that form: the workers read entries' times
 * with it, the publisher its lag, and ledger-api's validation answers a timestamp already in it as it is.
 */
public final class RecordedAt {

    private RecordedAt() {
    }

    /** The instant {@code text} stands for, as {@link Instant#parse} reads it (and refuses what it refuses). */
    public static Instant parse(String text) {
        Instant fast = fast(text);
        return fast != null ? fast : Instant.parse(text);
    }

    /**
     * The instant of {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z} with a valid date and time, read character by character;
     * null for any other text (which {@link Instant#parse} then decides).
     */
    public static Instant fast(String text) {
        int n = text.length();
        if (n < 20 || n > 30 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
                || text.charAt(13) != ':' || text.charAt(16) != ':' || text.charAt(n - 1) != 'Z'
                || n > 20 && (text.charAt(19) != '.' || n == 21)) {
            return null;
        }
        int year = digits(text, 0, 4);
        int month = digits(text, 5, 7);
        int day = digits(text, 8, 10);
        int hour = digits(text, 11, 13);
        int minute = digits(text, 14, 16);
        int second = digits(text, 17, 19);
        int nanos = 0;
        if (n > 20) {
            int fraction = digits(text, 20, n - 1);
            if (fraction < 0) {
                return null;
            }
            nanos = fraction;
            for (int i = n - 1 - 20; i < 9; i++) {
                nanos *= 10;
            }
        }
        if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0
                || second > 59) {
            return null;
        }
        try {
            long epochDay = LocalDate.of(year, month, day).toEpochDay();
            return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
        } catch (DateTimeException e) {
            return null; // e.g. February 30th: Instant.parse refuses it in its own words
        }
    }

    /** The decimal number in [from, to), or -1 when a character there is not an ASCII digit. */
    private static int digits(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
