package dev.ledger.meter.bench;

import org.junit.jupiter.api.Test;

/**
 * {@code ./ledger bench MeterReaderThroughputBench [-Dentries=N] [-Drounds=3] [-Dwarmups=2]}: runs
 * {@link MeterReaderBench} (bare consumer loop vs the meter-reader over the same topic). Prints; asserts nothing.
 */
class MeterReaderThroughputBench {

    @Test
    void meterReaderAgainstABareConsumerLoop() throws Exception {
        String entries = System.getProperty("entries", "1000000");
        MeterReaderBench.run(new String[] {entries, "8", "4",
                String.valueOf(Math.min(200_000, Integer.parseInt(entries.replace("_", "")) / 4)),
                System.getProperty("rounds", "3"), System.getProperty("warmups", "2")});
    }
}
