package dev.ledger.meter;

import dev.ledger.core.chain.ChainVerifier;
import dev.ledger.core.chain.EntryReader;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.messages.StripeCustomerLinked;
import dev.ledger.core.messages.TenantRegistered;
import dev.ledger.follower.BillableMetadata;
import dev.ledger.follower.ConsumerLag;
import dev.ledger.follower.FollowerKafka;
import java.sql.Connection;
import java.sql.SQLException;
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
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code ledger.entries}, re-verifies each tenant's chain and sums billable units into usage windows. Each
 * polled batch is applied in one database transaction together with the consumed offsets (table
 * meter_reader_offset), so a restart or a rebalance resumes exactly after the last committed batch. Kafka's own
 * committed offsets are never used.
 *
 * <p>Batches are pipelined in three stages: the consumer thread only polls; the preparers decode and hash a poll on
 * this consumer's share of the cores (a process may run several consumers, see {@code METER_READER_CONSUMERS}); the
 * applier thread applies and commits one batch after another, each only after its predecessor
 * committed. At most {@link #MAX_IN_FLIGHT} polls are in the pipeline. A batch that fails makes the applier discard
 * every batch queued behind it, and the consumer seeks back to the stored offsets. Everything that reads or changes
 * the stored positions on the consumer thread (a rebalance, a rewind, housekeeping, closing) first drains the
 * pipeline.
 */
final class EntryConsumer implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(EntryConsumer.class);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final long HOUSEKEEPING_MILLIS = 250;
    /** How long housekeeping may be put off while batches are in flight. */
    private static final long HOUSEKEEPING_LATEST = 2_000;
    private static final int MAX_PARTITION_FETCH_BYTES = 4 * 1024 * 1024;
    private static final int CORES = Runtime.getRuntime().availableProcessors();
    /** Polls prepared or applied at once: one committing, one being prepared behind it. */
    private static final int MAX_IN_FLIGHT = 2;
    private static final String REGISTERED_TYPE = EntryTypes.nameOf(TenantRegistered.class);
    private static final String CUSTOMER_LINKED_TYPE = EntryTypes.nameOf(StripeCustomerLinked.class);
    /** One record reader per thread (the preparers, and the applier for held entries). */
    private static final ThreadLocal<EntryReader> READERS = ThreadLocal.withInitial(EntryReader::new);

    private final MeterReaderConfig config;
    private final MeterReaderStore store;
    private final MeterReaderMetrics metrics;
    private final Clock clock;
    private final UsageWindowing windowing;
    /** Keys stay bytes: a key (the tenant) is read only from a record that is not an entry. */
    private final KafkaConsumer<byte[], byte[]> consumer;
    /** Decoding and hashing threads: the cores shared among this process's consumers. */
    private final int preparerThreads;
    private final ExecutorService preparers;
    /** Applies and commits one batch at a time, in submission order. */
    private final ExecutorService applier;
    /** The batches submitted to the applier and not yet awaited, oldest first. Consumer thread only. */
    private final ArrayDeque<Future<?>> inFlight = new ArrayDeque<>();
    /**
     * Set by the applier when a batch fails: every batch queued behind it is then discarded, since its offsets would
     * follow the failed one's. Cleared by {@link #rewind}, which runs only with the pipeline drained.
     */
    private volatile boolean applyFailed;
    /** Partition → the next offset stored for it (null value: no row yet). The consumer thread, or the applier while
     * a batch is in flight (the consumer thread waits for it before touching this). */
    private final Map<Integer, Long> stored = new HashMap<>();
    /**
     * Partitions that lost records to retention while this worker was away, and the tenants seen on them since: a
     * tenant's first record there ahead of its position waits for entries that were deleted. Applier thread, or the
     * consumer thread with the pipeline drained.
     */
    private final Set<Integer> lostPartitions = new HashSet<>();
    private final Set<String> seenSinceLoss = new HashSet<>();
    /** Superset of the tenants that have held entries; reloaded whenever it might have gone stale. */
    private Set<String> tenantsWithHeld = new HashSet<>();
    private volatile Set<Integer> owned = Set.of();
    private volatile boolean running = true;
    private volatile boolean failed;
    private boolean needsRewind = true;
    private long nextHousekeeping;

    /** {@code index}: which of the process's consumers this is (thread names). */
    EntryConsumer(MeterReaderConfig config, MeterReaderStore store, MeterReaderMetrics metrics, int index, Clock clock) {
        this.config = config;
        this.store = store;
        this.metrics = metrics;
        this.clock = clock;
        this.windowing = new UsageWindowing(config.windowLength(), config.idleClose(), clock);
        // which process and which of its consumers holds a partition shows in the group's description;
        // one transaction (and one commit flush) per poll: large polls keep the per-entry database cost small
        Map<String, Object> props = FollowerKafka.consumerProperties(config.kafkaBootstrapServers(), config.consumerGroup(),
                "meter-reader-" + ProcessHandle.current().pid() + "-" + index + "-" + UUID.randomUUID().toString().substring(0, 4),
                config.maxPollRecords(), MAX_PARTITION_FETCH_BYTES, config.kafkaSecurity());
        this.consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        AtomicInteger threads = new AtomicInteger();
        this.preparerThreads = Math.max(1, CORES / config.consumers());
        this.preparers = Executors.newFixedThreadPool(preparerThreads, r -> {
            Thread t = new Thread(r, "meter-reader-prepare-" + index + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.applier = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "meter-reader-apply-" + index);
            t.setDaemon(true);
            return t;
        });
    }

    /** Partitions this instance consumes now; only their tenants' windows are closed and reported here. */
    Set<Integer> ownedPartitions() {
        return owned;
    }

    boolean healthy() {
        return !failed;
    }

    void stop() {
        running = false;
        consumer.wakeup();
    }

    @Override
    public void run() {
        int failures = 0;
        try {
            consumer.subscribe(List.of(config.topic()), new Rebalance());
            while (running) {
                try {
                    if (needsRewind) {
                        awaitInFlight();
                        rewind(consumer.assignment());
                    }
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                    if (needsRewind) {
                        continue; // a seek failed during the rebalance: these records may start at the wrong place
                    }
                    if (!records.isEmpty()) {
                        submit(records);
                    }
                    reapFinished();
                    metrics.consumerLag(this, lag());
                    long now = System.currentTimeMillis();
                    // Housekeeping needs the pipeline drained. While batches keep coming it waits (a drain every
                    // 250 ms stalled the pipeline); idle closing has nothing to do then, and gaps wait a minute anyway.
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
                    awaitQuietly(); // a batch still in flight finishes before the rewind reads the stored offsets
                    needsRewind = true;
                    log.warn("meter-reader batch not applied ({}); resuming from the stored offsets", describe(e));
                    pause(Math.min(200L << Math.min(failures, 5), 5_000));
                }
            }
        } catch (Throwable t) {
            failed = true;
            log.error("meter-reader consumer stopped", t);
        } finally {
            owned = Set.of();
            awaitQuietly();
            applier.shutdownNow();
            preparers.shutdownNow();
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
            // the batch in flight holds these partitions' offsets: it commits (or fails) while they are still ours
            awaitQuietly();
            partitions.forEach(tp -> stored.remove(tp.partition()));
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
                log.warn("cannot read stored offsets on assignment ({}); will retry", describe(e));
            }
            owned = partitionsOf(consumer.assignment(), List.of());
        }
    }

    private static Set<Integer> partitionsOf(Set<TopicPartition> assignment, Collection<TopicPartition> leaving) {
        Set<Integer> parts = new TreeSet<>();
        assignment.stream().filter(tp -> !leaving.contains(tp)).forEach(tp -> parts.add(tp.partition()));
        return Set.copyOf(parts);
    }

    /** Seeks the partitions to their stored offsets (the beginning when none) and reloads the held-entry tenants. */
    private void rewind(Collection<TopicPartition> partitions) throws SQLException {
        applyFailed = false; // the pipeline is drained: nothing queued can follow the failed batch any more
        tenantsWithHeld = store.tenantsWithHeldEntries();
        if (!partitions.isEmpty()) {
            Map<Integer, Long> offsets = store.storedOffsets(config.topic(), partitions.stream().map(TopicPartition::partition).toList());
            Map<TopicPartition, Long> logStart = consumer.beginningOffsets(partitions);
            for (TopicPartition tp : partitions) {
                Long next = offsets.get(tp.partition());
                long from = next == null ? 0 : next;
                Long start = logStart.get(tp);
                if (start != null && start > from) {
                    // Retention deleted records this worker never read: their tenants' chains cannot be followed.
                    store.retentionLoss(config.topic(), tp.partition(), from, start, clock.instant());
                    lostPartitions.add(tp.partition());
                    metrics.recordsLostToRetention(start - from);
                    log.error("ALERT records lost to retention: {} offsets {}..{} were deleted before this worker read "
                            + "them (it was stopped for longer than the topic keeps records); tenants whose entries "
                            + "were among them stop as {}", tp, from, start - 1, MeterReaderStore.RETENTION);
                }
                if (next != null) {
                    consumer.seek(tp, next);
                } else {
                    consumer.seekToBeginning(List.of(tp));
                }
                stored.put(tp.partition(), next);
            }
        }
        needsRewind = false;
    }

    private long lag() {
        return ConsumerLag.of(consumer);
    }

    // ------------------------------------------------------------------ the pipeline

    /** Hands a poll to the preparers and then to the applier, after waiting for room in the pipeline. */
    private void submit(ConsumerRecords<byte[], byte[]> records) throws SQLException {
        while (inFlight.size() >= MAX_IN_FLIGHT) {
            // a failure here drops this poll too: the caller drains the pipeline and rewinds to the stored offsets
            await(inFlight.poll());
        }
        List<ConsumerRecord<byte[], byte[]>> polled = new ArrayList<>(records.count());
        for (TopicPartition tp : records.partitions()) {
            polled.addAll(records.records(tp)); // a copy of each partition's list, cheaper than the records' iterator
        }
        Prepared prepared = prepare(polled);
        inFlight.add(applier.submit(() -> {
            if (applyFailed) {
                throw new IllegalStateException("discarded behind a batch that failed");
            }
            try {
                applyBatch(polled, prepared.await());
            } catch (SQLException | RuntimeException | Error e) {
                applyFailed = true;
                throw e;
            }
            return null;
        }));
    }

    /** Takes the batches that have finished off the front of the pipeline, without waiting; rethrows a failure. */
    private void reapFinished() throws SQLException {
        while (!inFlight.isEmpty() && inFlight.peek().isDone()) {
            await(inFlight.poll());
        }
    }

    /** Drains the pipeline; rethrows the first failure after every batch has finished. */
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

    /** Waits for one batch, through interrupts (its commit decides the stored positions); rethrows its failure. */
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

    /** {@link #awaitInFlight} for places that cannot throw: a failure only means seeking back to the stored offsets. */
    private void awaitQuietly() {
        try {
            awaitInFlight();
        } catch (SQLException | RuntimeException e) {
            needsRewind = true;
            log.warn("meter-reader batch not applied ({}); resuming from the stored offsets", describe(e));
        }
    }

    // ------------------------------------------------------------------ a batch

    private void applyBatch(List<ConsumerRecord<byte[], byte[]>> polled, List<Consumed> consumed) throws SQLException {
        Instant now = clock.instant();
        Set<String> tenants = new LinkedHashSet<>();
        Map<Integer, Long> nextOffsets = new LinkedHashMap<>();
        // A poll holds each partition's records together, and runs of one tenant: sets and maps are touched per run.
        String lastTenant = null;
        int lastPartition = -1;
        long lastOffset = -1;
        for (int i = 0; i < polled.size(); i++) {
            Consumed item = consumed.get(i);
            String tenant = item.tenantId();
            if (tenant != null && !tenant.equals(lastTenant)) {
                tenants.add(tenant);
                lastTenant = tenant;
            }
            if (item.partition != lastPartition && lastPartition >= 0) {
                nextOffsets.put(lastPartition, lastOffset + 1);
            }
            lastPartition = item.partition;
            lastOffset = polled.get(i).offset();
        }
        if (lastPartition >= 0) {
            nextOffsets.put(lastPartition, lastOffset + 1);
        }
        for (Integer p : nextOffsets.keySet()) {
            if (!stored.containsKey(p)) {
                throw new IllegalStateException("records for partition " + p + " without a known stored offset");
            }
        }
        try (Connection c = store.transaction()) {
            try {
                Batch batch = new Batch(c, store.lockTenants(c, tenants), now);
                for (Consumed item : consumed) {
                    batch.accept(item);
                }
                batch.finish();
                for (Map.Entry<Integer, Long> e : nextOffsets.entrySet()) {
                    if (!store.advanceOffset(c, config.topic(), e.getKey(), stored.get(e.getKey()), e.getValue())) {
                        throw new IllegalStateException("partition " + e.getKey() + " was consumed elsewhere meanwhile");
                    }
                }
                c.commit();
                stored.putAll(nextOffsets);
                batch.countAfterCommit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /**
     * One polled record made ready for {@link Batch#accept} by a preparer: read, its hash recomputed from its bytes
     * and compared, and what it bills read from it (used only once its chain link held). Flat, so that the applier,
     * which is sequential and mostly waits for memory, touches one object and the link hashes per entry.
     */
    private static final class Consumed {
        final int partition;
        /** The record key (its tenant) when the record is not an entry and the key is a valid tenant id; else null. */
        String key;
        /** The raw key of a record that is not an entry, for an escaped log line only. */
        byte[] rawKey;
        final byte[] raw;
        /** False when the record is not an entry; nothing below is set then. */
        boolean readable;
        String tenantId;
        long sequence;
        byte[] prevHash;
        byte[] hash;
        /** Whether the record's bytes recompute to its stored hash. */
        boolean hashHolds;
        /** RFC 6962 leaf hash of {@code hash}, for the tenant's Merkle frontier (computed here, off the applier). */
        byte[] leafHash;
        /** Why a readable entry cannot be billed (a message), or null; the fields below are set only when null. */
        String unreadable;
        /** The stable reason its tenant stops for, when {@code unreadable} is set ({@code unreadable_entry} if null). */
        String unbillable;
        Instant at;
        /** Epoch seconds of the window holding {@code at}. */
        long windowStart;
        /** The meter it bills, or null when it bills nothing. */
        String meter;
        long quantity;
        /** Its event when the tenant's Stripe customer depends on it (registered, customer linked), else null. */
        LedgerEvent event;

        private Consumed(int partition, byte[] raw) {
            this.partition = partition;
            this.raw = raw;
        }

        /** The tenant whose chain this record belongs to: the entry's, or the record key of an unreadable one. */
        String tenantId() {
            return readable ? tenantId : key;
        }

        /** {@code windowing}: for {@code windowStart}. */
        static Consumed of(int partition, byte[] key, byte[] raw, EntryReader reader, UsageWindowing windowing) {
            Consumed c = new Consumed(partition, raw);
            EntryReader.Link entry;
            try {
                entry = reader.read(raw);
            } catch (RuntimeException e) {
                c.key = RecordKey.tenantOf(key);
                c.rawKey = key;
                return c;
            }
            if (!RecordKey.isTenantId(entry.tenantId())) {
                // its bytes chose a tenant id no tenant can have (and no column holds): not an entry of any chain
                c.rawKey = key;
                return c;
            }
            c.readable = true;
            c.tenantId = entry.tenantId();
            c.sequence = entry.sequence();
            c.prevHash = entry.prevHash();
            c.hash = entry.hash();
            c.hashHolds = Arrays.equals(entry.recomputed(), entry.hash());
            c.leafHash = MerkleTree.leafHash(c.hash);
            try {
                c.bill(entry, windowing);
            } catch (RuntimeException e) {
                // DateTimeParseException, IllegalArgumentException, UncheckedIOException, or an event class that
                // refuses its payload: this entry stops its tenant (with an alert), not the whole consumer
                c.unreadable = e.getClass().getSimpleName() + ": " + e.getMessage();
            }
            return c;
        }

        /**
         * What the entry bills comes from its hashed metadata keys meter and quantity alone, whatever its type (one
         * this worker does not know included); only the entries that decide the tenant's Stripe customer are read
         * further, from their payload.
         */
        private void bill(EntryReader.Link entry, UsageWindowing windowing) {
            Instant recorded = RecordedAt.parse(entry.recordedAt());
            BillableMetadata billable = BillableMetadata.read(entry.metadata(), UsageWindow.MAX_QUANTITY);
            if (billable.refusal() != null) {
                // keys the ledger never writes (a meter outside its names, a quantity no window can hold): this entry
                // was not written through it, and stops its tenant, never the sums (nor the consumer)
                unbillable = billable.refusal();
                throw new IllegalArgumentException(billable.refusal().equals(BillableMetadata.INVALID_METER)
                        ? "meter name outside the ledger's meter names" : "quantity outside 1.." + UsageWindow.MAX_QUANTITY);
            }
            LedgerEvent read = null;
            if (entry.payload() != null && (entry.type().equals(REGISTERED_TYPE) || entry.type().equals(CUSTOMER_LINKED_TYPE))) {
                read = EntryTypes.read(entry.type(), entry.payload());
            }
            at = recorded;
            windowStart = windowing.windowOf(recorded);
            if (billable.bills()) {
                meter = billable.meter();
                quantity = billable.quantity();
            }
            event = read;
        }
    }

    /** A poll being prepared: its items, filled in by the parts. */
    private record Prepared(Consumed[] items, List<Future<?>> parts) {
        List<Consumed> await() {
            for (Future<?> f : parts) {
                try {
                    f.get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while preparing a batch", e);
                } catch (ExecutionException e) {
                    throw new IllegalStateException("preparing a batch failed", e.getCause());
                }
            }
            return Arrays.asList(items);
        }
    }

    /**
     * Decoding, hashing and payload parsing are most of the work per entry and need no tenant state, so they run
     * for the whole poll on several threads; what depends on the chain (link checks, windows) stays sequential in the batch.
     */
    private Prepared prepare(List<ConsumerRecord<byte[], byte[]>> polled) {
        Consumed[] prepared = new Consumed[polled.size()];
        int parts = Math.min(preparerThreads, Math.max(1, polled.size() / 256));
        List<Future<?>> futures = new ArrayList<>(parts);
        for (int part = 0; part < parts; part++) {
            int from = polled.size() * part / parts;
            int to = polled.size() * (part + 1) / parts;
            futures.add(preparers.submit(() -> prepare(polled, prepared, from, to)));
        }
        return new Prepared(prepared, futures);
    }

    private void prepare(List<ConsumerRecord<byte[], byte[]>> polled, Consumed[] prepared, int from, int to) {
        EntryReader reader = READERS.get();
        for (int i = from; i < to; i++) {
            ConsumerRecord<byte[], byte[]> r = polled.get(i);
            Consumed c = Consumed.of(r.partition(), r.key(), r.value(), reader, windowing);
            if (!c.readable) {
                log.error("unreadable record at {}-{} offset {} (key {})", r.topic(), r.partition(), r.offset(),
                        RecordKey.forLog(c.rawKey));
            }
            prepared[i] = c;
        }
    }

    private record ChainBreak(String tenantId, long sequence, String reason, String detail) {
    }

    /** One transaction's worth of entries: tenant positions, units per window, outcomes to count after commit. */
    private final class Batch {
        private final Connection c;
        private final Map<String, TenantPosition> positions;
        private final Instant now;
        private final Map<String, TenantPosition> touched = new LinkedHashMap<>();
        private final Map<UsageWindow, Long> units = new LinkedHashMap<>();
        private final Map<String, Integer> outcomes = new HashMap<>();
        private final List<ChainBreak> breaks = new ArrayList<>();
        private int closed;
        /** Entries applied: the common outcome, counted without a map. */
        private int applied;

        Batch(Connection c, Map<String, TenantPosition> positions, Instant now) {
            this.c = c;
            this.positions = positions;
            this.now = now;
        }

        void accept(Consumed item) throws SQLException {
            String tenantId = item.tenantId();
            if (tenantId == null) {
                outcome("unreadable");
                return;
            }
            TenantPosition t = positions.computeIfAbsent(tenantId, TenantPosition::new);
            t.partition = item.partition;
            if (!t.touched) {
                t.touched = true;
                touched.put(tenantId, t);
            }
            if (t.broken()) {
                outcome("after_break");
                return;
            }
            if (!item.readable) {
                breakChain(t, t.lastSequence + 1, "unreadable_entry", "the record is not an entry");
                return;
            }
            if (item.sequence <= t.lastSequence) {
                if (ForkDetector.contradicts(t, item.sequence, item.hash)) {
                    fork(t, item.sequence, "a second record of sequence " + item.sequence + " with another hash");
                    return;
                }
                outcome("duplicate");
                return;
            }
            if (!lostPartitions.isEmpty() && lostPartitions.contains(item.partition) && seenSinceLoss.add(tenantId)
                    && item.sequence > t.lastSequence + 1) {
                t.retentionGap = true; // what it misses was deleted with the records lost to retention
            }
            if (item.sequence > t.lastSequence + 1) {
                // Entries of a tenant arrive in order; one ahead of its predecessor waits (bounded) for it.
                if (!store.hold(c, tenantId, item.sequence, item.raw, now)) {
                    byte[] held = store.heldEntry(c, tenantId, item.sequence);
                    if (held != null && !Arrays.equals(READERS.get().read(held).hash(), item.hash)) {
                        fork(t, item.sequence, "two records of sequence " + item.sequence
                                + " with different hashes, both ahead of the chain");
                        return;
                    }
                }
                tenantsWithHeld.add(tenantId);
                outcome("held");
                log.warn("tenant {} entry {} arrived before {}; holding it", tenantId, item.sequence, t.lastSequence + 1);
                return;
            }
            apply(t, item);
            if (tenantsWithHeld.contains(tenantId)) {
                byte[] next;
                while (!t.broken() && (next = store.takeHeld(c, tenantId, t.lastSequence + 1)) != null) {
                    // it was read once already, before it was held (so its key is never needed)
                    apply(t, Consumed.of(item.partition, null, next, READERS.get(), windowing));
                }
            }
        }

        private void apply(TenantPosition t, Consumed entry) {
            ChainVerifier.Break broken = ChainVerifier.next(t.lastSequence, t.lastHash, entry.sequence, entry.prevHash,
                    entry.hashHolds);
            if (broken != null) {
                breakChain(t, broken.sequence(), broken.reason().name(), broken.detail());
                return;
            }
            if (entry.unreadable != null) {
                // Verified but not understood: billing it wrongly is worse than stopping this tenant with an alert.
                breakChain(t, entry.sequence, entry.unbillable != null ? entry.unbillable : "unreadable_entry",
                        entry.unreadable);
                return;
            }
            Instant at = entry.at;
            t.lastSequence = entry.sequence;
            t.lastHash = entry.hash;
            t.retentionGap = false; // a gap it had is filled
            String contradiction = ForkDetector.recordVerified(t, entry.hash, entry.leafHash);
            if (contradiction != null) {
                // a correctly chained extension the ledger never signed: none of it is billed from here on
                breakChain(t, entry.sequence, ForkDetector.CHECKPOINT_MISMATCH, contradiction);
                return;
            }
            if (t.lastRecordedAt == null || at.isAfter(t.lastRecordedAt)) {
                t.lastRecordedAt = at;
            }
            // A late entry (ledger time before an already closed window's end) counts in the first open window.
            long effectiveStart = windowing.countsIn(t.closedThrough, at, entry.windowStart);
            // The chain has passed every window ending at or before this entry's window start.
            t.closeThrough(entry.windowStart);
            if (entry.event instanceof TenantRegistered r) {
                t.tenantName = r.name();
                if (r.stripeCustomerId() != null && !r.stripeCustomerId().isBlank()) {
                    t.stripeCustomerId = r.stripeCustomerId();
                    t.customerWanted = false;
                } else if (t.stripeCustomerId == null && !r.tenantId().startsWith("_")) {
                    // ids starting with '_' are the ledger's own chains (ledger-api SystemChain): they bill nobody
                    t.customerWanted = true;
                }
            } else if (entry.event instanceof StripeCustomerLinked l) {
                t.stripeCustomerId = l.stripeCustomerId();
                t.customerWanted = false;
            }
            if (entry.meter != null && entry.quantity > 0) {
                t.units.add(entry.meter, effectiveStart, entry.quantity, this::addUnits);
            }
            applied++;
        }

        private void fork(TenantPosition t, long sequence, String detail) {
            breakChain(t, sequence, ForkDetector.FORK, detail);
        }

        private void breakChain(TenantPosition t, long sequence, String reason, String detail) {
            t.brokenSequence = sequence;
            t.brokenReason = reason;
            breaks.add(new ChainBreak(t.tenantId, sequence, reason, detail));
        }

        /** Where a tenant's {@link TenantPosition.Units} spill: the batch's units per window. */
        private void addUnits(String tenantId, String meter, long windowStart, long quantity) {
            units.merge(windowing.window(tenantId, meter, windowStart), quantity,
                    TenantPosition::saturatedSum);
        }

        void finish() throws SQLException {
            for (TenantPosition t : touched.values()) {
                t.units.flush(this::addUnits);
            }
            if (!units.isEmpty()) {
                // A window past the bound stops its tenant (in this transaction), never the consumer.
                for (String tenantId : store.addUnits(c, units, touched)) {
                    TenantPosition t = touched.get(tenantId);
                    if (t != null && !t.broken()) {
                        breakChain(t, t.lastSequence, "quantity_overflow",
                                "a usage window's units exceed " + UsageWindow.MAX_QUANTITY);
                    }
                }
            }
            store.saveTenants(c, touched.values());
            Map<String, Instant> closing = new HashMap<>();
            for (TenantPosition t : touched.values()) {
                if (t.closedThrough != null) {
                    closing.put(t.tenantId, t.closedThrough);
                }
            }
            if (!closing.isEmpty()) {
                closed += store.closeWindows(c, closing);
            }
        }

        void countAfterCommit() {
            if (applied > 0) {
                outcomes.merge("applied", applied, Integer::sum);
            }
            outcomes.forEach(metrics::entries);
            if (closed > 0) {
                metrics.windowsClosed(closed);
            }
            for (ChainBreak b : breaks) {
                metrics.chainBroken(b.reason());
                if (ForkDetector.isForkReason(b.reason())) {
                    metrics.fork(b.reason());
                    log.error("ALERT fork: tenant {} at sequence {} ({}: {}); the tenant is stopped, its usage is no "
                            + "longer reported", b.tenantId(), b.sequence(), b.reason(), b.detail());
                } else {
                    log.error("ALERT chain broken: tenant {} at sequence {} ({}: {}); its usage is no longer reported",
                            b.tenantId(), b.sequence(), b.reason(), b.detail());
                }
            }
        }

        private void outcome(String o) {
            outcomes.merge(o, 1, Integer::sum);
        }
    }

    // ------------------------------------------------------------------ idle close and gap expiry

    private void housekeeping() throws SQLException {
        Set<Integer> parts = owned;
        if (parts.isEmpty()) {
            return;
        }
        Set<Integer> caughtUp = new TreeSet<>();
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong l = consumer.currentLag(tp);
            if (l.isPresent() && l.getAsLong() == 0) {
                caughtUp.add(tp.partition());
            }
        }
        Instant now = clock.instant();
        List<MeterReaderStore.ExpiredGap> gaps;
        int closed = 0;
        try (Connection c = store.transaction()) {
            try {
                if (!caughtUp.isEmpty()) {
                    // Nothing of these tenants waits in Kafka: windows ending idleClose ago will get no more entries.
                    Instant boundary = windowing.idleBoundary();
                    closed = store.closeIdleWindows(c, caughtUp, boundary);
                }
                gaps = store.expiredGaps(c, parts, now.minus(config.gapWait()));
                for (MeterReaderStore.ExpiredGap g : gaps) {
                    store.markBroken(c, g.tenantId(), g.missingSequence(), g.lostToRetention()
                            ? MeterReaderStore.RETENTION : ChainVerifier.Reason.sequence_gap.name());
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        if (closed > 0) {
            metrics.windowsClosed(closed);
        }
        for (MeterReaderStore.ExpiredGap g : gaps) {
            if (g.lostToRetention()) {
                log.error("ALERT records lost to retention: tenant {} sequence {} was deleted from the topic before this "
                        + "worker read it; its usage is no longer reported (not a broken chain: re-read the tenant "
                        + "from the ledger)", g.tenantId(), g.missingSequence());
                continue;
            }
            metrics.chainBroken(ChainVerifier.Reason.sequence_gap.name());
            log.error("ALERT chain broken: tenant {} never delivered sequence {} within {}; its usage is no longer reported",
                    g.tenantId(), g.missingSequence(), config.gapWait());
        }
    }

    // ------------------------------------------------------------------ helpers

    private void pause(long millis) {
        long until = System.currentTimeMillis() + millis;
        while (running && System.currentTimeMillis() < until) {
            try {
                Thread.sleep(Math.min(100, Math.max(1, until - System.currentTimeMillis())));
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
