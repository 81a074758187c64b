package dev.ledger.follower;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FollowerArrivalTest {

    @Test
    void givenAPosition_thenEachRecordFallsNextDuplicateForkOrAhead() {
        RecentHashes recent = new RecentHashes();
        for (int s = 1; s <= 5; s++) {
            recent.record(s, hash(s));
        }
        assertThat(Arrival.of(5, hash(5), recent, 6, hash(6))).isEqualTo(Arrival.NEXT);
        assertThat(Arrival.of(5, hash(5), recent, 8, hash(8))).isEqualTo(Arrival.AHEAD);
        assertThat(Arrival.of(5, hash(5), recent, 5, hash(5))).isEqualTo(Arrival.DUPLICATE);
        assertThat(Arrival.of(5, hash(5), recent, 3, hash(3))).isEqualTo(Arrival.DUPLICATE);
        assertThat(Arrival.of(5, hash(5), recent, 5, hash(50))).isEqualTo(Arrival.FORK);
        assertThat(Arrival.of(5, hash(5), recent, 3, hash(30))).isEqualTo(Arrival.FORK);
    }

    @Test
    void givenASequenceOlderThanTheRing_thenItCannotBeToldAndIsADuplicate() {
        RecentHashes recent = new RecentHashes();
        for (int s = 1; s <= RecentHashes.SLOTS + 10; s++) {
            recent.record(s, hash(s));
        }
        long last = RecentHashes.SLOTS + 10;
        assertThat(Arrival.of(last, hash((int) last), recent, 2, hash(99))).isEqualTo(Arrival.DUPLICATE);
        assertThat(Arrival.of(last, hash((int) last), recent, last - 1, hash(99))).isEqualTo(Arrival.FORK);
    }

    private static byte[] hash(int n) {
        byte[] h = new byte[32];
        h[0] = (byte) n;
        h[1] = (byte) (n >> 8);
        return h;
    }
}
