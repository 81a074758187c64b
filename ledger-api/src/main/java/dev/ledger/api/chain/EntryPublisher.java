package dev.ledger.api.chain;

import dev.ledger.api.config.LedgerProperties;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.trace.RequestId;
import jakarta.annotation.PreDestroy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Instant;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.InvalidRecordException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The event store is the outbox, read once: one thread reads committed rows of {@code domain_event_entry} in global
 * order, 2,000 at a time, builds each Kafka record from the row's stored bytes (EntryCodec: no Axon
 * deserialization, no second query) and publishes it (key = tenant id, idempotent producer). Only after Kafka
 * acknowledged every record of a batch is its position written (publication_position), in one transaction with the
 * highest sequence of each chain dealt with (publication_head, for the {@link PublicationReconciler}) and the entries
 * parked. Delivery is at least once; consumers dedupe on (tenant, sequence).
 *
 * <p>Never skipped, never reordered within a chain: an index below the newest one read that is not visible yet belongs
 * to an append still open (or rolled back). It is a gap, read again every cycle, and passed only once it has been
 * seen for the gap timeout: at least three append bounds (PostgreSQL ends an append's transaction within one), so
 * by then its append committed, and was read, or never will ({@link EventStoreConfig.GapBounds}).
 *
 * <p>Kafka being away holds publication back (the batch is read and sent again) and loses nothing. A record Kafka
 * refuses for a reason of its own (too large for the topic, invalid) can never be published by retrying, so it is
 * parked ({@link ParkedEntries}) in the position's transaction, and the other entries go on.
 *
 * <p>Its lag, {@code ledger_publication_lag_seconds}: how long before its Kafka acknowledgement the oldest entry of
 * the last batch was recorded (0 while nothing waits).
 */
@Component
public class EntryPublisher {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EntryPublisher.class);

    /**
     * Rows read per cycle. Under WriteLoadBench (a), with the pipeline: 5,000 left the publisher 12,002 entries behind
     * at the end (its lag gauge about 3 s during the phase), 2,000 left it 3,000 behind (1.2-1.8 s, most of it the
     * appends' own latency before their commit).
     */
    static final int BATCH = 2_000;
    /**
     * Rows read per cycle while behind: each cycle that found a full batch doubles the next one, up to this; a cycle
     * that reads less starts again from {@link #BATCH}. A cycle's fixed costs (the query, the wait for Kafka, the commit
     * of the position) are then shared by more rows exactly when the publisher has to catch up, and a caught-up one
     * keeps short cycles.
     */
    static final int BATCH_BEHIND = 8_000;
    /** Rows the next cycle reads. */
    private int limit = BATCH;
    /** The most global indexes waited for at once (the pool holds at most its connections x 1,000 in flight). */
    static final int MAX_GAPS = 200_000;
    /** The pause after a cycle that read less than a batch; doubled while cycles read nothing, up to the longest. */
    private static final long IDLE_MILLIS = 20;
    /** How often a standby instance looks whether it may publish (DatabaseLease). */
    private static final long STANDBY_MILLIS = 1_000;
    private static final long IDLE_LONGEST_MILLIS = 160;
    private static final String SELECT = "select " + EntryReader.COLUMNS + ", global_index, request_id from domain_event_entry ";

    private final JdbcTemplate jdbc;
    private final TransactionTemplate transactions;
    private final ParkedEntries parkedEntries;
    private final EventStoreConfig.GapBounds gapBounds;
    private final Clock clock;
    /** The producer's settings, TLS/SASL of the deployment included (KafkaClientSecurity, the one mapping). */
    private final Map<String, Object> producerConfig;
    /** Created at the first batch, once the topic's limits are known; guarded by this (closed from another thread). */
    private KafkaProducer<String, byte[]> producer;
    private boolean closed;
    /** Records above this many bytes are parked without being sent (the topic refuses them). */
    private long topicRecordLimit = Long.MAX_VALUE;
    private final String topic;
    private final EntryTopic entryTopic;
    /** Publisher thread only. */
    private boolean topicReady;
    /** Publisher thread only: where the last batch read leads (readMax, readGaps) and the batch sent, not yet recorded. */
    private long readMax;
    private TreeMap<Long, Long> readGaps = new TreeMap<>();
    private Batch inFlight;
    /**
     * Index → when it was first seen missing ({@link System#nanoTime}: the gap timeout measures elapsed time, as
     * PostgreSQL's transaction_timeout does, whatever the ledger's clock says; stored as epoch milliseconds of that
     * clock, for a restart).
     */
    private final TreeMap<Long, Long> gaps = new TreeMap<>();
    /** For tests and operators: the highest global index passed, and whether the last cycle found nothing new. */
    private volatile long published;
    private volatile boolean caughtUp;
    private final AtomicLong lagMillis = new AtomicLong();
    /** Appends wait while this publisher is too far behind (PublicationBackpressure). */
    private final PublicationBackpressure backpressure;
    private final Counter publishedEntries;
    private volatile boolean running;
    private Thread thread;
    /** Whether this instance is the one that publishes to the topic (one per topic across instances). */
    private final DatabaseLease lease;
    private volatile boolean leading;

    public EntryPublisher(LedgerProperties props, PublicationProperties publication, JdbcTemplate jdbc,
                          PlatformTransactionManager transactionManager, ParkedEntries parkedEntries,
                          EventStoreConfig.GapBounds gapBounds, Clock clock, MeterRegistry metrics) {
        checkSizes(publication);
        this.backpressure = new PublicationBackpressure(publication.maxBacklog(), publication.backlogWait(), System::nanoTime);
        this.jdbc = jdbc;
        this.transactions = new TransactionTemplate(transactionManager);
        this.parkedEntries = parkedEntries;
        this.gapBounds = gapBounds;
        this.clock = clock;
        this.topic = props.entriesTopic();
        this.producerConfig = props.kafkaSecurity().with(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, props.kafkaBootstrapServers(),
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5,
                // explicit, and checked against the largest record an accepted entry becomes (checkSizes)
                ProducerConfig.MAX_REQUEST_SIZE_CONFIG, publication.producerMaxRequestBytes(),
                ProducerConfig.CLIENT_ID_CONFIG, "ledger-api-publisher",
                ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000,
                ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000));
        Map<String, Object> adminConfig = new HashMap<>(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, props.kafkaBootstrapServers(),
                AdminClientConfig.CLIENT_ID_CONFIG, "ledger-api-topics"));
        this.entryTopic = new EntryTopic(topic, props.kafkaSecurity().with(adminConfig), publication, metrics);
        Gauge.builder("ledger.publication.lag.seconds", lagMillis, m -> m.get() / 1000.0)
                .description("how long before its Kafka acknowledgement the oldest entry of the last published batch was"
                        + " recorded (0 while nothing waits)").register(metrics);
        this.publishedEntries = Counter.builder("ledger.publication.published").description("entries published to Kafka")
                .register(metrics);
        // one instance publishes to a topic, the others stand by (every instance published every entry before)
        this.lease = new DatabaseLease(jdbc.getDataSource(), "publisher:" + topic);
        Gauge.builder("ledger.publication.leader", this, p -> p.leading ? 1 : 0)
                .description("1 on the instance that publishes to the topic, 0 on one standing by").register(metrics);
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        running = true;
        thread = Thread.ofPlatform().name("entry-publisher").daemon().start(this::run);
    }

    /** The highest global index this publisher has passed (every committed entry up to it is published or parked). */
    public long position() {
        return published;
    }

    /** Whether its last cycle found nothing new to publish. */
    public boolean caughtUp() {
        return caughtUp;
    }

    private void run() {
        int failures = 0;
        boolean loaded = false;
        long idle = IDLE_MILLIS;
        while (running) {
            try {
                leading = lease.held();
                if (!leading) {
                    // another instance publishes: follow the stored position (for position()) and try again later
                    loaded = false;
                    caughtUp = false;
                    Long stored = jdbc.queryForObject("select max_index from publication_position where id = 1", Long.class);
                    published = stored == null ? 0 : stored;
                    pause(STANDBY_MILLIS);
                    continue;
                }
                if (!loaded) {
                    load();
                    loaded = true;
                }
                int wanted = limit;
                int read = cycle();
                failures = 0;
                backpressure.progressed(published);
                limit = read >= wanted ? Math.min(wanted * 2, BATCH_BEHIND) : BATCH;
                if (read < wanted) {
                    pause(idle);
                }
                idle = read == 0 ? Math.min(idle * 2, IDLE_LONGEST_MILLIS) : IDLE_MILLIS;
            } catch (RuntimeException e) {
                failures++;
                long backoff = Math.min(200L << Math.min(failures, 5), 5_000);
                log.warn("publication: batch not published ({}: {}); retrying in {} ms", e.getClass().getSimpleName(),
                        e.getMessage(), backoff);
                loaded = false; // read the stored position again: nothing of the failed batch was recorded
                pause(backoff);
            }
        }
    }

    private long newestIndex() {
        Long newest = jdbc.queryForObject("select max(global_index) from domain_event_entry", Long.class);
        return newest == null ? 0 : newest;
    }

    /** Waits while the publisher is too far behind the store and making progress (PublicationBackpressure). */
    public void awaitBacklog() {
        backpressure.await();
    }

    /** The stored position. */
    private void load() {
        inFlight = null; // sent but not recorded: read and sent again (at least once)
        jdbc.query("select max_index, gaps, gaps_seen from publication_position where id = 1", rs -> {
            readMax = rs.getLong(1);
            Long[] g = (Long[]) rs.getArray(2).getArray();
            Long[] seen = (Long[]) rs.getArray(3).getArray();
            gaps.clear();
            for (int i = 0; i < g.length; i++) {
                gaps.put(g[i], seenNanos(seen[i]));
            }
        });
        readGaps = new TreeMap<>(gaps);
        published = readMax;
    }

    /**
     * One cycle of the pipeline: reads the batch after the last one read (from the position that batch leads to),
     * sends it, then waits for the previous batch's acknowledgements and records that one. Reading and sending a batch
     * so overlap the wait for Kafka and the previous commit (one batch at a time took a second per 5,000 entries under
     * the write benchmark's load, waiting, not computing). Answers how many rows were read.
     */
    int cycle() {
        Batch batch = read();
        if (!batch.rows.isEmpty()) {
            batch.sent = send(batch.entries(), batch.rows.stream().map(Row::requestId).toList());
        }
        if (inFlight != null) {
            record(inFlight);
            inFlight = null;
        }
        if (batch.rows.isEmpty() && batch.gaps.equals(readGaps)) {
            caughtUp = true;
            lagMillis.set(0);
            return 0;
        }
        readMax = batch.max;
        readGaps = batch.gaps;
        if (batch.rows.isEmpty()) {
            record(batch); // only gaps passed: nothing to wait for
        } else {
            inFlight = batch;
        }
        return batch.rows.size();
    }

    /** A batch read: its rows, and the position once it is recorded. */
    private static final class Batch {
        final List<Row> rows;
        final long max;
        final TreeMap<Long, Long> gaps;
        Sent sent;

        Batch(List<Row> rows, long max, TreeMap<Long, Long> gaps) {
            this.rows = rows;
            this.max = max;
            this.gaps = gaps;
        }

        List<StoredEntry> entries() {
            return rows.stream().map(Row::entry).toList();
        }
    }

    /** The batch after the last one read, and the position it leads to. */
    private Batch read() {
        long now = System.nanoTime(); // before reading: a gap this old that is still not visible never will be
        long from = readMax;
        TreeMap<Long, Long> waited = readGaps;
        // gaps and what follows in one statement, so one snapshot: an append committing between two reads could
        // otherwise show a chain's next entry without the one before it
        List<Row> rows = jdbc.query(con -> {
            var ps = con.prepareStatement("select * from ((" + SELECT + "where global_index = any(?)) union all (" + SELECT
                    + "where global_index > ? order by global_index limit " + limit + ")) r order by 12");
            ps.setArray(1, con.createArrayOf("bigint", waited.keySet().toArray()));
            ps.setLong(2, from);
            return ps;
        }, (rs, i) -> row(rs));
        long max = from;
        TreeMap<Long, Long> nextGaps = new TreeMap<>(waited);
        for (Row r : rows) {
            if (nextGaps.remove(r.index()) != null) {
                continue;
            }
            for (long missing = Math.max(max + 1, r.index() - gapBounds.maxGapOffset()); missing < r.index(); missing++) {
                nextGaps.put(missing, now);
            }
            max = Math.max(max, r.index());
        }
        long timeout = gapBounds.gapTimeoutMillis() * 1_000_000L;
        long lowest = max - gapBounds.maxGapOffset();
        nextGaps.entrySet().removeIf(g -> now - g.getValue() >= timeout || g.getKey() < lowest);
        if (nextGaps.size() > MAX_GAPS) {
            // never seen: the pool holds far fewer indexes in flight. The newest are kept; the oldest are the likeliest
            // to be rolled back, and they are said by name
            while (nextGaps.size() > MAX_GAPS) {
                log.error("ALERT publication: more than {} global indexes wait at once; index {} is no longer waited for",
                        MAX_GAPS, nextGaps.pollFirstEntry().getKey());
            }
        }
        if (backpressure.enabled()) {
            // a read short of its limit saw every row visible: the store's newest is the batch's; only a full one asks
            backpressure.storeAt(rows.size() < limit ? max : newestIndex());
        }
        return new Batch(rows, max, nextGaps);
    }

    /** Waits for a sent batch's acknowledgements, then records its position, heads and parked entries in one transaction. */
    private void record(Batch batch) {
        List<StoredEntry> entries = batch.entries();
        List<Map.Entry<StoredEntry, ParkedEntries.ParkReason>> parked = batch.sent == null ? List.of() : await(batch.sent);
        transactions.executeWithoutResult(status -> {
            if (!parked.isEmpty()) {
                parkedEntries.park(parked);
            }
            recordHeads(entries);
            Long[] g = batch.gaps.keySet().toArray(Long[]::new);
            Long[] seen = batch.gaps.values().stream().map(this::seenMillis).toArray(Long[]::new);
            jdbc.update(con -> {
                var ps = con.prepareStatement("update publication_position set max_index = ?, gaps = ?, gaps_seen = ?,"
                        + " updated_at = now() where id = 1");
                ps.setLong(1, batch.max);
                ps.setArray(2, con.createArrayOf("bigint", g));
                ps.setArray(3, con.createArrayOf("bigint", seen));
                return ps;
            });
        });
        gaps.clear();
        gaps.putAll(batch.gaps);
        published = batch.max;
        caughtUp = false;
        publishedEntries.increment(entries.size() - parked.size());
        long oldest = oldestRecorded(entries);
        lagMillis.set(oldest == Long.MAX_VALUE ? 0 : Math.max(0, clock.millis() - oldest));
        if (!parked.isEmpty()) {
            afterCommit(parked);
        }
    }

    /** When a gap was first seen, as stored (epoch milliseconds of the ledger's clock), from its System.nanoTime. */
    private long seenMillis(long seenNanos) {
        return clock.millis() - (System.nanoTime() - seenNanos) / 1_000_000;
    }

    /** The System.nanoTime a stored first-seen time stands for now (never in the future). */
    private long seenNanos(long seenMillis) {
        return System.nanoTime() - Math.max(0, clock.millis() - seenMillis) * 1_000_000;
    }

    /** One stored row: the entry, and where it sits in the store's global order. */
    private record Row(long index, StoredEntry entry, String requestId) {
    }

    private static Row row(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Row(rs.getLong(12), EntryReader.map(rs), rs.getString(13));
    }

    /**
     * When the oldest entry of a batch was recorded. The ledger writes recorded_at in one ISO-8601 UTC form, whose text
     * order is time order to the millisecond, so only the earliest text is parsed (parsing all 2,000 was a tenth of
     * the publisher's CPU).
     */
    private static long oldestRecorded(List<StoredEntry> entries) {
        String oldest = null;
        for (StoredEntry e : entries) {
            if (oldest == null || e.recordedAt().compareTo(oldest) < 0) {
                oldest = e.recordedAt();
            }
        }
        try {
            return oldest == null ? Long.MAX_VALUE : dev.ledger.core.chain.RecordedAt.parse(oldest).toEpochMilli();
        } catch (java.time.DateTimeException unparsed) {
            return Long.MAX_VALUE; // not a time this gauge can use
        }
    }

    private void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    /**
     * The producer, with batches no larger than the topic accepts: a batch above the topic's {@code max.message.bytes}
     * is refused whole, and splitting an idempotent batch stalled the partition (OUT_OF_ORDER_SEQUENCE_NUMBER).
     */
    private KafkaProducer<String, byte[]> newProducer() {
        long accepted = entryTopic.acceptedBatchBytes();
        Map<String, Object> config = new HashMap<>(producerConfig);
        // entries are ~1 KB on the wire: the default 16 KB batches made one produce request per ~16 entries
        long batch = 256 * 1024;
        if (accepted > 0) {
            topicRecordLimit = accepted;
            batch = Math.max(1024, Math.min(batch, accepted - RECORD_FRAMING_BYTES));
        }
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, (int) batch);
        return new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    /** Room for a record batch's header and one record's framing (key, headers, varints) around its value. */
    static final int RECORD_FRAMING_BYTES = 512;

    /** Refuses a configuration whose largest accepted entry could become a record the producer refuses. */
    static void checkSizes(PublicationProperties p) {
        if (p.maxEntryBytes() < 4096) {
            throw new IllegalStateException("LEDGER_PUBLICATION_MAX_ENTRY_BYTES (" + p.maxEntryBytes() + ") must be at least 4096");
        }
        if (p.largestRecordBytes() > p.producerMaxRequestBytes()) {
            throw new IllegalStateException("LEDGER_PUBLICATION_MAX_ENTRY_BYTES (" + p.maxEntryBytes() + ") becomes Kafka records of up to "
                    + p.largestRecordBytes() + " bytes (base64 and " + PublicationProperties.RECORD_OVERHEAD_BYTES
                    + " bytes of record overhead), more than LEDGER_PUBLICATION_PRODUCER_MAX_REQUEST_BYTES (max.request.size "
                    + p.producerMaxRequestBytes() + "): lower the first or raise the second (and the topic's max.message.bytes)");
        }
    }

    /** A batch handed to the producer: what each entry became (a send, or parked before sending). */
    private record Sent(List<StoredEntry> entries, List<Future<RecordMetadata>> sends, List<Integer> sizes,
                        List<Map.Entry<StoredEntry, ParkedEntries.ParkReason>> parked) {
    }

    /** Sends the entries in order, without waiting for Kafka. */
    private Sent send(List<StoredEntry> entries, List<String> requestIds) {
        // Kafka is contacted only when there is something to publish (an idle ledger opens no connection to it)
        if (!topicReady) {
            topicReady = entryTopic.ensure();
        }
        if (!running) {
            throw new IllegalStateException("the publisher is stopping"); // no producer is made now
        }
        KafkaProducer<String, byte[]> producer = producer();
        List<Map.Entry<StoredEntry, ParkedEntries.ParkReason>> parked = new ArrayList<>();
        List<Future<RecordMetadata>> sent = new ArrayList<>(entries.size());
        List<Integer> sizes = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            StoredEntry entry = entries.get(i);
            byte[] value;
            try {
                value = EntryCodec.encode(entry);
            } catch (RuntimeException unencodable) {
                parked.add(new AbstractMap.SimpleEntry<>(entry, ParkedEntries.ParkReason.of(unencodable, 0)));
                sent.add(null);
                sizes.add(0);
                continue;
            }
            if (value.length + RECORD_FRAMING_BYTES > topicRecordLimit) {
                // sent, the broker would refuse the batch holding it, and the producer's split-and-retry of an
                // idempotent batch ends in OUT_OF_ORDER_SEQUENCE_NUMBER for every record behind it
                parked.add(new AbstractMap.SimpleEntry<>(entry, ParkedEntries.ParkReason.of(new RecordTooLargeException(
                        "the record (" + value.length + " bytes) exceeds the topic's max.message.bytes (" + topicRecordLimit + ")"),
                        value.length)));
                sent.add(null);
                sizes.add(value.length);
                continue;
            }
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, entry.tenantId(), value);
            String requestId = requestIds.get(i);
            if (requestId != null) { // the request it came from, for whoever reads the topic (RequestId)
                record.headers().add(RequestId.HEADER, requestId.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            }
            sent.add(producer.send(record));
            sizes.add(value.length);
        }
        return new Sent(entries, sent, sizes, parked);
    }

    /** Waits for Kafka's acknowledgements; answers the entries parked, those Kafka refused for themselves included. */
    private List<Map.Entry<StoredEntry, ParkedEntries.ParkReason>> await(Sent batch) {
        List<StoredEntry> entries = batch.entries();
        List<Future<RecordMetadata>> sent = batch.sends();
        List<Integer> sizes = batch.sizes();
        List<Map.Entry<StoredEntry, ParkedEntries.ParkReason>> parked = new ArrayList<>(batch.parked());
        // no flush: it would also wait for the batch sent after this one; linger.ms sends every record within 5 ms
        try {
            for (int i = 0; i < sent.size(); i++) {
                if (sent.get(i) == null) {
                    continue;
                }
                try {
                    sent.get(i).get();
                } catch (ExecutionException e) {
                    if (!refusedForItself(e.getCause())) {
                        throw new IllegalStateException("Kafka did not acknowledge entries; the batch will be retried", e.getCause());
                    }
                    parked.add(new AbstractMap.SimpleEntry<>(entries.get(i), ParkedEntries.ParkReason.of(e.getCause(), sizes.get(i))));
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while publishing entries", e);
        }
        return parked;
    }

    /**
     * Kafka refused this record and would refuse it again, whatever else happens: only these are parked. Anything
     * else (a broker away, a timeout, a fenced producer, missing rights) holds the batch back and retries it.
     */
    static boolean refusedForItself(Throwable error) {
        return error instanceof RecordTooLargeException || error instanceof RecordBatchTooLargeException
                || error instanceof InvalidRecordException || error instanceof SerializationException;
    }

    /** The highest sequence of each chain in this batch, in the position's transaction. */
    private void recordHeads(List<StoredEntry> entries) {
        Map<String, Long> heads = new HashMap<>();
        for (StoredEntry e : entries) {
            heads.merge(e.tenantId(), e.sequence(), Math::max);
        }
        if (heads.isEmpty()) {
            return;
        }
        List<Map.Entry<String, Long>> rows = new ArrayList<>(heads.entrySet());
        jdbc.batchUpdate("insert into publication_head (tenant_id, sequence) values (?, ?) on conflict (tenant_id)"
                + " do update set sequence = greatest(publication_head.sequence, excluded.sequence)", rows, rows.size(), (ps, r) -> {
                    ps.setString(1, r.getKey());
                    ps.setLong(2, r.getValue());
                });
    }

    private void afterCommit(List<Map.Entry<StoredEntry, ParkedEntries.ParkReason>> parked) {
        if (parked.isEmpty()) {
            return;
        }
        for (Map.Entry<StoredEntry, ParkedEntries.ParkReason> p : parked) {
            log.warn("publication: entry {} of tenant {} ({} bytes) was refused by Kafka ({}); it is parked (GET"
                    + " /v1/admin/publication/parked) and publication goes on", p.getKey().sequence(), p.getKey().tenantId(),
                    p.getValue().recordBytes(), p.getValue().reason());
        }
        try {
            parkedEntries.refresh();
        } catch (RuntimeException e) {
            // the gauge is read again on the next reconciliation
        }
    }

    /** The producer, made at the first batch; never one once closed (a stopping ledger leaks no Kafka client). */
    private synchronized KafkaProducer<String, byte[]> producer() {
        if (closed) {
            throw new IllegalStateException("the publisher is stopping");
        }
        if (producer == null) {
            producer = newProducer();
        }
        return producer;
    }

    @PreDestroy
    void close() {
        running = false;
        backpressure.stopped();
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (this) {
            closed = true;
            if (producer != null) {
                producer.close(java.time.Duration.ofSeconds(5)); // also ends a flush still waiting for an unreachable Kafka
            }
        }
        lease.close(); // after the thread: a standby takes over from the position this one recorded
    }
}
