package dev.ledger.core.verify;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;

/** Cuts a stream into blocks of whole lines (a block ends just after a newline, or at the end of input). */
final class BlockReader {

    /** A line longer than this is not a bundle line; refusing it bounds memory on hostile input. */
    static final int MAX_LINE_BYTES = 64 << 20;

    record Block(byte[] data, int length) {
    }

    private final InputStream in;
    private final int blockBytes;
    private byte[] carry = new byte[0];
    private int carryLength;
    private boolean eof;
    private boolean endedMidLine;

    BlockReader(InputStream in, int blockBytes) {
        this.in = in;
        this.blockBytes = blockBytes;
    }

    /** The next block, or null at the end of input. */
    Block next() throws IOException {
        if (eof && carryLength == 0) {
            return null;
        }
        byte[] buf = new byte[Math.max(blockBytes, carryLength * 2)];
        System.arraycopy(carry, 0, buf, 0, carryLength);
        int length = carryLength;
        int scanned = carryLength;
        carryLength = 0;
        while (true) {
            while (length < buf.length && !eof) {
                int n = in.read(buf, length, buf.length - length);
                if (n < 0) {
                    eof = true;
                } else {
                    length += n;
                }
            }
            if (eof) {
                // every line a writer finishes ends with a newline: bytes after the last one are a line cut short
                int end = lastNewline(buf, 0, length) + 1;
                if (end < length) {
                    endedMidLine = true;
                    length = end;
                }
                return length == 0 ? null : new Block(buf, length);
            }
            int cut = lastNewline(buf, scanned, length);
            if (cut >= 0) {
                carryLength = length - cut - 1;
                if (carry.length < carryLength) {
                    carry = new byte[Math.max(carryLength, blockBytes / 4)];
                }
                System.arraycopy(buf, cut + 1, carry, 0, carryLength);
                return new Block(buf, cut + 1);
            }
            if (buf.length >= MAX_LINE_BYTES) {
                throw new BundleFormatException(0, "a line is longer than " + (MAX_LINE_BYTES >> 20) + " MiB");
            }
            scanned = length;
            buf = Arrays.copyOf(buf, buf.length * 2);
        }
    }

    /** Whether the input ended inside a line (dropped, not parsed); known once {@link #next} answered null. */
    boolean endedMidLine() {
        return endedMidLine;
    }

    private static int lastNewline(byte[] buf, int from, int to) {
        for (int i = to - 1; i >= from; i--) {
            if (buf[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
