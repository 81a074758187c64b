package dev.ledger.ops.stripe;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The emulator's one clock: a base clock (the system's, or one a test supplies) shifted by an offset that
 * {@link StripeEmulator#advanceClock}, {@link StripeEmulator#setNow} and {@code POST /_emulator/clock} move. Nothing
 * in the emulator reads the time otherwise: the router reads it once per call and hands it to the resource in
 * {@link ApiCall#now()}. A Stripe test clock (a frozen time that only moves when advanced) is the same shape: a
 * resource for it will keep one frozen instant per clock and answer that for objects attached to it.
 */
final class EmulatorClock extends Clock {
    private final Clock base;
    /** Shared by every zone view of this clock, so moving one moves them all. */
    private final AtomicReference<Duration> offset;

    EmulatorClock(Clock base) {
        this(base, new AtomicReference<>(Duration.ZERO));
    }

    private EmulatorClock(Clock base, AtomicReference<Duration> offset) {
        this.base = base;
        this.offset = offset;
    }

    @Override
    public ZoneId getZone() {
        return base.getZone();
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return new EmulatorClock(base.withZone(zone), offset);
    }

    @Override
    public Instant instant() {
        return base.instant().plus(offset.get());
    }

    void advance(Duration by) {
        offset.updateAndGet(d -> d.plus(by));
    }

    /** From here on the clock reads {@code now} plus whatever the base clock moves. */
    void set(Instant now) {
        offset.set(Duration.between(base.instant(), now));
    }
}
