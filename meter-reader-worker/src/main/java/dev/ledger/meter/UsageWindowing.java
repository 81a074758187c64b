package dev.ledger.meter;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The meter-reader's windowing, as a pure state machine of ledger time and the worker's one clock: which window an
 * entry counts in, how far a tenant's windows are closed once its chain passed an entry, and which windows an idle,
 * caught-up partition closes now. A tenant's state is one instant, {@code closedThrough} (every window ending at or
 * before it is closed; null: none yet). No database, Kafka or Stripe: the consumer stores what this decides.
 */
final class UsageWindowing {

    private final Duration length;
    private final long lengthSeconds;
    private final Duration idleClose;
    private final Clock clock;

    UsageWindowing(Duration length, Duration idleClose, Clock clock) {
        if (length.toSeconds() < 1 || idleClose.isNegative()) {
            throw new IllegalArgumentException("windows are at least a second long and idle close is not negative");
        }
        this.length = length;
        this.lengthSeconds = length.toSeconds();
        this.idleClose = idleClose;
        this.clock = clock;
    }

    /** The start (epoch seconds) of the window holding an entry recorded at {@code at}. */
    long windowOf(Instant at) {
        return UsageWindow.startSecond(at.getEpochSecond(), lengthSeconds);
    }

    /**
     * The window (start, epoch seconds) an entry recorded at {@code at}, in window {@code windowStart}, counts in: its
     * own, or, when it is late (ledger time before the closing boundary), the first window still open.
     */
    long countsIn(Instant closedThrough, Instant at, long windowStart) {
        return closedThrough != null && at.isBefore(closedThrough)
                ? UsageWindow.startSecond(closedThrough.getEpochSecond(), lengthSeconds)
                : windowStart;
    }

    /**
     * The closing boundary once the chain passed an entry of window {@code windowStart}: every window ending at or
     * before that start gets no more entries. It never moves back.
     */
    static Instant passed(Instant closedThrough, long windowStart) {
        return closedThrough == null || windowStart > closedThrough.getEpochSecond()
                ? Instant.ofEpochSecond(windowStart)
                : closedThrough;
    }

    /**
     * On a partition with nothing left to read, windows ending at or before this instant close now: nothing recorded
     * in them can still arrive, given that entries reach the topic within the idle-close time.
     */
    Instant idleBoundary() {
        return UsageWindow.startOf(clock.instant().minus(idleClose), length);
    }

    UsageWindow window(String tenantId, String meter, long windowStart) {
        return UsageWindow.starting(tenantId, meter, windowStart, length);
    }

    Duration length() {
        return length;
    }
}
