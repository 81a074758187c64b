package dev.ledger.follower;

import dev.ledger.core.chain.ChainVerifier;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.chain.TopicBytes;
import dev.ledger.core.config.KafkaClientSecurity;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
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
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
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
 * Follows every tenant's chain on the entries topic for one worker, durably: each poll is applied in one transaction of
 * the worker's own database that stores the consumed offsets, the tenants' chain positions and whatever the worker did
 * with the verified entries ({@link Worker#onVerified}). A restart or a rebalance resumes exactly after the last
 * committed poll (Kafka's committed offsets are never used); a failed poll is rolled back and re-read from the stored
 * offsets. Redelivered entries are skipped (dedupe on tenant and sequence), a second record of a passed sequence with
 * another hash is a fork, an entry ahead of its predecessor waits in a durable hold bounded in size and in time (on the
 * worker's clock), and links and hashes are verified with ledger-core's {@link ChainVerifier}. A break or a fork stops
 * only its tenant, with an alert.
 *
 * <p>Its tables are the worker's, named {@code <prefix>_offset}, {@code <prefix>_chain} and
 * {@code <prefix>_held_entry} (the worker's migrations create them).
 */
public final class ChainFollower implements Runnable {

    /** What a worker does with its tenants' entries. */
    public interface Worker {
        /**
         * An entry whose link and hash verified, in order per tenant, each once: in {@code transaction}, which also
         * stores the position after it (a failure rolls both back and the entry comes again).
         */
        void onVerified(StoredEntry entry, Connection transaction) throws SQLException;
    }

    /**
     * @param worker           the worker's name, for client ids, threads and log lines (e.g. {@code invoice-worker})
     * @param tablePrefix      its tables' prefix and its metrics' prefix (e.g. {@code invoice_worker})
     * @param gapWait          how long entries ahead of a missing sequence wait before the tenant's chain breaks
     * @param maxHeldPerTenant how many entries of one tenant may wait (one more breaks its chain)
     */
    public record Settings(String worker, String tablePrefix, String bootstrapServers, String topic, String group,
                           KafkaClientSecurity security, Duration gapWait, int maxHeldPerTenant, int maxPollRecords) {
        public Settings {
            if (tablePrefix == null || !tablePrefix.matches("[a-z][a-z_]{0,40}")) {
                throw new IllegalArgumentException("a table prefix is lower-case letters and underscores");
            }
            if (gapWait == null || gapWait.isNegative() || gapWait.isZero() || maxHeldPerTenant < 1 || maxPollRecords < 1) {
                throw new IllegalArgumentException("the gap wait, the hold and the poll size must be positive");
            }
        }
    }

    public static final String FORK = "fork";
    public static final String RETENTION = "records_lost_to_retention";
    private static final Logger log = LoggerFactory.getLogger(ChainFollower.class);
    private static final Duration POLL = Duration.ofMillis(250);
    private static final long HOUSEKEEPING_MILLIS = 500;

    private final Settings settings;
    private final DataSource database;
    private final Worker worker;
    private final Clock clock;
    private final MeterRegistry registry;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String offsetTable;
    private final String chainTable;
    private final String heldTable;
    /** Partition → the next offset stored for it (null value: none stored yet). Consumer thread only. */
    private final Map<Integer, Long> stored = new HashMap<>();
    /** Assigned partitions whose first records retention deleted before this worker read them. */
    private final Set<Integer> truncated = new HashSet<>();
    private final AtomicLong verified = new AtomicLong();
    private final AtomicLong broken = new AtomicLong();
    private final AtomicLong forked = new AtomicLong();
    private final AtomicLong tenants = new AtomicLong();
    private final AtomicLong lostTenants = new AtomicLong();
    private final AtomicLong lag = new AtomicLong();
    private volatile Set<Integer> owned = Set.of();
    private volatile boolean running = true;
    private volatile boolean failed;
    private boolean needsRewind = true;
    private long nextHousekeeping;

    public ChainFollower(Settings settings, DataSource database, Worker worker, Clock clock, MeterRegistry registry) {
        this.settings = settings;
        this.database = database;
        this.worker = worker;
        this.clock = clock;
        this.registry = registry;
        String p = settings.tablePrefix();
        this.offsetTable = p + "_offset";
        this.chainTable = p + "_chain";
        this.heldTable = p + "_held_entry";
        this.consumer = new KafkaConsumer<>(FollowerKafka.consumerProperties(settings.bootstrapServers(), settings.group(),
                settings.worker() + "-" + UUID.randomUUID().toString().substring(0, 8), settings.maxPollRecords(),
                4 * 1024 * 1024, settings.security()), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        Gauge.builder(p + "_verified_entries", verified, AtomicLong::get)
                .description("entries whose chain link re-verified since start").register(registry);
        Gauge.builder(p + "_broken_chains", broken, AtomicLong::get)
                .description("tenants whose chain failed verification").register(registry);
        Gauge.builder("ledger_chain_forked_tenants", forked, AtomicLong::get)
                .description("tenants stopped because two records of one sequence carry different hashes").register(registry);
        Gauge.builder(p + "_tenants", tenants, AtomicLong::get).register(registry);
        Gauge.builder(p + "_tenants_lost_to_retention", lostTenants, AtomicLong::get)
                .description("tenants whose entries the topic's retention deleted before this worker read them")
                .register(registry);
        Gauge.builder(p + "_consumer_lag", lag, AtomicLong::get).register(registry);
    }

    /** Entries whose link verified since start (each counted once). */
    public long verifiedEntries() {
        return verified.get();
    }

    public long brokenChains() {
        return broken.get();
    }

    public long forkedTenants() {
        return forked.get();
    }

    public boolean healthy() {
        return !failed;
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
                        rewind(consumer.assignment());
                    }
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL);
                    if (needsRewind) {
                        continue; // a seek failed during the rebalance: these records may start at the wrong place
                    }
                    if (!records.isEmpty()) {
                        apply(records);
                    }
                    long now = System.currentTimeMillis();
                    if (now >= nextHousekeeping) {
                        expireGaps();
                        refreshGauges();
                        nextHousekeeping = now + HOUSEKEEPING_MILLIS;
                    }
                    lag.set(ConsumerLag.of(consumer));
                    failures = 0;
                } catch (WakeupException e) {
                    // stop() was called
                } catch (SQLException | RuntimeException e) {
                    failures++;
                    needsRewind = true;
                    log.warn("{} batch not applied ({}: {}); resuming from the stored offsets", settings.worker(),
                            e.getClass().getSimpleName(), e.getMessage());
                    pause(Math.min(200L << Math.min(failures, 5), 5_000));
                }
            }
        } catch (Throwable t) {
            failed = true;
            log.error("{} consumer stopped", settings.worker(), t);
        } finally {
            owned = Set.of();
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
            partitions.forEach(tp -> {
                stored.remove(tp.partition());
                truncated.remove(tp.partition());
            });
            Set<Integer> now = new HashSet<>();
            consumer.assignment().forEach(tp -> now.add(tp.partition()));
            partitions.forEach(tp -> now.remove(tp.partition()));
            owned = Set.copyOf(now);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            onPartitionsRevoked(partitions);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            try {
                rewind(partitions);
            } catch (SQLException | RuntimeException e) {
                needsRewind = true;
                log.warn("{} could not read its stored offsets ({}); retrying", settings.worker(), e.getMessage());
            }
            Set<Integer> now = new HashSet<>();
            consumer.assignment().forEach(tp -> now.add(tp.partition()));
            owned = Set.copyOf(now);
        }
    }

    /** Seeks the partitions to their stored offsets (the beginning when none is stored yet). */
    private void rewind(Collection<TopicPartition> partitions) throws SQLException {
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
        for (TopicPartition tp : partitions) {
            Long at = next.get(tp.partition());
            long start = starts.getOrDefault(tp, 0L);
            if (start > (at == null ? 0 : at)) {
                truncated.add(tp.partition());
                log.error("ALERT records lost to retention: {} records {}..{} were deleted before this worker read them",
                        tp, at == null ? 0 : at, start - 1);
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

    private record Alert(String tenantId, long sequence, String reason, String detail) {
    }

    private void apply(ConsumerRecords<byte[], byte[]> records) throws SQLException {
        Map<Integer, Long> nextOffsets = new LinkedHashMap<>();
        List<ConsumerRecord<byte[], byte[]>> polled = new ArrayList<>(records.count());
        for (TopicPartition tp : records.partitions()) {
            List<ConsumerRecord<byte[], byte[]>> part = records.records(tp);
            polled.addAll(part);
            nextOffsets.put(tp.partition(), part.get(part.size() - 1).offset() + 1);
            if (!stored.containsKey(tp.partition())) {
                throw new IllegalStateException("records for partition " + tp.partition() + " without a known stored offset");
            }
        }
        Instant now = clock.instant();
        try (Connection c = database.getConnection()) {
            c.setAutoCommit(false);
            try {
                Batch batch = new Batch(c, now);
                batch.load(polled);
                for (ConsumerRecord<byte[], byte[]> r : polled) {
                    batch.accept(r);
                }
                batch.save();
                for (Map.Entry<Integer, Long> e : nextOffsets.entrySet()) {
                    if (!advanceOffset(c, e.getKey(), stored.get(e.getKey()), e.getValue())) {
                        throw new IllegalStateException("partition " + e.getKey() + " was consumed elsewhere meanwhile");
                    }
                }
                c.commit();
                stored.putAll(nextOffsets);
                batch.afterCommit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        refreshGauges();
    }

    private final class Batch {
        private final Connection c;
        private final Instant now;
        private final Map<String, Position> positions = new LinkedHashMap<>();
        private final Map<String, Integer> outcomes = new HashMap<>();
        private final List<Alert> alerts = new ArrayList<>();
        private final List<String> lost = new ArrayList<>();
        private long verifiedHere;

        Batch(Connection c, Instant now) {
            this.c = c;
            this.now = now;
        }

        /** Reads (and locks) the positions of the tenants this poll names in its keys (one query for most). */
        void load(List<ConsumerRecord<byte[], byte[]>> polled) throws SQLException {
            Set<String> keys = new HashSet<>();
            for (ConsumerRecord<byte[], byte[]> r : polled) {
                if (r.key() != null) {
                    keys.add(new String(r.key(), StandardCharsets.UTF_8));
                }
            }
            if (!keys.isEmpty()) {
                read(keys.toArray(new String[0]));
            }
        }

        private void read(String[] tenantIds) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("select tenant_id, kafka_partition, last_sequence, last_hash, "
                    + "recent_hashes, recent_from, broken_sequence, broken_reason, lost_to_retention from " + chainTable
                    + " where tenant_id = any(?) order by tenant_id for update")) {
                ps.setArray(1, c.createArrayOf("varchar", tenantIds));
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
                    }
                }
            }
        }

        private Position position(String tenantId) throws SQLException {
            Position p = positions.get(tenantId);
            if (p == null) {
                read(new String[] {tenantId}); // an entry of another tenant than its record key says: its own decides
                p = positions.computeIfAbsent(tenantId, id -> new Position(id, false));
            }
            return p;
        }

        void accept(ConsumerRecord<byte[], byte[]> r) throws SQLException {
            StoredEntry entry;
            try {
                entry = EntryCodec.decode(r.value());
            } catch (RuntimeException e) {
                outcome("unreadable");
                log.error("ALERT unreadable record at {}-{} offset {} (key {})", r.topic(), r.partition(), r.offset(),
                        TopicBytes.forLog(r.key()));
                return;
            }
            Position t = position(entry.tenantId());
            t.partition = r.partition();
            if (t.broken()) {
                outcome("after_break");
                return;
            }
            if (!t.known && t.lastSequence == 0 && entry.sequence() > 1 && truncated.contains(r.partition())) {
                // Its first record here, from a partition whose beginning retention deleted: the tenant's earlier
                // entries are gone from the topic, not missing from its chain. Say so and verify from here on.
                t.lastSequence = entry.sequence() - 1;
                t.lastHash = entry.prevHash().clone();
                t.lostToRetention = true;
                lost.add(entry.tenantId() + " before sequence " + entry.sequence());
            }
            switch (Arrival.of(t.lastSequence, t.lastHash, t.recent, entry.sequence(), entry.hash())) {
                case DUPLICATE -> outcome("duplicate");
                case FORK -> fork(t, entry.sequence(), "a second record of sequence " + entry.sequence() + " with another hash");
                case AHEAD -> hold(t, entry);
                case NEXT -> {
                    if (verify(t, entry)) {
                        drainHeld(t);
                    }
                }
            }
        }

        private boolean verify(Position t, StoredEntry entry) throws SQLException {
            ChainVerifier.Break b = ChainVerifier.next(t.lastSequence, t.lastHash, entry.sequence(), entry.prevHash(),
                    MessageDigest.isEqual(entry.recomputeHash(), entry.hash()));
            if (b != null) {
                breakChain(t, b.sequence(), b.reason().name(), b.detail());
                return false;
            }
            t.lastSequence = entry.sequence();
            t.lastHash = entry.hash();
            t.recent.record(entry.sequence(), entry.hash());
            worker.onVerified(entry, c);
            verifiedHere++;
            outcome("verified");
            return true;
        }

        private void hold(Position t, StoredEntry entry) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("insert into " + heldTable
                    + " (tenant_id, sequence, hash, entry, held_since) values (?, ?, ?, ?, ?) on conflict do nothing")) {
                ps.setString(1, t.tenantId);
                ps.setLong(2, entry.sequence());
                ps.setBytes(3, entry.hash());
                ps.setBytes(4, EntryCodec.encode(entry));
                ps.setTimestamp(5, Timestamp.from(now));
                if (ps.executeUpdate() == 0) {
                    byte[] before = heldHash(t.tenantId, entry.sequence());
                    if (before != null && !MessageDigest.isEqual(before, entry.hash())) {
                        fork(t, entry.sequence(), "two records of sequence " + entry.sequence()
                                + " with different hashes, both ahead of the chain");
                        return;
                    }
                    outcome("held");
                    return;
                }
            }
            if (heldCount(t.tenantId) > settings.maxHeldPerTenant()) {
                breakChain(t, t.lastSequence + 1, ChainVerifier.Reason.sequence_gap.name(),
                        "more than " + settings.maxHeldPerTenant() + " entries wait for it");
                return;
            }
            outcome("held");
        }

        private void drainHeld(Position t) throws SQLException {
            byte[] next;
            while (!t.broken() && (next = takeHeld(t.tenantId, t.lastSequence + 1)) != null) {
                if (!verify(t, EntryCodec.decode(next))) {
                    return;
                }
            }
        }

        private byte[] takeHeld(String tenantId, long sequence) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("delete from " + heldTable
                    + " where tenant_id = ? and sequence = ? returning entry")) {
                ps.setString(1, tenantId);
                ps.setLong(2, sequence);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getBytes(1) : null;
                }
            }
        }

        private byte[] heldHash(String tenantId, long sequence) throws SQLException {
            try (PreparedStatement ps = c.prepareStatement("select hash from " + heldTable
                    + " where tenant_id = ? and sequence = ?")) {
                ps.setString(1, tenantId);
                ps.setLong(2, sequence);
                try (ResultSet rs = ps.executeQuery()) {
                    return rs.next() ? rs.getBytes(1) : null;
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

        private void fork(Position t, long sequence, String detail) throws SQLException {
            breakChain(t, sequence, FORK, detail);
        }

        private void breakChain(Position t, long sequence, String reason, String detail) throws SQLException {
            t.brokenSequence = sequence;
            t.brokenReason = reason;
            alerts.add(new Alert(t.tenantId, sequence, reason, detail));
            outcome(FORK.equals(reason) ? "fork" : "broken");
            dropHeld(c, t.tenantId);
        }

        void save() throws SQLException {
            if (positions.isEmpty()) {
                return;
            }
            try (PreparedStatement ps = c.prepareStatement("insert into " + chainTable + " (tenant_id, kafka_partition, "
                    + "last_sequence, last_hash, recent_hashes, recent_from, broken_sequence, broken_reason, lost_to_retention) "
                    + "values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (tenant_id) do update set kafka_partition = excluded.kafka_partition, "
                    + "last_sequence = excluded.last_sequence, last_hash = excluded.last_hash, "
                    + "recent_hashes = excluded.recent_hashes, recent_from = excluded.recent_from, "
                    + "broken_sequence = excluded.broken_sequence, broken_reason = excluded.broken_reason, "
                    + "lost_to_retention = excluded.lost_to_retention")) {
                for (Position t : positions.values()) {
                    ps.setString(1, t.tenantId);
                    ps.setObject(2, t.partition, Types.INTEGER);
                    ps.setLong(3, t.lastSequence);
                    ps.setBytes(4, t.lastHash);
                    ps.setBytes(5, t.recent.toBytes());
                    ps.setObject(6, t.recent.from(), Types.BIGINT);
                    ps.setObject(7, t.brokenSequence, Types.BIGINT);
                    ps.setString(8, t.brokenReason);
                    ps.setBoolean(9, t.lostToRetention);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }

        void afterCommit() {
            verified.addAndGet(verifiedHere);
            outcomes.forEach((o, n) -> Counter.builder(settings.tablePrefix() + "_entries").tag("outcome", o)
                    .register(registry).increment(n));
            for (String l : lost) {
                Counter.builder(settings.tablePrefix() + "_records_lost_to_retention").register(registry).increment();
                log.error("ALERT records lost to retention: tenant {} entries were deleted from the topic before this "
                        + "worker read them; its chain is re-verified from there on (set the topic's retention.ms=-1)",
                        TopicBytes.forLog(l));
            }
            alerts.forEach(ChainFollower.this::alert);
        }

        private void outcome(String o) {
            outcomes.merge(o, 1, Integer::sum);
        }
    }

    private void alert(Alert a) {
        if (FORK.equals(a.reason())) {
            Counter.builder("ledger_chain_forks").tag("reason", FORK).register(registry).increment();
            log.error("ALERT fork: tenant {} at sequence {} ({}); the tenant is stopped", TopicBytes.forLog(a.tenantId()),
                    a.sequence(), a.detail());
        } else {
            Counter.builder(settings.tablePrefix() + "_chain_breaks").tag("reason", a.reason()).register(registry).increment();
            log.error("ALERT chain broken: tenant {} at sequence {} ({}: {})", TopicBytes.forLog(a.tenantId()), a.sequence(),
                    a.reason(), a.detail());
        }
    }

    private void dropHeld(Connection c, String tenantId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("delete from " + heldTable + " where tenant_id = ?")) {
            ps.setString(1, tenantId);
            ps.executeUpdate();
        }
    }

    private boolean advanceOffset(Connection c, int partition, Long expected, long next) throws SQLException {
        if (expected == null) {
            try (PreparedStatement ps = c.prepareStatement("insert into " + offsetTable
                    + " (topic, kafka_partition, next_offset) values (?, ?, ?) on conflict do nothing")) {
                ps.setString(1, settings.topic());
                ps.setInt(2, partition);
                ps.setLong(3, next);
                return ps.executeUpdate() == 1;
            }
        }
        try (PreparedStatement ps = c.prepareStatement("update " + offsetTable + " set next_offset = ? "
                + "where topic = ? and kafka_partition = ? and next_offset = ?")) {
            ps.setLong(1, next);
            ps.setString(2, settings.topic());
            ps.setInt(3, partition);
            ps.setLong(4, expected);
            return ps.executeUpdate() == 1;
        }
    }

    // ------------------------------------------------------------------ gap expiry and gauges

    /** Breaks the chain of every tenant on an owned partition whose held entries waited past the gap wait. */
    private void expireGaps() throws SQLException {
        Set<Integer> parts = owned;
        if (parts.isEmpty()) {
            return;
        }
        List<Alert> alerts = new ArrayList<>();
        try (Connection c = database.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("select t.tenant_id, t.last_sequence from " + chainTable + " t "
                        + "where t.broken_sequence is null and t.kafka_partition = any(?) and exists (select 1 from "
                        + heldTable + " h where h.tenant_id = t.tenant_id and h.held_since < ?) for update")) {
                    Array a = c.createArrayOf("integer", parts.toArray());
                    ps.setArray(1, a);
                    ps.setTimestamp(2, Timestamp.from(clock.instant().minus(settings.gapWait())));
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            alerts.add(new Alert(rs.getString(1), rs.getLong(2) + 1, ChainVerifier.Reason.sequence_gap.name(),
                                    "never delivered within " + settings.gapWait()));
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
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        alerts.forEach(this::alert);
    }

    private void refreshGauges() throws SQLException {
        try (Connection c = database.getConnection();
             PreparedStatement ps = c.prepareStatement("select count(*) filter (where broken_sequence is not null "
                     + "and broken_reason <> ?), count(*) filter (where broken_reason = ?), count(*), "
                     + "count(*) filter (where lost_to_retention) from " + chainTable);
             ResultSet rs = bind(ps).executeQuery()) {
            rs.next();
            broken.set(rs.getLong(1));
            forked.set(rs.getLong(2));
            tenants.set(rs.getLong(3));
            lostTenants.set(rs.getLong(4));
        }
    }

    private static PreparedStatement bind(PreparedStatement ps) throws SQLException {
        ps.setString(1, FORK);
        ps.setString(2, FORK);
        return ps;
    }

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
}
