package dev.ledger.meter.bench;

import org.junit.jupiter.api.Test;

/**
 * {@code ./ledger bench MeterReaderThroughputBench [-Dentries=N] [-Drounds=5] [-Dwarmups=2] [-DwarmupEntries=N]
 * [-DstartCycles=40]}:
 * runs {@link MeterReaderBench} (bare consumer loop vs the meter-reader over the same topic). Prints; asserts nothing.
 * Warm-up topics are as large as the measured ones: with a fifth of the entries, the consumer's network code and
 * the batch applier reached C2 only during the first measured round (up to 2.8 s of compiler CPU in it).
 */
class MeterReaderThroughputBench {

    @Test
    void meterReaderAgainstABareConsumerLoop() throws Exception {
        String entries = System.getProperty("entries", "1000000");
        MeterReaderBench.run(new String[] {entries, "8", "4",
                System.getProperty("warmupEntries", entries),
                System.getProperty("rounds", "5"), System.getProperty("warmups", "2"),
                System.getProperty("startCycles", "40")});
    }
}
