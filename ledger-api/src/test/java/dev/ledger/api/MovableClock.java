package dev.ledger.api;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock for tests: the system clock in UTC plus an offset the test moves forward with {@link #advance(Duration)},
 * so time keeps passing as usual between moves (a service under test never sees its clock stand still or go back).
 * Give it to {@link RunningLedger#start(SharedInfrastructure, java.util.Map, Clock)} or to a worker's entry point.
 */
public final class MovableClock extends Clock {

    private final Clock base = Clock.systemUTC();
    private final AtomicLong offsetNanos = new AtomicLong();

    /** Moves the clock forward by {@code by} (never back). */
    public void advance(Duration by) {
        if (by.isNegative()) {
            throw new IllegalArgumentException("a clock moves forward only: " + by);
        }
        offsetNanos.addAndGet(by.toNanos());
    }

    @Override
    public Instant instant() {
        return base.instant().plusNanos(offsetNanos.get());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        throw new UnsupportedOperationException("a movable clock stays in UTC");
    }
}
