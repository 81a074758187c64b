package dev.ledger.follower;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FollowerGapHoldTest {

    private final FollowerMovableClock clock = new FollowerMovableClock(Instant.parse("2026-12-01T00:00:00Z"));
    private final GapHold<String> hold = new GapHold<>(3, Duration.ofSeconds(60), clock);

    @Test
    void givenHeldEntries_whenTheirPredecessorArrives_thenTheyAreTakenInOrderAndNothingExpires() {
        assertThat(hold.hold("t", 3, hash(3), "e3")).isEqualTo(GapHold.Held.HELD);
        assertThat(hold.hold("t", 4, hash(4), "e4")).isEqualTo(GapHold.Held.HELD);
        assertThat(hold.take("t", 2)).isNull();
        assertThat(hold.take("t", 3)).isEqualTo("e3");
        assertThat(hold.take("t", 4)).isEqualTo("e4");
        clock.advance(Duration.ofHours(1));
        assertThat(hold.expire()).isEmpty();
    }

    @Test
    void givenAGap_whenTheClockPassesTheGapWait_thenItsTenantExpiresAndOnlyIt() {
        hold.hold("a", 5, hash(5), "a5");
        clock.advance(Duration.ofSeconds(30));
        hold.hold("b", 9, hash(9), "b9");
        clock.advance(Duration.ofSeconds(30));
        assertThat(hold.expire()).isEmpty(); // exactly the gap wait: not past it
        clock.advance(Duration.ofSeconds(1));
        assertThat(hold.expire()).containsExactly("a");
        assertThat(hold.heldEntries("a")).isZero();
        assertThat(hold.heldEntries("b")).isEqualTo(1);
    }

    @Test
    void givenAFullHold_thenTheNextEntryIsRefusedAndAnotherHashOfAHeldSequenceIsAConflict() {
        hold.hold("t", 3, hash(3), "e3");
        hold.hold("t", 4, hash(4), "e4");
        hold.hold("t", 5, hash(5), "e5");
        assertThat(hold.hold("t", 6, hash(6), "e6")).isEqualTo(GapHold.Held.FULL);
        assertThat(hold.hold("t", 4, hash(4), "again")).isEqualTo(GapHold.Held.ALREADY_HELD);
        assertThat(hold.hold("t", 4, hash(40), "forged")).isEqualTo(GapHold.Held.CONFLICT);
    }

    private static byte[] hash(int n) {
        byte[] h = new byte[32];
        h[0] = (byte) n;
        return h;
    }
}
