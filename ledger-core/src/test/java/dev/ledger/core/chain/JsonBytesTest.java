package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The eight-bytes-at-a-time scans answer exactly what a byte-by-byte scan answers, at every position and length. */
class JsonBytesTest {

    private static final byte[] ALPHABET = {'a', 'Z', '0', ' ', '"', '\\', 0x1f, 0x00, 0x7f, (byte) 0x80, (byte) 0xc3,
            (byte) 0xff, 0x20, 0x5b, 0x5d, 0x7e, 0x21, (byte) 0xa0, '#', 0x01, (byte) 0xa2};

    @Test
    void quoteSearchesPlainAndPrintableChecksAgreeWithAByteByByteScan() {
        Random random = new Random(7);
        for (int round = 0; round < 20_000; round++) {
            byte[] b = new byte[random.nextInt(40)];
            for (int i = 0; i < b.length; i++) {
                // mostly ordinary text, so that long plain runs with one bad byte somewhere are common
                b[i] = random.nextInt(8) == 0 ? ALPHABET[random.nextInt(ALPHABET.length)] : (byte) ('a' + random.nextInt(26));
            }
            int from = b.length == 0 ? 0 : random.nextInt(b.length + 1);
            int to = from + random.nextInt(b.length - from + 1);
            int quote = -1;
            int lastQuote = -1;
            boolean plain = true;
            boolean printable = true;
            for (int i = from; i < to; i++) {
                if (quote < 0 && b[i] == '"') {
                    quote = i;
                }
                if (b[i] == '"') {
                    lastQuote = i;
                }
                if (b[i] == '\\' || b[i] >= 0 && b[i] < 0x20) {
                    plain = false;
                }
                if (b[i] == '\\' || (b[i] & 0xff) < 0x20 || (b[i] & 0xff) > 0x7e) {
                    printable = false;
                }
            }
            assertThat(JsonBytes.indexOfQuote(b, from, to)).isEqualTo(quote);
            assertThat(JsonBytes.lastIndexOfQuote(b, from, to)).as("lastIndexOfQuote of %s [%d, %d)",
                    java.util.Arrays.toString(b), from, to).isEqualTo(lastQuote);
            assertThat(JsonBytes.isPlain(b, from, to)).as("isPlain of %s [%d, %d)", java.util.Arrays.toString(b), from, to)
                    .isEqualTo(plain);
            assertThat(JsonBytes.isPrintableAscii(b, from, to)).as("isPrintableAscii of %s [%d, %d)",
                    java.util.Arrays.toString(b), from, to).isEqualTo(printable);
        }
    }

    /**
     * Every pair of byte values side by side, at every place in a word and across two words: a carry out of one lane
     * into the next (bytes above 0x7f make them) never turns a bad word good. At 13 bytes the last word overlaps the
     * first.
     */
    @Test
    void printableCheckAgreesWithAByteByByteScanForEveryPairOfBytesInEveryLane() {
        pairsInEveryLane(new byte[16]);
        pairsInEveryLane(new byte[13]);
    }

    private static void pairsInEveryLane(byte[] b) {
        for (int at = 0; at < b.length - 1; at++) {
            for (int x = 0; x < 256; x++) {
                for (int y = 0; y < 256; y++) {
                    java.util.Arrays.fill(b, (byte) 'a');
                    b[at] = (byte) x;
                    b[at + 1] = (byte) y;
                    boolean printable = printable(x) && printable(y);
                    if (JsonBytes.isPrintableAscii(b, 0, b.length) != printable) {
                        throw new AssertionError("isPrintableAscii with 0x" + Integer.toHexString(x) + ", 0x"
                                + Integer.toHexString(y) + " at " + at + ": expected " + printable);
                    }
                }
            }
        }
    }

    private static boolean printable(int v) {
        return v >= 0x20 && v <= 0x7e && v != '\\';
    }
}
