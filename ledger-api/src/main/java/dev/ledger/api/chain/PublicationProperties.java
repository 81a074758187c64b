package dev.ledger.api.chain;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How entries are stored and published (environment variables {@code LEDGER_PUBLICATION_*}, README table).
 *
 * @param maxEntryBytes           largest stored entry (payload + metadata bytes) the write path accepts; larger ones
 *                                answer 413 {@code entry_too_large} and nothing is recorded
 * @param producerMaxRequestBytes the publisher's {@code max.request.size}; a published record is at most
 *                                {@link #recordBytesFor}({@code maxEntryBytes}), checked at start
 * @param topicPartitions         partitions of the entries topic when the ledger creates it (0: the broker's default)
 * @param appendTransactionTimeout server-side bound of an append transaction from the moment it takes global indexes
 *                                (PostgreSQL {@code transaction_timeout}); its entries are visible to the publisher
 *                                within this time or never exist
 * @param gapTimeout              how long the publisher waits for a global index that is taken but not committed yet;
 *                                at least three append bounds, checked at start
 * @param maxGapOffset            how far (in global indexes) the publisher keeps waiting for such an index; 0 derives it
 *                                from the connection pool, the batch size and the append bound (checked at start)
 * @param reconcileInterval       how often each chain's head is compared with what was published
 * @param alertAfter              how long a chain may stay behind what was published before it is alerted
 * @param maxBacklog              entries the publisher may be behind the store before appends wait for it (0: never
 *                                wait); appends wait only while the publisher is making progress, never while Kafka
 *                                is unreachable, so an outage never stops the ledger
 * @param backlogWait             the longest one append batch waits for the publisher to come within the backlog
 */
@ConfigurationProperties(prefix = "ledger.publication")
public record PublicationProperties(@DefaultValue("262144") int maxEntryBytes,
                                    @DefaultValue("1048576") int producerMaxRequestBytes,
                                    @DefaultValue("0") int topicPartitions,
                                    @DefaultValue("10s") Duration appendTransactionTimeout,
                                    @DefaultValue("60s") Duration gapTimeout,
                                    @DefaultValue("0") int maxGapOffset,
                                    @DefaultValue("30s") Duration reconcileInterval,
                                    @DefaultValue("120s") Duration alertAfter,
                                    @DefaultValue("5000") int maxBacklog,
                                    @DefaultValue("1s") Duration backlogWait) {

    /**
     * What a record adds to an entry's stored bytes beyond their base64 form: the other members of the record
     * (tenant, event id, type and revision up to 255 characters each, hashes, names), the key and Kafka's record and
     * batch headers.
     */
    public static final int RECORD_OVERHEAD_BYTES = 4096;

    /** The largest Kafka record an entry of this many stored bytes becomes (base64 of payload and metadata). */
    public static long recordBytesFor(long entryBytes) {
        return (entryBytes + 2) / 3 * 4 + 8 + RECORD_OVERHEAD_BYTES;
    }

    /** The largest record this configuration publishes. */
    public long largestRecordBytes() {
        return recordBytesFor(maxEntryBytes);
    }
}
