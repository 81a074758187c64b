package dev.ledger.meter;

import dev.ledger.core.chain.EntryFraming;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;

/**
 * One tenant's units of one meter over one window of ledger time [start, end). Windows are aligned to the epoch,
 * so every instance and every restart cuts the same windows and derives the same Stripe identifier.
 */
public record UsageWindow(String tenantId, String meter, Instant start, Instant end) {

    /** Stripe allows at most 100 characters in a meter event identifier. */
    static final int MAX_IDENTIFIER = 100;

    public static UsageWindow containing(String tenantId, String meter, Instant at, Duration length) {
        return starting(tenantId, meter, startSecond(at.getEpochSecond(), length.toSeconds()), length);
    }

    /** The window of {@code length} starting at {@code startSecond} (epoch seconds, a window boundary). */
    static UsageWindow starting(String tenantId, String meter, long startSecond, Duration length) {
        Instant start = Instant.ofEpochSecond(startSecond);
        return new UsageWindow(tenantId, meter, start, start.plus(length));
    }

    /** The start (epoch seconds) of the window of {@code lengthSeconds} holding {@code epochSecond}. */
    static long startSecond(long epochSecond, long lengthSeconds) {
        return Math.floorDiv(epochSecond, lengthSeconds) * lengthSeconds;
    }

    /** The start of the window holding {@code at}. */
    public static Instant startOf(Instant at, Duration length) {
        return Instant.ofEpochSecond(startSecond(at.getEpochSecond(), length.toSeconds()));
    }

    /** The Stripe meter event identifier: deterministic per (tenant, meter, window start). */
    public String identifier() {
        return identifier(tenantId, meter, start);
    }

    public static String identifier(String tenantId, String meter, Instant start) {
        String plain = "ledger-" + tenantId + "-" + meter + "-" + start.getEpochSecond();
        if (plain.length() <= MAX_IDENTIFIER) {
            return plain;
        }
        // Too long for Stripe: a digest of the same three parts stays deterministic and unique.
        byte[] digest = EntryFraming.sha256((tenantId + "\u0000" + meter + "\u0000" + start.getEpochSecond())
                .getBytes(StandardCharsets.UTF_8));
        return "ledger-h-" + EntryFraming.hex(digest);
    }
}
