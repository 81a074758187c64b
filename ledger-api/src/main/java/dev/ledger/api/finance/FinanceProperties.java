package dev.ledger.api.finance;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The finance projection's pace ({@code LEDGER_FINANCE_*}): how often it looks for new entries, how many entries one
 * transaction projects, and how many batches of one chain a pass takes before it turns to the next chain.
 */
@ConfigurationProperties(prefix = "ledger.finance")
public record FinanceProperties(@DefaultValue("500ms") Duration interval, @DefaultValue("5000") int batchSize,
                                @DefaultValue("20") int maxBatchesPerPass) {

    public FinanceProperties {
        if (interval.isNegative() || interval.isZero() || batchSize < 1 || maxBatchesPerPass < 1) {
            throw new IllegalArgumentException("ledger.finance: interval, batch-size and max-batches-per-pass must be positive");
        }
    }
}
