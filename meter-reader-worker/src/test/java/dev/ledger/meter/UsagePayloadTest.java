package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.messages.UsageRecorded;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The byte-scanning read of a usage payload bills exactly what Jackson's reading of the payload bills. */
class UsagePayloadTest {

    private static final String TYPE = dev.ledger.core.entry.EntryTypes.nameOf(UsageRecorded.class);

    @Test
    void theLedgersOwnUsagePayloadsAreReadWithoutAParserToTheSameUnits() throws Exception {
        Random random = new Random(3);
        for (int i = 0; i < 2_000; i++) {
            long quantity = random.nextInt(4) == 0 ? Math.abs(random.nextLong() % 1_000_000_000_000_000_000L) : random.nextInt(1000);
            byte[] payload = LedgerJson.mapper().writeValueAsBytes(new UsageRecorded("t-" + i, "us-" + random.nextInt(),
                    "meter_" + random.nextInt(9), quantity, "2026-11-22T10:00:00Z"));
            LedgerEvent.BillableUnits fast = UsagePayload.billable(payload);
            assertThat(fast).as(new String(payload, StandardCharsets.UTF_8)).isNotNull();
            assertThat(fast).isEqualTo(dev.ledger.core.entry.EntryTypes.read(TYPE, payload).billable().orElseThrow());
        }
    }

    /** Property: whatever one byte becomes, the fast path answers Jackson's units or leaves the payload to Jackson. */
    @Test
    void aChangedPayloadIsBilledAsJacksonReadsItOrLeftToJackson() throws Exception {
        byte[] alphabet = "\"\\{}:,.-+eE0123456789 abcnul\u00e9".getBytes(StandardCharsets.UTF_8);
        Random random = new Random(5);
        int fast = 0;
        for (int round = 0; round < 30_000; round++) {
            byte[] payload = LedgerJson.mapper().writeValueAsBytes(new UsageRecorded("t-1", "us-" + round, "tokens",
                    random.nextInt(5_000), "2026-11-22T10:00:00Z"));
            payload[random.nextInt(payload.length)] = random.nextInt(5) == 0 ? (byte) random.nextInt(256)
                    : alphabet[random.nextInt(alphabet.length)];
            LedgerEvent.BillableUnits units = UsagePayload.billable(payload);
            if (units == null) {
                continue;
            }
            fast++;
            assertThat(units).as(new String(payload, StandardCharsets.ISO_8859_1))
                    .isEqualTo(dev.ledger.core.entry.EntryTypes.read(TYPE, payload).billable().orElseThrow());
        }
        assertThat(fast).isGreaterThan(5_000);
    }
}
