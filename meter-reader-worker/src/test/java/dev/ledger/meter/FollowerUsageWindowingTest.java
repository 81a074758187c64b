package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The windowing alone, without PostgreSQL, Kafka or Stripe: one tenant's closing boundary walked through entries in
 * ledger time, and the idle close driven by the worker's clock, which the test moves.
 */
class FollowerUsageWindowingTest {

    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
    private final FollowerMovableClock clock = new FollowerMovableClock(T0);
    private final UsageWindowing windowing = new UsageWindowing(Duration.ofMinutes(1), Duration.ofSeconds(15), clock);

    @Test
    void givenEntriesInOrder_thenEachCountsInItsOwnWindowAndTheChainClosesTheWindowsItPassed() {
        Instant closed = null;
        Instant first = T0.plusSeconds(10);
        long w1 = windowing.windowOf(first);
        assertThat(Instant.ofEpochSecond(w1)).isEqualTo(T0);
        assertThat(windowing.countsIn(closed, first, w1)).isEqualTo(w1);
        closed = UsageWindowing.passed(closed, w1);
        assertThat(closed).isEqualTo(T0); // nothing ends at or before the start of the first window

        Instant third = T0.plusSeconds(130);
        long w3 = windowing.windowOf(third);
        assertThat(windowing.countsIn(closed, third, w3)).isEqualTo(w3);
        closed = UsageWindowing.passed(closed, w3);
        assertThat(closed).isEqualTo(T0.plusSeconds(120)); // the windows [10:00, 10:01) and [10:01, 10:02) are closed
    }

    @Test
    void givenALateEntry_thenItCountsInTheFirstOpenWindowAndTheBoundaryNeverMovesBack() {
        Instant closed = Instant.parse("2026-12-01T10:02:00Z");
        Instant late = T0.plusSeconds(30);
        long own = windowing.windowOf(late);
        assertThat(windowing.countsIn(closed, late, own)).isEqualTo(closed.getEpochSecond());
        assertThat(UsageWindowing.passed(closed, own)).isEqualTo(closed);
        Instant onTime = closed.plusSeconds(5);
        assertThat(windowing.countsIn(closed, onTime, windowing.windowOf(onTime))).isEqualTo(closed.getEpochSecond());
    }

    @Test
    void givenTheClockMoves_thenTheIdleBoundaryFollowsItAWholeWindowAtATime() {
        clock.set(T0.plusSeconds(70)); // 10:01:10: minus 15 s is 10:00:55, in the first window
        assertThat(windowing.idleBoundary()).isEqualTo(T0);
        clock.set(T0.plusSeconds(75)); // 10:01:00 exactly: the first window may close
        assertThat(windowing.idleBoundary()).isEqualTo(T0.plusSeconds(60));
        clock.set(T0.plusSeconds(134)); // still inside the second window's idle time
        assertThat(windowing.idleBoundary()).isEqualTo(T0.plusSeconds(60));
        clock.set(T0.plusSeconds(135));
        assertThat(windowing.idleBoundary()).isEqualTo(T0.plusSeconds(120));
    }
}
