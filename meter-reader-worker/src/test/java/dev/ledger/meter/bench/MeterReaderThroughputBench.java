package dev.ledger.meter.bench;

import org.junit.jupiter.api.Test;

/**
 * {@code ./ledger bench MeterReaderThroughputBench [-Dentries=N]}: runs
 * {@link MeterReaderBench} (bare consumer loop vs the meter-reader over the same topic). Prints; asserts nothing.
 */
class MeterReaderThroughputBench {

    @Test
    void meterReaderAgainstABareConsumerLoop() throws Exception {
        MeterReaderBench.run(new String[] {System.getProperty("entries", "1000000")});
    }
}
