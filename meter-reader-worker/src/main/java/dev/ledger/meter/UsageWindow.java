package dev.ledger.meter;

import dev.ledger.core.chain.Sha256;
import dev.ledger.core.chain.Hex;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Pattern;

/**
 * One tenant's units of one meter over one window of ledger time [start, end). Windows are aligned to the epoch,
 * so every instance and every restart cuts the same windows and derives the same Stripe identifier.
 */
public record UsageWindow(String tenantId, String meter, Instant start, Instant end) {

    /** Stripe allows at most 100 characters in a meter event identifier. */
    static final int MAX_IDENTIFIER = 100;
    /**
     * The most units one window (and so one entry) may carry: 10^15. Sums stay far from {@code Long.MAX_VALUE}, so a
     * batch's running sum cannot overflow either; a tenant whose window would exceed it is stopped, visibly.
     */
    static final long MAX_QUANTITY = dev.ledger.core.usage.UsageRecorded.MAX_QUANTITY;

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

    /** A meter name as the ledger accepts them: letters, digits and . _ : @ / -, 1 to 100 characters. */
    static boolean isMeterName(String meter) {
        return meter != null && METER_NAME.matcher(meter).matches();
    }

    private static final Pattern METER_NAME = Pattern.compile("[A-Za-z0-9._:@/-]{1,100}");

    /** The Stripe meter event identifier: deterministic per (tenant, meter, window start), and injective. */
    public String identifier() {
        return identifier(tenantId, meter, start);
    }

    /**
     * {@code ledger:<length>:<tenant>:<length>:<meter>:<epoch second>}. The lengths make the identifier unambiguous
     * whatever the two names contain (tenant {@code acme} meter {@code eu-tokens} and tenant {@code acme-eu} meter
     * {@code tokens} once both read {@code ledger-acme-eu-tokens-…}). Windows keep the identifier stored with them, so
     * windows created before this form keep theirs.
     */
    public static String identifier(String tenantId, String meter, Instant start) {
        String plain = "ledger:" + tenantId.length() + ":" + tenantId + ":" + meter.length() + ":" + meter + ":"
                + start.getEpochSecond();
        if (plain.length() <= MAX_IDENTIFIER) {
            return plain;
        }
        // Too long for Stripe: a digest of the same length-prefixed form stays deterministic and unambiguous.
        byte[] digest = Sha256.of(plain.getBytes(StandardCharsets.UTF_8));
        return "ledger-h-" + Hex.of(digest);
    }
}
