package dev.ledger.follower;

import dev.ledger.core.chain.ChainVerifier;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.EntryReader;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.chain.TopicBytes;
import dev.ledger.core.config.KafkaClientSecurity;
import dev.ledger.core.trace.RequestId;
import dev.ledger.core.tenant.ChainIds;
import io.micrometer.core.instrument.Counter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Follows every tenant's chain on the entries topic for one worker, durably: each poll is applied in one transaction of
 * the worker's own database that stores the consumed offsets, the tenants' chain positions and whatever the worker did
 * with the verified entries ({@link BatchWorker}). A restart or a rebalance resumes exactly after the last committed
 * poll (Kafka's committed offsets are never used); a failed poll is rolled back and re-read from the stored offsets.
 * Redelivered entries are skipped (dedupe on tenant and sequence), a second record of a passed sequence with another
 * hash is a fork, an entry ahead of its predecessor waits in a durable hold bounded in size and in time (on the
 * worker's clock), and links and hashes are verified with ledger-core's {@link ChainVerifier}. A break or a fork stops
 * only its tenant, with an alert.
 *
 * <p>Polls are pipelined: the consumer thread only polls; preparer threads read and hash a poll (and let the worker
 * parse what it needs from each entry); one applier thread applies and commits one poll after another, each only after
 * its predecessor committed. At most {@link #MAX_IN_FLIGHT} polls are in the pipeline; a failed one makes the applier
 * discard every poll queued behind it and the consumer seeks back to the stored offsets. Whatever reads or changes the
 * stored positions on the consumer thread (a rebalance, a rewind, housekeeping, closing) first drains the pipeline.
 *
 * <p>Its tables are the worker's: {@code <prefix>_offset}, the chain table ({@code <prefix>_chain} unless the settings
 * name another, which may hold the worker's own columns beside the follower's) and {@code <prefix>_held_entry} (the
 * worker's migrations create them).
 */
public final class ChainFollower<E> implements Runnable {

    /**
     * What a worker does with one verified entry, e.g. a view a {@link BatchWorker} keeps of the entries that concern
     * it, handing them on one at a time in its {@link Poll#verified}.
     */
    public interface Worker {
        /**
         * An entry whose link and hash verified, in order per tenant, each once: in {@code transaction}, which also
         * stores the position after it (a failure rolls both back and the entry comes again).
         */
        void onVerified(StoredEntry entry, Connection transaction) throws SQLException;
    }

    /**
     * What a worker does with its tenants' verified entries, a poll at a time: {@link #prepare} runs on the preparer
     * threads for every entry read (whatever its chain says), {@link #begin} opens the worker's part of a poll's
     * transaction.
     */
    public interface BatchWorker<E> {
        /** What the worker needs of an entry later, parsed off the applier thread; never throws (refusals are values). */
        E prepare(EntryReader.Link entry, ByteBuffer record);

        /**
         * The worker's part of one poll, in {@code transaction}; {@code tenants}: the tenants the poll names;
         * {@code chainRows}: for each of them whose chain-table row exists, the values of {@link #chainColumnsRead}
         * in that order ({@link ResultSet#getObject}), read and locked with its position.
         */
        Poll<E> begin(Connection transaction, Set<String> tenants, Map<String, Object[]> chainRows) throws SQLException;

        /**
         * Columns of the chain table this worker reads with the poll's positions, in the statement that reads and
         * locks them (its own columns beside the follower's, with {@link Settings#chainTable} a table of the
         * worker's, and any of the follower's it needs too): a second statement on the same rows per poll cost
         * PostgreSQL as much again. None by default.
         */
        default List<String> chainColumnsRead() {
            return List.of();
        }

        /**
         * The worker's own columns of the chain table, written with each tenant's position in one statement
         * ({@link Poll#chainValues} binds them); never one of the follower's. None by default.
         */
        default List<String> chainColumnsWritten() {
            return List.of();
        }

        /**
         * Records {@code [from, to)} of {@code partition} were deleted by the topic's retention before this worker read
         * them (with {@link RetentionLoss#STOP}), in a transaction of its own.
         */
        default void recordsLost(Connection transaction, String topic, int partition, long from, long to, Instant now)
                throws SQLException {
        }

        /**
         * Periodic work in the transaction that also expires gaps, with the pipeline drained: {@code owned} the
         * partitions consumed here, {@code caughtUp} those with nothing left to read. Answers what to do after commit.
         */
        default Runnable housekeeping(Connection transaction, Set<Integer> owned, Set<Integer> caughtUp)
                throws SQLException {
            return () -> { };
        }
    }

    /** A worker's part of one poll's transaction. */
    public interface Poll<E> {
        /**
         * An entry whose link and hash verified, in order per tenant, each once. Null, or why its tenant stops.
         * {@code entry} holds its chain fields (tenant, sequence, type, ledger time, hashes) but no body: what a worker
         * needs of the payload or metadata it takes in {@link BatchWorker#prepare}.
         */
        Stop verified(EntryReader.Link entry, E prepared) throws SQLException;

        /** After the poll's last entry: tenants to stop at their last verified sequence (tenant → why). */
        default Map<String, Stop> finish() throws SQLException {
            return Map.of();
        }

        /**
         * This tenant's values of {@link BatchWorker#chainColumnsWritten}, bound into the statement that writes its
         * position; null leaves them as they are (a new row gets their defaults). Called after {@link #finish}.
         */
        default ChainValues chainValues(String tenantId) {
            return null;
        }

        /** After the chain positions were written (their rows exist): the worker's own rows. */
        default void save() throws SQLException {
        }

        /** After the commit: metrics, log lines. */
        default void afterCommit() {
        }
    }

    /** A worker's values of its own chain-table columns for one tenant. */
    @FunctionalInterface
    public interface ChainValues {
        /** Binds the values of {@link BatchWorker#chainColumnsWritten}, in that order, from parameter {@code from}. */
        void bind(PreparedStatement statement, int from) throws SQLException;
    }

    /**
     * Why a worker stops a tenant. {@code taken}: the entry counts as passed (its tenant's position moves to it) before
     * the stop; {@code fork}: the stop is a fork alert (records contradicting each other or a signed word).
     */
    public record Stop(String reason, String detail, boolean taken, boolean fork) {
        /** The entry is refused: the tenant stops before it. */
        public static Stop refuse(String reason, String detail) {
            return new Stop(reason, detail, false, false);
        }

        /** The entry is passed and the tenant stops at it (a fork alert). */
        public static Stop forkAt(String reason, String detail) {
            return new Stop(reason, detail, true, true);
        }

        /** The tenant stops (from {@link Poll#finish}). */
        public static Stop broken(String reason, String detail) {
            return new Stop(reason, detail, true, false);
        }
    }

    /** What a tenant whose earlier entries the topic's retention deleted before this worker read them does. */
    public enum RetentionLoss {
        /** Its chain is verified on from its first record read, and it is marked lost to retention. */
        RESUME,
        /** It waits for the deleted entries like for any gap and stops as {@link #RETENTION} when the wait ends. */
        STOP
    }

    /**
     * @param worker           the worker's name, for client ids, threads and log lines (e.g. {@code invoice-worker})
     * @param tablePrefix      its tables' prefix and its metrics' prefix (e.g. {@code invoice_worker})
     * @param gapWait          how long entries ahead of a missing sequence wait before the tenant's chain breaks
     * @param maxHeldPerTenant how many entries of one tenant may wait (one more breaks its chain)
     * @param chainTable       the table of the chain positions
     * @param preparers        threads that read and hash polls
     * @param sessionTimeout   how long the group waits for a silent member (a killed worker) before its partitions
     *                         go to the others: Kafka's {@code session.timeout.ms}, 6 s to 30 min (default 45 s)
     */
    public record Settings(String worker, String tablePrefix, String bootstrapServers, String topic, String group,
                           KafkaClientSecurity security, Duration gapWait, int maxHeldPerTenant, int maxPollRecords,
                           RetentionLoss retentionLoss, String chainTable, int preparers, Duration sessionTimeout) {
        /** Kafka's own default. */
        public static final Duration DEFAULT_SESSION_TIMEOUT = Duration.ofSeconds(45);

        public Settings {
            if (sessionTimeout == null || sessionTimeout.compareTo(Duration.ofSeconds(6)) < 0
                    || sessionTimeout.compareTo(Duration.ofMinutes(30)) > 0) {
                // the broker's default group.min.session.timeout.ms and group.max.session.timeout.ms
                throw new IllegalArgumentException("the session timeout must be between 6 s and 30 min");
            }
            if (tablePrefix == null || !tablePrefix.matches("[a-z][a-z_]{0,40}")) {
                throw new IllegalArgumentException("a table prefix is lower-case letters and underscores");
            }
            if (chainTable == null || !chainTable.matches("[a-z][a-z_]{0,60}")) {
                throw new IllegalArgumentException("a chain table is lower-case letters and underscores");
            }
            if (gapWait == null || gapWait.isNegative() || gapWait.isZero() || maxHeldPerTenant < 1 || maxPollRecords < 1
                    || preparers < 1 || retentionLoss == null) {
                throw new IllegalArgumentException("the gap wait, the hold, the poll size and the preparers must be positive");
            }
        }

        /** Chain positions in {@code <prefix>_chain}, one preparer, and a chain resumed after records lost to retention. */
        public Settings(String worker, String tablePrefix, String bootstrapServers, String topic, String group,
                        KafkaClientSecurity security, Duration gapWait, int maxHeldPerTenant, int maxPollRecords) {
            this(worker, tablePrefix, bootstrapServers, topic, group, security, gapWait, maxHeldPerTenant, maxPollRecords,
                    RetentionLoss.RESUME, tablePrefix + "_chain", 1, DEFAULT_SESSION_TIMEOUT);
        }
    }

    public static final String FORK = "fork";
    public static final String RETENTION = "records_lost_to_retention";
    public static final String UNREADABLE = "unreadable_entry";
    private static final Logger log = LoggerFactory.getLogger(ChainFollower.class);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final long HOUSEKEEPING_MILLIS = 250;
    /** How long housekeeping may be put off while polls are in flight. */
    private static final long HOUSEKEEPING_LATEST = 2_000;
    /** How long housekeeping waits for the broker's end offsets of partitions whose lag the consumer does not know. */
    private static final Duration END_OFFSET_WAIT = Duration.ofSeconds(1);
    private static final int MAX_PARTITION_FETCH_BYTES = 4 * 1024 * 1024;
    /**
     * Polls prepared or applied at once: one committing, and two behind it being prepared or waiting to apply. With
     * two, the consumer stopped polling while a poll committed and the next one was hashed, and the meter-reader bench
     * measured 0.57 of the bare loop; with three the fetch, the hashing and the commit overlap (0.67). Each poll holds
     * at most max.poll.records records.
     */
    private static final int MAX_IN_FLIGHT = 3;
    /** One record reader per thread (the preparers, and the applier for held entries). */
    private static final ThreadLocal<EntryReader> READERS = ThreadLocal.withInitial(EntryReader::new);
    /** The follower's columns of the chain table beside {@code tenant_id}, in the order it reads and binds them. */
    private static final List<String> POSITION_COLUMNS = List.of("kafka_partition", "last_sequence", "last_hash",
            "recent_hashes", "recent_from", "broken_sequence", "broken_reason", "lost_to_retention");

    private final Settings settings;
    private final DataSource database;
    private final BatchWorker<E> worker;
    private final Clock clock;
    private final MeterRegistry registry;
    private final FollowerGauges gauges;
    private final KafkaConsumer<byte[], ByteBuffer> consumer;
    private final String offsetTable;
    private final String chainTable;
    private final String heldTable;
    /** The statements that read and write the chain table's rows (with the worker's columns). */
    private final String readStatement;
    private final String saveStatement;
    private final String saveWithWorkerStatement;
    private final ExecutorService preparers;
    private final ExecutorService applier;
    /** The polls submitted to the applier and not yet awaited, oldest first. Consumer thread only. */
    private final ArrayDeque<Future<?>> inFlight = new ArrayDeque<>();
    /** Set by the applier when a poll fails: the polls queued behind it are discarded. Cleared by a rewind. */
    private volatile boolean applyFailed;
    /** Partition → the next offset stored for it (null value: none stored yet). Consumer thread, or the applier. */
    private final Map<Integer, Long> stored = new HashMap<>();
    /** Assigned partitions whose first records retention deleted before this worker read them. */
    private final Set<Integer> truncated = new HashSet<>();
    /** With {@link RetentionLoss#STOP}: tenants read since records were lost to retention. */
    private final Set<String> seenSinceLoss = new HashSet<>();
    /** A superset of the tenants with held entries; reloaded at every rewind. */
    private Set<String> tenantsWithHeld = new HashSet<>();
    private volatile Set<Integer> owned = Set.of();
    private volatile boolean running = true;
    private volatile boolean failed;
    private boolean needsRewind = true;
    /** On {@link #monotonicMillis()}: due at once. */
    private long nextHousekeeping = Long.MIN_VALUE / 2;
    /** What the last housekeeping saw, for {@link #describe()}: read from other threads. */
    private volatile String lastHousekeeping = "none yet";
    /** Housekeeping passes that expired gaps on the clock and committed; read from other threads. */
    private final AtomicLong gapPasses = new AtomicLong();

    public ChainFollower(Settings settings, DataSource database, BatchWorker<E> worker, Clock clock, MeterRegistry registry) {
        this.settings = settings;
        this.database = database;
        this.worker = worker;
        this.clock = clock;
        this.registry = registry;
        String p = settings.tablePrefix();
        this.offsetTable = p + "_offset";
        this.chainTable = settings.chainTable();
        this.heldTable = p + "_held_entry";
        worker.chainColumnsRead().forEach(ChainFollower::requireColumnName);
        for (String column : worker.chainColumnsWritten()) {
            requireColumnName(column);
            if (POSITION_COLUMNS.contains(column) || column.equals("tenant_id")) {
                throw new IllegalArgumentException("the worker writes the follower's column " + column);
            }
        }
        this.readStatement = "select tenant_id, " + String.join(", ", POSITION_COLUMNS)
                + worker.chainColumnsRead().stream().map(col -> ", " + col).collect(Collectors.joining())
                + " from " + chainTable + " where tenant_id = any(?) order by tenant_id for update";
        this.saveStatement = upsert(chainTable, List.of());
        this.saveWithWorkerStatement = upsert(chainTable, worker.chainColumnsWritten());
        this.consumer = new KafkaConsumer<>(FollowerKafka.consumerProperties(settings.bootstrapServers(), settings.group(),
                settings.worker() + "-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8),
                settings.maxPollRecords(), MAX_PARTITION_FETCH_BYTES, settings.sessionTimeout(), settings.security()),
                new ByteArrayDeserializer(), new InPlaceValues());
        this.gauges = FollowerGauges.of(registry, p);
        gauges.add(this);
        String id = UUID.randomUUID().toString().substring(0, 4);
        AtomicInteger threads = new AtomicInteger();
        this.preparers = Executors.newFixedThreadPool(settings.preparers(), r -> {
            Thread t = new Thread(r, settings.worker() + "-prepare-" + id + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.applier = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, settings.worker() + "-apply-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    /** Entries whose link verified since start by this follower (each counted once). */
    public long verifiedEntries() {
        return gauges.verified(this);
    }

    public long brokenChains() {
        return gauges.broken();
    }

    public long forkedTenants() {
        return gauges.forked();
    }

    public boolean healthy() {
        return !failed;
    }

    /**
     * How many housekeeping passes have committed, each having expired the gaps due on the clock as it read it: one
     * that starts after a move of the clock has seen the move (two more than before the move, then).
     */
    public long gapPasses() {
        return gapPasses.get();
    }

    /**
     * For an operator or a bench chasing a stuck follower: what its last housekeeping saw (when, the partitions owned
     * and assigned, each one's position and lag as the consumer knows them, those judged caught up) and whether polls
     * are in flight.
     */
    public String describe() {
        return settings.worker() + ": " + lastHousekeeping;
    }

    /** The partitions this instance consumes now. */
    public Set<Integer> ownedPartitions() {
        return owned;
    }

    public void stop() {
        running = false;
        consumer.wakeup();
    }

    @Override
    public void run() {
        int failures = 0;
        try {
            consumer.subscribe(List.of(settings.topic()), new Rebalance());
            while (running) {
                try {
                    if (needsRewind) {
                        awaitInFlight();
                        rewind(consumer.assignment());
                    }
                    ConsumerRecords<byte[], ByteBuffer> records = consumer.poll(POLL);
                    if (needsRewind) {
                        continue; // a seek failed during the rebalance: these records may start at the wrong place
                    }
                    if (!records.isEmpty()) {
                        submit(records);
                    }
                    reapFinished();
                    gauges.lag(this, ConsumerLag.of(consumer));
                    long now = monotonicMillis();
                    // Housekeeping needs the pipeline drained: while polls keep coming it waits (a drain every
                    // 250 ms stalled the pipeline), up to HOUSEKEEPING_LATEST.
                    if (now >= nextHousekeeping && (inFlight.isEmpty() || now >= nextHousekeeping + HOUSEKEEPING_LATEST)) {
                        awaitInFlight();
                        housekeeping();
                        nextHousekeeping = now + HOUSEKEEPING_MILLIS;
                    }
                    failures = 0;
                } catch (WakeupException e) {
                    // stop() was called
                } catch (SQLException | RuntimeException e) {
                    failures++;
                    awaitQuietly(); // a poll still in flight finishes before the rewind reads the stored offsets
                    needsRewind = true;
                    log.warn("{} poll not applied ({}); resuming from the stored offsets", settings.worker(), describe(e));
                    pause(Math.min(200L << Math.min(failures, 5), 5_000));
                }
            }
        } catch (Throwable t) {
            failed = true;
            log.error("{} consumer stopped", settings.worker(), t);
        } finally {
            owned = Set.of();
            awaitQuietly();
            applier.shutdownNow();
            preparers.shutdownNow();
            gauges.remove(this);
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                log.debug("consumer close", e);
            }
        }
    }

    // ------------------------------------------------------------------ positions

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // the poll in flight holds these partitions' offsets: it commits (or fails) while they are still ours
            awaitQuietly();
            partitions.forEach(tp -> {
                stored.remove(tp.partition());
                truncated.remove(tp.partition());
            });
            owned = partitionsOf(consumer.assignment(), partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            onPartitionsRevoked(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            awaitQuietly();
            try {
                rewind(partitions);
            } catch (SQLException | RuntimeException e) {
                needsRewind = true;
                log.warn("{} could not read its stored offsets ({}); retrying", settings.worker(), describe(e));
            }
            owned = partitionsOf(consumer.assignment(), List.of());
        }
    }

    private static Set<Integer> partitionsOf(Set<TopicPartition> assignment, Collection<TopicPartition> leaving) {
        Set<Integer> parts = new TreeSet<>();
        assignment.stream().filter(tp -> !leaving.contains(tp)).forEach(tp -> parts.add(tp.partition()));
        return Set.copyOf(parts);
    }

    /** Seeks the partitions to their stored offsets (the beginning when none is stored yet). Pipeline drained. */
    private void rewind(Collection<TopicPartition> partitions) throws SQLException {
        applyFailed = false; // the pipeline is drained: nothing queued can follow the failed poll any more
        tenantsWithHeld = tenantsWithHeld();
        if (partitions.isEmpty()) {
            needsRewind = false;
            return;
        }
        Map<Integer, Long> next = new HashMap<>();
        try (Connection c = database.getConnection();
             PreparedStatement ps = c.prepareStatement("select kafka_partition, next_offset from " + offsetTable
                     + " where topic = ? and kafka_partition = any(?)")) {
            ps.setString(1, settings.topic());
            ps.setArray(2, c.createArrayOf("integer", partitions.stream().map(TopicPartition::partition).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    next.put(rs.getInt(1), rs.getLong(2));
                }
            }
        }
        Map<TopicPartition, Long> starts = consumer.beginningOffsets(partitions);
        // The consumer keeps any offset lookup's answer as the partitions' end offsets (kafka-clients 4.3.1), so the
        // beginning offsets just looked up would stand as the end of every partition read to its end (negative lag,
        // see ConsumerLag.perPartition) until a record arrives: put the true end offsets back.
        consumer.endOffsets(partitions);
        for (TopicPartition tp : partitions) {
            Long at = next.get(tp.partition());
            long from = at == null ? 0 : at;
            long start = starts.getOrDefault(tp, 0L);
            if (start > from) {
                truncated.add(tp.partition());
                log.error("ALERT records lost to retention: {} records {}..{} were deleted before this worker read them "
                        + "(it was stopped for longer than the topic keeps records)", tp, from, start - 1);
                if (settings.retentionLoss() == RetentionLoss.STOP) {
                    recordsLost(tp.partition(), from, start);
                }
            } else {
                truncated.remove(tp.partition());
            }
            if (at != null) {
                consumer.seek(tp, at);
            } else {
                consumer.seekToBeginning(List.of(tp));
            }
            stored.put(tp.partition(), at);
        }
        needsRewind = false;
    }

    private void recordsLost(int partition, long from, long to) throws SQLException {
        try (Connection c = database.getConnection()) {
            c.setAutoCommit(false);
            try {
                worker.recordsLost(c, settings.topic(), partition, from, to, clock.instant());
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        Counter.builder(settings.tablePrefix() + "_records_lost_to_retention")
                .description("records deleted by the topic's retention before the worker read them")
                .register(registry).increment(to - from);
    }

    private Set<String> tenantsWithHeld() throws SQLException {
        Set<String> tenants = new HashSet<>();
        try (Connection c = database.getConnection();
             PreparedStatement ps = c.prepareStatement("select distinct tenant_id from " + heldTable);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                tenants.add(rs.getString(1));
            }
        }
        return tenants;
    }

    // ------------------------------------------------------------------ the pipeline

    /** One polled record, read and hashed by a preparer. */
    /** The record's request id header when it holds a valid one. */
    private static String requestId(ConsumerRecord<byte[], ByteBuffer> r) {
        Header h = r.headers().lastHeader(RequestId.HEADER);
        if (h == null || h.value() == null) {
            return null;
        }
        String id = new String(h.value(), java.nio.charset.StandardCharsets.US_ASCII);
        return RequestId.valid(id) ? id : null;
    }

    private static final class Item<E> {
        final int partition;
        final long offset;
        /** The entry, or null when the record is not an entry of any chain. */
        EntryReader.Link link;
        /** The entry's tenant, or the key's of a record that is not an entry (null when the key is no tenant id). */
        String tenantId;
        /** The HTTP request the entry came from ({@link RequestId#HEADER}), or null. */
        String requestId;
        byte[] rawKey;
        boolean hashHolds;
        /** The record as it arrived (in place in the fetched bytes), or null (a record without a value). */
        ByteBuffer raw;
        E prepared;

        Item(int partition, long offset) {
            this.partition = partition;
            this.offset = offset;
        }
    }

    private Item<E> read(int partition, long offset, byte[] key, ByteBuffer value) {
        Item<E> item = new Item<>(partition, offset);
        item.raw = value;
        EntryReader.Link link;
        try {
            if (value == null) {
                throw new IllegalArgumentException("a record without a value");
            }
            int from = value.arrayOffset() + value.position();
            link = READERS.get().read(value.array(), from, from + value.remaining());
        } catch (RuntimeException e) {
            item.tenantId = tenantOf(key);
            item.rawKey = key;
            return item;
        }
        if (!ChainIds.isChainId(link.tenantId())) {
            item.rawKey = key; // its bytes chose a tenant id no tenant can have: not an entry of any chain
            return item;
        }
        item.tenantId = link.tenantId();
        item.hashHolds = Arrays.equals(link.recomputed(), link.hash());
        item.prepared = worker.prepare(link, value);
        // the body was the worker's in prepare: up to MAX_IN_FLIGHT polls wait here, and young collections copy them
        item.link = link.chainOnly();
        return item;
    }

    /** A worker's chain-table column goes into SQL text: lower-case letters and underscores only. */
    private static void requireColumnName(String column) {
        if (!column.matches("[a-z][a-z_]{0,62}")) {
            throw new IllegalArgumentException("a chain-table column is lower-case letters and underscores");
        }
    }

    /** A copy of the record's bytes (for what keeps or decodes a whole record: the hold, a worker's full decode). */
    public static byte[] bytes(ByteBuffer record) {
        byte[] copy = new byte[record.remaining()];
        record.duplicate().get(copy);
        return copy;
    }

    private static String tenantOf(byte[] key) {
        if (key == null || key.length > ChainIds.MAX_LENGTH) {
            return null;
        }
        String s = new String(key, StandardCharsets.US_ASCII);
        return ChainIds.isChainId(s) ? s : null;
    }

    /** Hands a poll to the preparers and then to the applier, after waiting for room in the pipeline. */
    private void submit(ConsumerRecords<byte[], ByteBuffer> records) throws SQLException {
        while (inFlight.size() >= MAX_IN_FLIGHT) {
            // a failure here drops this poll too: the caller drains the pipeline and rewinds to the stored offsets
            await(inFlight.poll());
        }
        List<ConsumerRecord<byte[], ByteBuffer>> polled = new ArrayList<>(records.count());
        for (TopicPartition tp : records.partitions()) {
            polled.addAll(records.records(tp));
        }
        @SuppressWarnings("unchecked")
        Item<E>[] items = new Item[polled.size()];
        int parts = Math.min(settings.preparers(), Math.max(1, polled.size() / 256));
        List<Future<?>> futures = new ArrayList<>(parts);
        for (int part = 0; part < parts; part++) {
            int from = polled.size() * part / parts;
            int to = polled.size() * (part + 1) / parts;
            futures.add(preparers.submit(() -> {
                for (int i = from; i < to; i++) {
                    ConsumerRecord<byte[], ByteBuffer> r = polled.get(i);
                    items[i] = read(r.partition(), r.offset(), r.key(), r.value());
                    items[i].requestId = requestId(r);
                }
            }));
        }
        inFlight.add(applier.submit(() -> {
            if (applyFailed) {
                throw new IllegalStateException("discarded behind a poll that failed");
            }
            try {
                for (Future<?> f : futures) {
                    await(f);
                }
                apply(Arrays.asList(items));
            } catch (SQLException | RuntimeException | Error e) {
                applyFailed = true;
                throw e;
            }
            return null;
        }));
    }

    /** Takes the polls that have finished off the front of the pipeline, without waiting; rethrows a failure. */
    private void reapFinished() throws SQLException {
        while (!inFlight.isEmpty() && inFlight.peek().isDone()) {
            await(inFlight.poll());
        }
    }

    /** Drains the pipeline; rethrows the first failure after every poll has finished. */
    private void awaitInFlight() throws SQLException {
        SQLException sqlFailure = null;
        RuntimeException failure = null;
        while (!inFlight.isEmpty()) {
            try {
                await(inFlight.poll());
            } catch (SQLException e) {
                sqlFailure = sqlFailure == null && failure == null ? e : sqlFailure;
            } catch (RuntimeException e) {
                failure = sqlFailure == null && failure == null ? e : failure;
            }
        }
        if (sqlFailure != null) {
            throw sqlFailure;
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Waits for one task, through interrupts (a poll's commit decides the stored positions); rethrows its failure. */
    private static void await(Future<?> f) throws SQLException {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    f.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    switch (e.getCause()) {
                        case SQLException sql -> throw sql;
                        case RuntimeException re -> throw re;
                        case Error err -> throw err;
                        default -> throw new IllegalStateException(e.getCause());
                    }
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@link #awaitInFlight} where nothing can be thrown: a failure only means seeking back to the stored offsets. */
    private void awaitQuietly() {
        try {
            awaitInFlight();
        } catch (SQLException | RuntimeException e) {
            needsRewind = true;
            log.warn("{} poll not applied ({}); resuming from the stored offsets", settings.worker(), describe(e));
        }
    }

    // ------------------------------------------------------------------ a poll

    /** One tenant's place in its chain, as stored. */
    private static final class Position {
        final String tenantId;
        final boolean known;
        long lastSequence;
        byte[] lastHash = EntryFraming.genesis();
        RecentHashes recent = new RecentHashes();
        Integer partition;
        Long brokenSequence;
        String brokenReason;
        boolean lostToRetention;

        Position(String tenantId, boolean known) {
            this.tenantId = tenantId;
            this.known = known;
        }

        boolean broken() {
            return brokenSequence != null;
        }
    }

    private enum Kind { BREAK, FORK, RETENTION }

    private record Alert(String tenantId, long sequence, String reason, String detail, Kind kind) {
    }

    /** Applies one prepared poll in one transaction (the applier thread). */
    private void apply(List<Item<E>> items) throws SQLException {
        Map<Integer, Long> nextOffsets = new LinkedHashMap<>();
        Set<String> tenants = new LinkedHashSet<>();
        String lastTenant = null;
        for (int i = 0; i < items.size(); i++) {
            Item<E> item = items.get(i);
            // a poll holds each partition's records in offset order, in one run: one map write at each run's end
            if (i + 1 == items.size() || items.get(i + 1).partition != item.partition) {
                nextOffsets.put(item.partition, item.offset + 1);
            }
            if (item.tenantId != null && !item.tenantId.equals(lastTenant)) {
                tenants.add(item.tenantId);
                lastTenant = item.tenantId;
            }
        }
        for (Integer p : nextOffsets.keySet()) {
            if (!stored.containsKey(p)) {
                throw new IllegalStateException("records for partition " + p + " without a known stored offset");
            }
        }
        Instant now = clock.instant();
        try (Connection c = database.getConnection()) {
            c.setAutoCommit(false);
            try {
                Batch batch = new Batch(c, now);
                batch.poll = worker.begin(c, tenants, batch.read(tenants));
                for (Item<E> item : items) {
                    batch.accept(item);
                }
                batch.finish();
                batch.save();
                batch.poll.save();
                advanceOffsets(c, nextOffsets);
                c.commit();
                stored.putAll(nextOffsets);
                batch.afterCommit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private final class Batch {
        private final Connection c;
        private final Instant now;
        private final Map<String, Position> positions = new LinkedHashMap<>();
        private final Map<String, Integer> outcomes = new HashMap<>();
        private final List<Alert> alerts = new ArrayList<>();
        private final List<String> lost = new ArrayList<>();
        private Poll<E> poll;
        private long verifiedHere;

        Batch(Connection c, Instant now) {
            this.c = c;
            this.now = now;
        }

        /** Reads (and locks) the positions of these tenants; answers the worker's columns of each row found. */
        Map<String, Object[]> read(Collection<String> tenantIds) throws SQLException {
            if (tenantIds.isEmpty()) {
                return Map.of();
            }
            Map<String, Object[]> rows = new HashMap<>();
            List<String> theirs = worker.chainColumnsRead();
            try (PreparedStatement ps = c.prepareStatement(readStatement)) {
                ps.setArray(1, c.createArrayOf("varchar", tenantIds.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        Position p = new Position(rs.getString(1), true);
                        p.partition = (Integer) rs.getObject(2);
                        p.lastSequence = rs.getLong(3);
                        p.lastHash = rs.getBytes(4);
                        p.recent = RecentHashes.fromBytes(rs.getBytes(5), (Long) rs.getObject(6)).withLast(p.lastSequence);
                        p.brokenSequence = (Long) rs.getObject(7);
                        p.brokenReason = rs.getString(8);
                        p.lostToRetention = rs.getBoolean(9);
                        positions.put(p.tenantId, p);
                        if (!theirs.isEmpty()) {
                            Object[] values = new Object[theirs.size()];
                            for (int i = 0; i < values.length; i++) {
                                values[i] = rs.getObject(POSITION_COLUMNS.size() + 2 + i);
                            }
                            rows.put(p.tenantId, values);
                        }
                    }
                }
            }
            return rows;
        }

        private Position position(String tenantId) {
            return positions.computeIfAbsent(tenantId, id -> new Position(id, false));
        }

        void accept(Item<E> item) throws SQLException {
            // every line logged about this record, the worker's own included, names the request it came from
            if (item.requestId == null) {
                acceptRecord(item);
                return;
            }
            MDC.put(RequestId.LOG_KEY, item.requestId);
            try {
                acceptRecord(item);
            } finally {
                MDC.remove(RequestId.LOG_KEY);
            }
        }

        private void acceptRecord(Item<E> item) throws SQLException {
            if (item.tenantId == null) {
                outcome("unreadable");
                log.error("ALERT unreadable record at {}-{} offset {} (key {})", settings.topic(), item.partition,
                        item.offset, TopicBytes.forLog(item.rawKey));
                return;
            }
            Position t = position(item.tenantId);
            t.partition = item.partition;
            if (t.broken()) {
                outcome("after_break");
                return;
            }
            if (item.link == null) {
                breakChain(t, t.lastSequence + 1, UNREADABLE, "the record is not an entry", Kind.BREAK);
                return;
            }
            long sequence = item.link.sequence();
            if (!truncated.isEmpty() && truncated.contains(item.partition)) {
                retentionLoss(t, item);
            }
            switch (Arrival.of(t.lastSequence, t.lastHash, t.recent, sequence, item.link.hash())) {
                case DUPLICATE -> outcome("duplicate");
                case FORK -> breakChain(t, sequence, FORK, "a second record of sequence " + sequence
                        + " with another hash", Kind.FORK);
                case AHEAD -> hold(t, item);
                case NEXT -> {
                    if (verify(t, item)) {
                        drainHeld(t, item.partition);
                    }
                }
            }
        }

        private void retentionLoss(Position t, Item<E> item) {
            long sequence = item.link.sequence();
            if (settings.retentionLoss() == RetentionLoss.STOP) {
                if (seenSinceLoss.add(t.tenantId) && sequence > t.lastSequence + 1) {
                    t.lostToRetention = true; // what it misses was deleted with the records lost to retention
                }
                return;
            }
            if (!t.known && t.lastSequence == 0 && sequence > 1) {
                // Its first record here, from a partition whose beginning retention deleted: the tenant's earlier
                // entries are gone from the topic, not missing from its chain. Say so and verify from here on.
                t.lastSequence = sequence - 1;
                t.lastHash = item.link.prevHash().clone();
                t.lostToRetention = true;
                lost.add(t.tenantId + " before sequence " + sequence);
            }
        }

        private boolean verify(Position t, Item<E> item) throws SQLException {
            EntryReader.Link entry = item.link;
            ChainVerifier.Break b = ChainVerifier.next(t.lastSequence, t.lastHash, entry.sequence(), entry.prevHash(),
                    item.hashHolds);
            if (b != null) {
                breakChain(t, b.sequence(), b.reason().name(), b.detail(), Kind.BREAK);
                return false;
            }
            Stop stop = poll.verified(entry, item.prepared);
            if (stop != null && !stop.taken()) {
                breakChain(t, entry.sequence(), stop.reason(), stop.detail(), stop.fork() ? Kind.FORK : Kind.BREAK);
                return false;
            }
            t.lastSequence = entry.sequence();
            t.lastHash = entry.hash();
            t.recent.record(entry.sequence(), entry.hash());
            if (log.isDebugEnabled()) {
                log.debug("{}: tenant {} entry {} verified", settings.worker(), TopicBytes.forLog(t.tenantId), entry.sequence());
            }
            if (settings.retentionLoss() == RetentionLoss.STOP) {
                t.lostToRetention = false; // a gap it had is filled
            }
            verifiedHere++;
            if (stop != null) {
                breakChain(t, entry.sequence(), stop.reason(), stop.detail(), stop.fork() ? Kind.FORK : Kind.BREAK);
                return false;
            }
            return true;
        }

        private void hold(Position t, Item<E> item) throws SQLException {
            long sequence = item.link.sequence();
            try (PreparedStatement ps = c.prepareStatement("insert into " + heldTable
                    + " (tenant_id, sequence, hash, entry, held_since) values (?, ?, ?, ?, ?) on conflict do nothing")) {
                ps.setString(1, t.tenantId);
                ps.setLong(2, sequence);
                ps.setBytes(3, item.link.hash());
                ps.setBytes(4, bytes(item.raw));
                ps.setTimestamp(5, Timestamp.from(now));
                if (ps.executeUpdate() == 0) {
                    byte[] before = heldHash(t.tenantId, sequence);
                    if (before != null && !MessageDigest.isEqual(before, item.link.hash())) {
                        breakChain(t, sequence, FORK, "two records of sequence " + sequence
                                + " with different hashes, both ahead of the chain", Kind.FORK);
                        return;
                    }
                    outcome("held");
                    return;
                }
            }
            tenantsWithHeld.add(t.tenantId);
            if (heldCount(t.tenantId) > settings.maxHeldPerTenant()) {
                breakChain(t, t.lastSequence + 1, ChainVerifier.Reason.sequence_gap.name(),
                        "more than " + settings.maxHeldPerTenant() + " entries wait for it", Kind.BREAK);
                return;
            }
            outcome("held");
            log.warn("{}: tenant {} entry {} arrived before {}; holding it", settings.worker(), TopicBytes.forLog(t.tenantId),
                    sequence, t.lastSequence + 1);
        }

        private void drainHeld(Position t, int partition) throws SQLException {
            if (!tenantsWithHeld.contains(t.tenantId)) {
                return;
            }
            // the held entries came from other requests than the record that released them: no request id on their lines
            String releasing = MDC.get(RequestId.LOG_KEY);
            MDC.remove(RequestId.LOG_KEY);
            try {
                byte[] next;
                while (!t.broken() && (next = takeHeld(t.tenantId, t.lastSequence + 1)) != null) {
                    Item<E> item = ChainFollower.this.read(partition, -1, null, ByteBuffer.wrap(next));
                    if (item.link == null || !item.link.tenantId().equals(t.tenantId)) {
                        breakChain(t, t.lastSequence + 1, UNREADABLE, "a held record is not the tenant's entry", Kind.BREAK);
                        return;
                    }
                    if (!verify(t, item)) {
                        return;
                    }
                }
            } finally {
                if (releasing != null) {
                    MDC.put(RequestId.LOG_KEY, releasing);
                }
            }
        }

        /** Removes and answers the held entry of this sequence, or null; drops held entries already passed. */
        private byte[] takeHeld(String tenantId, long sequence) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("delete from " + heldTable
                    + " where tenant_id = ? and sequence <= ? returning sequence, entry")) {
                ps.setString(1, tenantId);
                ps.setLong(2, sequence);
                byte[] found = null;
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        if (rs.getLong(1) == sequence) {
                            found = rs.getBytes(2);
                        }
                    }
                }
                return found;
            }
        }

        private byte[] heldHash(String tenantId, long sequence) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("select hash, entry from " + heldTable
                    + " where tenant_id = ? and sequence = ?")) {
                ps.setString(1, tenantId);
                ps.setLong(2, sequence);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        return null;
                    }
                    byte[] hash = rs.getBytes(1);
                    return hash != null ? hash : READERS.get().read(rs.getBytes(2)).hash();
                }
            }
        }

        private long heldCount(String tenantId) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("select count(*) from " + heldTable + " where tenant_id = ?")) {
                ps.setString(1, tenantId);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        }

        private void breakChain(Position t, long sequence, String reason, String detail, Kind kind) throws SQLException {
            t.brokenSequence = sequence;
            t.brokenReason = reason;
            alerts.add(new Alert(t.tenantId, sequence, reason, detail, kind));
            outcome(kind == Kind.FORK ? "fork" : "broken");
            if (tenantsWithHeld.contains(t.tenantId)) {
                dropHeld(c, t.tenantId);
            }
        }

        void finish() throws SQLException {
            for (Map.Entry<String, Stop> s : poll.finish().entrySet()) {
                Position t = positions.get(s.getKey());
                if (t != null && !t.broken()) {
                    breakChain(t, t.lastSequence, s.getValue().reason(), s.getValue().detail(),
                            s.getValue().fork() ? Kind.FORK : Kind.BREAK);
                }
            }
        }

        /**
         * Writes the positions, each with the worker's own columns when it has values for them: one statement (batched)
         * for those, one for the rest.
         */
        void save() throws SQLException {
            if (positions.isEmpty()) {
                return;
            }
            List<Position> alone = new ArrayList<>();
            List<Position> withTheirs = new ArrayList<>();
            Map<String, ChainValues> theirs = new HashMap<>();
            for (Position t : positions.values()) {
                ChainValues v = worker.chainColumnsWritten().isEmpty() ? null : poll.chainValues(t.tenantId);
                if (v == null) {
                    alone.add(t);
                } else {
                    withTheirs.add(t);
                    theirs.put(t.tenantId, v);
                }
            }
            write(saveStatement, alone, theirs);
            write(saveWithWorkerStatement, withTheirs, theirs);
        }

        private void write(String sql, List<Position> rows, Map<String, ChainValues> theirs) throws SQLException {
            if (rows.isEmpty()) {
                return;
            }
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (Position t : rows) {
                    ps.setString(1, t.tenantId);
                    ps.setObject(2, t.partition, Types.INTEGER);
                    ps.setLong(3, t.lastSequence);
                    ps.setBytes(4, t.lastHash);
                    ps.setBytes(5, t.recent.toBytes());
                    ps.setObject(6, t.recent.from(), Types.BIGINT);
                    ps.setObject(7, t.brokenSequence, Types.BIGINT);
                    ps.setString(8, t.brokenReason);
                    ps.setBoolean(9, t.lostToRetention);
                    ChainValues v = theirs.get(t.tenantId);
                    if (v != null) {
                        v.bind(ps, POSITION_COLUMNS.size() + 2);
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }

        void afterCommit() {
            gauges.verified(ChainFollower.this, verifiedHere);
            if (verifiedHere > 0) {
                outcomes.merge("verified", (int) verifiedHere, Integer::sum);
            }
            outcomes.forEach((o, n) -> Counter.builder(settings.tablePrefix() + "_entries").tag("outcome", o)
                    .register(registry).increment(n));
            for (String l : lost) {
                Counter.builder(settings.tablePrefix() + "_records_lost_to_retention").register(registry).increment();
                log.error("ALERT records lost to retention: tenant {} entries were deleted from the topic before this "
                        + "worker read them; its chain is re-verified from there on (set the topic's retention.ms=-1)",
                        TopicBytes.forLog(l));
            }
            alerts.forEach(ChainFollower.this::alert);
            poll.afterCommit();
        }

        private void outcome(String o) {
            outcomes.merge(o, 1, Integer::sum);
        }
    }

    /** Inserts or updates a tenant's row: the follower's columns and {@code theirs}, bound in that order. */
    private static String upsert(String table, List<String> theirs) {
        List<String> columns = new ArrayList<>(List.of("tenant_id"));
        columns.addAll(POSITION_COLUMNS);
        columns.addAll(theirs);
        return "insert into " + table + " (" + String.join(", ", columns) + ") values ("
                + String.join(", ", java.util.Collections.nCopies(columns.size(), "?"))
                + ") on conflict (tenant_id) do update set "
                + columns.stream().skip(1).map(col -> col + " = excluded." + col).collect(Collectors.joining(", "));
    }

    private void alert(Alert a) {
        switch (a.kind()) {
            case FORK -> {
                Counter.builder("ledger_chain_forks").tag("reason", a.reason())
                        .description("fork alerts: records of one tenant's chain contradicting each other or a signed word")
                        .register(registry).increment();
                log.error("ALERT fork: tenant {} at sequence {} ({}: {}); the tenant is stopped",
                        TopicBytes.forLog(a.tenantId()), a.sequence(), a.reason(), a.detail());
            }
            case RETENTION -> log.error("ALERT records lost to retention: tenant {} sequence {} was deleted from the topic "
                    + "before this worker read it; the tenant is stopped (not a broken chain: re-read it from the ledger)",
                    TopicBytes.forLog(a.tenantId()), a.sequence());
            case BREAK -> {
                Counter.builder(settings.tablePrefix() + "_chain_breaks").tag("reason", a.reason()).register(registry)
                        .increment();
                log.error("ALERT chain broken: tenant {} at sequence {} ({}: {}); the tenant is stopped",
                        TopicBytes.forLog(a.tenantId()), a.sequence(), a.reason(), a.detail());
            }
        }
    }

    private void dropHeld(Connection c, String tenantId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("delete from " + heldTable + " where tenant_id = ?")) {
            ps.setString(1, tenantId);
            ps.executeUpdate();
        }
    }

    /**
     * Moves the stored offsets of a poll's partitions, each only from the offset this follower stored (or read) for it:
     * one statement for all the partitions that have one (a statement costs PostgreSQL about as much as the rows it
     * writes here), an insert for a partition seen for the first time.
     */
    private void advanceOffsets(Connection c, Map<Integer, Long> nextOffsets) throws SQLException {
        List<Integer> partitions = new ArrayList<>(nextOffsets.size());
        List<Long> expected = new ArrayList<>(nextOffsets.size());
        List<Long> next = new ArrayList<>(nextOffsets.size());
        for (Map.Entry<Integer, Long> e : nextOffsets.entrySet()) {
            Long from = stored.get(e.getKey());
            if (from == null) {
                try (PreparedStatement ps = c.prepareStatement("insert into " + offsetTable
                        + " (topic, kafka_partition, next_offset) values (?, ?, ?) on conflict do nothing")) {
                    ps.setString(1, settings.topic());
                    ps.setInt(2, e.getKey());
                    ps.setLong(3, e.getValue());
                    if (ps.executeUpdate() != 1) {
                        throw consumedElsewhere(List.of(e.getKey()));
                    }
                }
            } else {
                partitions.add(e.getKey());
                expected.add(from);
                next.add(e.getValue());
            }
        }
        if (partitions.isEmpty()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("update " + offsetTable + " o set next_offset = v.next "
                + "from unnest(?::integer[], ?::bigint[], ?::bigint[]) as v(kafka_partition, expected, next) "
                + "where o.topic = ? and o.kafka_partition = v.kafka_partition and o.next_offset = v.expected")) {
            ps.setArray(1, c.createArrayOf("integer", partitions.toArray()));
            ps.setArray(2, c.createArrayOf("bigint", expected.toArray()));
            ps.setArray(3, c.createArrayOf("bigint", next.toArray()));
            ps.setString(4, settings.topic());
            if (ps.executeUpdate() != partitions.size()) {
                throw consumedElsewhere(partitions);
            }
        }
    }

    private static IllegalStateException consumedElsewhere(List<Integer> partitions) {
        return new IllegalStateException("partition(s) " + partitions + " were consumed elsewhere meanwhile");
    }

    // ------------------------------------------------------------------ housekeeping: gap expiry, the worker's, gauges

    /** With the pipeline drained: the worker's housekeeping and gap expiry in one transaction, then the gauges. */
    private void housekeeping() throws SQLException {
        Set<Integer> parts = owned;
        if (!parts.isEmpty()) {
            Set<Integer> caughtUp = new TreeSet<>();
            StringBuilder seen = new StringBuilder();
            for (Map.Entry<TopicPartition, OptionalLong> e : ConsumerLag.perPartition(consumer, END_OFFSET_WAIT).entrySet()) {
                TopicPartition tp = e.getKey();
                OptionalLong l = e.getValue();
                if (l.isPresent() && l.getAsLong() == 0) {
                    caughtUp.add(tp.partition());
                }
                seen.append(' ').append(tp.partition()).append("@").append(positionOrUnknown(tp))
                        .append(" lag ").append(l.isPresent() ? String.valueOf(l.getAsLong()) : "unknown").append(';');
            }
            lastHousekeeping = clock.instant() + " owned " + parts + " assigned" + seen + " caught up " + caughtUp
                    + ", polls in flight " + inFlight.size();
            List<Alert> alerts = new ArrayList<>();
            Runnable after;
            try (Connection c = database.getConnection()) {
                c.setAutoCommit(false);
                try {
                    after = worker.housekeeping(c, parts, caughtUp);
                    alerts = expireGaps(c, parts);
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    c.rollback();
                    throw e;
                }
            }
            gapPasses.incrementAndGet();
            after.run();
            alerts.forEach(this::alert);
        }
        refreshGauges();
    }

    private String positionOrUnknown(TopicPartition tp) {
        OptionalLong p = ConsumerLag.position(consumer, tp);
        return p.isPresent() ? String.valueOf(p.getAsLong()) : "unknown";
    }

    /** Breaks the chain of every tenant on these partitions whose held entries waited past the gap wait. */
    private List<Alert> expireGaps(Connection c, Set<Integer> parts) throws SQLException {
        List<Alert> alerts = new ArrayList<>();
        boolean stop = settings.retentionLoss() == RetentionLoss.STOP;
        try (PreparedStatement ps = c.prepareStatement("select t.tenant_id, t.last_sequence, t.lost_to_retention from "
                + chainTable + " t where t.broken_sequence is null and t.kafka_partition = any(?) and exists (select 1 from "
                + heldTable + " h where h.tenant_id = t.tenant_id and h.held_since < ?) for update")) {
            Array a = c.createArrayOf("integer", parts.toArray());
            ps.setArray(1, a);
            ps.setTimestamp(2, Timestamp.from(clock.instant().minus(settings.gapWait())));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    alerts.add(stop && rs.getBoolean(3)
                            ? new Alert(rs.getString(1), rs.getLong(2) + 1, RETENTION, "deleted by the topic's retention",
                                    Kind.RETENTION)
                            : new Alert(rs.getString(1), rs.getLong(2) + 1, ChainVerifier.Reason.sequence_gap.name(),
                                    "never delivered within " + settings.gapWait(), Kind.BREAK));
                }
            }
        }
        for (Alert a : alerts) {
            try (PreparedStatement ps = c.prepareStatement("update " + chainTable
                    + " set broken_sequence = ?, broken_reason = ? where tenant_id = ?")) {
                ps.setLong(1, a.sequence());
                ps.setString(2, a.reason());
                ps.setString(3, a.tenantId());
                ps.executeUpdate();
            }
            dropHeld(c, a.tenantId());
        }
        return alerts;
    }

    private void refreshGauges() throws SQLException {
        try (Connection c = database.getConnection();
             PreparedStatement ps = c.prepareStatement("select count(*) filter (where broken_sequence is not null "
                     + "and broken_reason <> ?), count(*) filter (where broken_reason = ?), count(*), "
                     + "count(*) filter (where lost_to_retention) from " + chainTable)) {
            ps.setString(1, FORK);
            ps.setString(2, FORK);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                gauges.counts(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4));
            }
        }
    }

    /**
     * Elapsed time for pacing (housekeeping, pauses): monotonic, so a wall-clock step (NTP, an operator) neither skips
     * nor stalls them; what the follower records and decides uses the injected clock.
     */
    private static long monotonicMillis() {
        return System.nanoTime() / 1_000_000;
    }

    private void pause(long millis) {
        long until = monotonicMillis() + millis;
        while (running && monotonicMillis() < until) {
            try {
                Thread.sleep(Math.min(100, Math.max(1, until - monotonicMillis())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Error class and message only: never a stack trace or statement in the log line. */
    static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
