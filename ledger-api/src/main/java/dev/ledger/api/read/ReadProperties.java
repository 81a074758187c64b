package dev.ledger.api.read;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How much reading the ledger allows, so that auditors' scans never take the connections and cores appends need.
 *
 * @param poolSize          how many long reads (verifications, exports) run at once in all, each on a connection of the
 *                          read pool, which is separate from the write pool and has {@link ReadPool#CHEAP_READ_CONNECTIONS}
 *                          more for cheap reads ({@code LEDGER_READ_POOL_SIZE})
 * @param tenantLongReads   long reads of one tenant's chain at once ({@code LEDGER_READ_TENANT_CONCURRENCY})
 * @param costPerSecond     read cost a tenant's chain may take per second, sustained ({@code LEDGER_READ_COST_PER_SECOND});
 *                          a cheap read (a page of entries, a proof, a checkpoint) costs 1, a long read 1 per
 *                          {@code entriesPerCost} entries it scans (at least 1)
 * @param costBurst         read cost a tenant may spend at once ({@code LEDGER_READ_COST_BURST})
 * @param entriesPerCost    entries a long read scans for one unit of cost
 * @param fetchSize         rows per round trip of a streaming cursor
 */
@ConfigurationProperties(prefix = "ledger.read")
public record ReadProperties(@DefaultValue("8") int poolSize, @DefaultValue("2") int tenantLongReads,
                             @DefaultValue("1000") long costPerSecond, @DefaultValue("10000") long costBurst,
                             @DefaultValue("1000") long entriesPerCost, @DefaultValue("1000") int fetchSize) {

    public ReadProperties {
        if (poolSize < 1 || tenantLongReads < 1 || costPerSecond < 1 || costBurst < 1 || entriesPerCost < 1 || fetchSize < 1) {
            throw new IllegalArgumentException("ledger.read.* settings must be positive");
        }
    }
}
