package dev.ledger.ops.stripe;

import java.time.Duration;
import java.util.Random;

/**
 * Injected faults, decided before a call changes any state: a seeded fraction of API calls fail in equal parts with
 * 429, 500, or a stall of the timeout followed by a 500; and lost answers, where a call marked
 * {@link Router.Route#answersCanBeLost()} takes effect and then answers 500.
 */
final class Faults {
    enum Fault { RATE_LIMIT, SERVER_ERROR, TIMEOUT }

    /** A snapshot of the seeded faults' settings. */
    record Settings(double fraction, long seed, long timeoutMillis) {
    }

    private double fraction;
    private long seed;
    private Random random = new Random(0);
    private volatile long timeoutMillis = 3000;
    private volatile boolean loseAnswers;

    synchronized void inject(double fraction, long seed) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be within [0, 1]: " + fraction);
        }
        this.fraction = fraction;
        this.seed = seed;
        this.random = new Random(seed);
    }

    synchronized Settings settings() {
        return new Settings(fraction, seed, timeoutMillis);
    }

    void timeout(Duration timeout) {
        timeoutMillis = timeout.toMillis();
    }

    void loseAnswers(boolean on) {
        loseAnswers = on;
    }

    boolean losingAnswers() {
        return loseAnswers;
    }

    /** The fault for the next API call, or null. */
    synchronized Fault decide() {
        if (fraction <= 0 || random.nextDouble() >= fraction) {
            return null;
        }
        return Fault.values()[random.nextInt(3)];
    }

    /** What a faulted call answers; a {@link Fault#TIMEOUT} stalls first. */
    StripeApiException answer(Fault fault, boolean v2) throws InterruptedException {
        return switch (fault) {
            case RATE_LIMIT -> StripeApiException.rateLimited(v2);
            case SERVER_ERROR -> StripeApiException.apiError("An unknown error occurred");
            case TIMEOUT -> {
                Thread.sleep(timeoutMillis);
                yield StripeApiException.apiError("An unknown error occurred (the request timed out inside Stripe).");
            }
        };
    }
}
