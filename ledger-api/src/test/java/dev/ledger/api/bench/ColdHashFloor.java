package dev.ledger.api.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The floor under the verifier CLI's cold figure: a fresh JVM that only reads a bundle and SHA-256s each line once
 * (no parsing, no base64, no links, no tree), on every core. {@link ChainVerificationBench} runs it with the options
 * {@code ./ledger verify} uses. Verification hashes at least as many bytes per entry (the decoded payload and
 * metadata, the frame and the leaf), so no verifier in such a JVM can be faster than this on the same machine.
 * Prints {@code lines N seconds S} from its own clock. Not a test.
 */
public final class ColdHashFloor {

    private static final int CHUNK = 4 << 20;

    private ColdHashFloor() {
    }

    public static void main(String[] args) throws Exception {
        long started = System.nanoTime();
        Path file = Path.of(args[0]);
        int threads = Runtime.getRuntime().availableProcessors();
        long size;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            size = ch.size();
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<Long>> parts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long from = size * t / threads;
            long to = size * (t + 1) / threads;
            parts.add(pool.submit(() -> hashLines(file, from, to)));
        }
        long lines = 0;
        for (Future<Long> part : parts) {
            lines += part.get();
        }
        pool.shutdown();
        System.out.printf("lines %d seconds %.3f%n", lines, (System.nanoTime() - started) / 1e9);
    }

    /** SHA-256 of every line that starts in [from, to); answers how many there were. */
    static long hashLines(Path file, long from, long to) throws IOException, java.security.GeneralSecurityException {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] digest = new byte[32];
        byte[] buf = new byte[CHUNK];
        long lines = 0;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            // a line is this part's when its first byte is at or after from: reading from the byte before from, the
            // first newline seen ends the previous part's last line
            long filePos = from == 0 ? 0 : from - 1; // the file offset of buf[0]
            int filled = 0;
            boolean started = from == 0;
            while (true) {
                int n = ch.read(ByteBuffer.wrap(buf, filled, buf.length - filled), filePos + filled);
                boolean eof = n < 0;
                filled += Math.max(n, 0);
                int lineStart = 0;
                for (int i = 0; i < filled; i++) {
                    if (buf[i] != '\n') {
                        continue;
                    }
                    if (started) {
                        md.update(buf, lineStart, i - lineStart);
                        md.digest(digest, 0, digest.length);
                        lines++;
                    }
                    lineStart = i + 1;
                    started = true;
                    if (filePos + lineStart >= to) {
                        return lines; // the next line starts in the next part
                    }
                }
                if (eof) {
                    return lines;
                }
                if (lineStart == 0 && filled == buf.length) {
                    throw new IOException("a line longer than " + CHUNK + " bytes");
                }
                System.arraycopy(buf, lineStart, buf, 0, filled - lineStart);
                filePos += lineStart;
                filled -= lineStart;
            }
        }
    }
}
