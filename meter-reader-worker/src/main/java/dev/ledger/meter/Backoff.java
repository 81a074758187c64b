package dev.ledger.meter;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Exponential backoff with jitter, so instances retrying the same outage do not call back in step. */
record Backoff(Duration base, Duration max) {

    /** Delay before attempt {@code attempts + 1}, after {@code attempts} failures (>= 1). */
    Duration after(int attempts) {
        int doublings = Math.min(Math.max(attempts - 1, 0), 30);
        long ceiling = Math.min(max.toMillis(), base.toMillis() << Math.min(doublings, 20));
        long jittered = ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1);
        return Duration.ofMillis(Math.max(jittered, 1));
    }
}
