package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The fast reader of recorded_at answers exactly what Instant.parse answers, and refuses what it refuses. */
class RecordedAtTest {

    @Test
    void readsWhatInstantParseReadsForGeneratedAndMutatedTimes() {
        Random random = new Random(23);
        String[] shapes = {"2026-11-21T10:00:00Z", "2026-11-21T10:00:00.123Z", "2024-02-29T23:59:59.999999999Z", "2023-02-29T00:00:00Z",
                "2026-04-31T10:00:00.5Z", "0000-01-01T00:00:00Z", "2026-11-21T24:00:00Z", "2026-11-21T10:00:60Z", "2026-11-21T10:00:00.Z",
                "2026-11-21T10:00:00.1234567890Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "2026-11-00T00:00:00Z",
                "2026-11-21t10:00:00z", "2026-11-21T10:00:00+02:00", "2100-02-29T00:00:00.000Z"};
        String mutations = "0123456789-:TZ.+ z";
        int fast = 0;
        for (int round = 0; round < 200_000; round++) {
            char[] v = shapes[random.nextInt(shapes.length)].toCharArray();
            for (int k = random.nextInt(3); k > 0; k--) {
                v[random.nextInt(v.length)] = random.nextBoolean() ? (char) ('0' + random.nextInt(10))
                        : mutations.charAt(random.nextInt(mutations.length()));
            }
            String text = new String(v);
            Instant expected;
            try {
                expected = Instant.parse(text);
            } catch (DateTimeParseException refused) {
                assertThat(RecordedAt.fast(text)).as("fast path accepted %s", text).isNull();
                assertThatThrownBy(() -> RecordedAt.parse(text)).isInstanceOf(DateTimeParseException.class);
                continue;
            }
            Instant read = RecordedAt.fast(text);
            if (read != null) {
                fast++;
                assertThat(read).as("fast path read %s", text).isEqualTo(expected);
            }
            assertThat(RecordedAt.parse(text)).as("read %s", text).isEqualTo(expected);
        }
        assertThat(fast).isGreaterThan(20_000);
    }
}
