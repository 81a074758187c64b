package dev.ledger.api.finance;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Keeps the finance projection ({@link FinanceProjection}) up with the tenants' chains. It follows each chain by its
 * gapless sequence, not the event store's global index (which commits out of order): a tenant whose next entry exists
 * is projected from its {@code finance_position}, in batches, each in one transaction that locks the tenant's position
 * row, so two ledger-api instances project each entry once between them and a failure moves nothing. The appends never
 * wait for it: it runs on its own thread every {@code ledger.finance.interval} and is typically well under a second
 * behind.
 *
 * <p>A rebuild deletes every row of the projection and its positions in one transaction (under a table lock, so no
 * instance is projecting meanwhile) and catches up from the first entry of every chain, with the same code.
 */
@Component
public class FinanceProjector implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FinanceProjector.class);
    static final String NAME = "finance";
    static final List<String> TABLES = List.of("finance_usage_hour", "finance_reported_window", "finance_late_usage",
            "finance_invoice", "finance_stripe_quantity");

    private final DataSource dataSource;
    private final FinanceProperties props;
    private final Clock clock;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "finance-projector");
        t.setDaemon(true);
        return t;
    });
    private final AtomicLong projected = new AtomicLong();
    private final AtomicLong behind = new AtomicLong();
    private final AtomicReference<Instant> rebuildStarted = new AtomicReference<>();
    private final AtomicReference<Instant> rebuiltAt = new AtomicReference<>();
    private final AtomicReference<String> lastError = new AtomicReference<>();
    /** Tenants whose chain lacks an entry, with the first missing sequence: the projection of each stops before it. */
    private final Map<String, Long> stalled = new ConcurrentHashMap<>();
    private final Counter failures;

    public FinanceProjector(DataSource dataSource, FinanceProperties props, Clock clock, MeterRegistry metrics) {
        this.dataSource = dataSource;
        this.props = props;
        this.clock = clock;
        Gauge.builder("ledger.finance.projection.behind.entries", behind, AtomicLong::get)
                .description("entries of the tenants' chains not yet in the finance projection, at the last pass").register(metrics);
        this.failures = Counter.builder("ledger.finance.projection.failures")
                .description("passes over a chain that failed and were rolled back (retried on the next pass)").register(metrics);
        metrics.more().counter("ledger.finance.projection.entries", List.of(), projected);
    }

    @EventListener(ApplicationReadyEvent.class)
    void start() {
        long millis = props.interval().toMillis();
        thread.scheduleWithFixedDelay(this::pass, 0, millis, TimeUnit.MILLISECONDS);
    }

    /** One pass over every chain that has entries the projection has not; errors are logged and retried next pass. */
    void pass() {
        Map<String, Long> heads;
        try {
            heads = behindChains();
        } catch (RuntimeException | SQLException e) {
            failed(e);
            return;
        }
        long left = 0;
        boolean failedOne = false;
        for (String tenantId : heads.keySet()) {
            // each chain on its own: one that fails or is broken never holds the others back
            try {
                left += catchUp(tenantId, props.maxBatchesPerPass());
                stalled.remove(tenantId);
            } catch (ChainGap gap) {
                if (!Long.valueOf(gap.missing).equals(stalled.put(tenantId, gap.missing))) {
                    log.warn("finance projection: {}; the tenant's later entries stay out of the projection until the chain "
                            + "is whole (verify it: POST /v1/tenants/{}/verifications); other tenants go on", gap.getMessage(), tenantId);
                }
            } catch (RuntimeException | SQLException e) {
                failedOne = true;
                failed(e);
            }
        }
        behind.set(left);
        if (!failedOne) {
            lastError.set(null);
        }
        if (left == 0 && !failedOne && rebuildStarted.getAndSet(null) != null) {
            rebuiltAt.set(clock.instant());
            log.info("finance projection rebuilt from the event store");
        }
    }

    private void failed(Exception e) {
        failures.increment();
        lastError.set(e.getClass().getSimpleName());
        log.error("finance projection: pass failed ({}); retrying", e.getClass().getSimpleName(), e);
    }

    /** A tenant's chain lacks an entry: the projection stops before it (the entries before it are projected). */
    public static final class ChainGap extends RuntimeException {
        final String tenantId;
        final long missing;

        ChainGap(String tenantId, long missing) {
            super("tenant " + tenantId + ": entry " + missing + " is missing from its chain", null, false, false);
            this.tenantId = tenantId;
            this.missing = missing;
        }

        /** The sequence of the first missing entry. */
        public long missing() {
            return missing;
        }
    }

    /** The tenants whose chain holds an entry past their position, with how many entries they are behind. */
    private Map<String, Long> behindChains() throws SQLException {
        Map<String, Long> out = new LinkedHashMap<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select t.tenant_id, coalesce(p.sequence, 0) from tenant t "
                     + "left join finance_position p on p.tenant_id = t.tenant_id where exists (select 1 from domain_event_entry e "
                     + "where e.aggregate_identifier = t.tenant_id and e.sequence_number = coalesce(p.sequence, 0)) "
                     + "order by t.tenant_id")) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return out;
    }

    /**
     * Projects the tenant's chain up to its head as it is now, or {@code maxBatches} batches of it, whichever comes
     * first; answers how many entries it is still behind (0: caught up). Safe to call from any thread.
     */
    public long catchUp(String tenantId, int maxBatches) throws SQLException {
        for (int i = 0; i < maxBatches; i++) {
            int done = batch(tenantId);
            if (done < props.batchSize()) {
                return 0;
            }
        }
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select coalesce((select max(sequence_number) + 1 from domain_event_entry "
                     + "where aggregate_identifier = ?), 0) - coalesce((select sequence from finance_position where tenant_id = ?), 0)")) {
            ps.setString(1, tenantId);
            ps.setString(2, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return Math.max(0, rs.getLong(1));
            }
        }
    }

    /** The tenant's chain projected through its head as it is now; the position it reached. */
    public long catchUp(String tenantId) throws SQLException {
        while (batch(tenantId) >= props.batchSize()) {
            // next batch
        }
        return position(tenantId);
    }

    /** How far the tenant's chain is projected. */
    public long position(String tenantId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select sequence from finance_position where tenant_id = ?")) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** One batch of the tenant's chain after its position, in one transaction; the number of entries projected. */
    private int batch(String tenantId) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("insert into finance_position (tenant_id, sequence) values (?, 0) "
                        + "on conflict (tenant_id) do nothing")) {
                    ps.setString(1, tenantId);
                    ps.executeUpdate();
                }
                long position;
                try (PreparedStatement ps = c.prepareStatement("select sequence from finance_position where tenant_id = ? for update")) {
                    ps.setString(1, tenantId);
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            c.rollback(); // deleted by a rebuild meanwhile: the next pass starts it again
                            return 0;
                        }
                        position = rs.getLong(1);
                    }
                }
                List<FinanceProjection.Row> rows = new ArrayList<>();
                long missing = read(c, tenantId, position, rows);
                if (rows.isEmpty()) {
                    c.rollback();
                    if (missing > 0) {
                        throw new ChainGap(tenantId, missing);
                    }
                    return 0;
                }
                FinanceProjection.apply(c, tenantId, rows);
                try (PreparedStatement ps = c.prepareStatement(
                        "update finance_position set sequence = ?, updated_at = now() where tenant_id = ?")) {
                    ps.setLong(1, rows.get(rows.size() - 1).sequence());
                    ps.setString(2, tenantId);
                    ps.executeUpdate();
                }
                c.commit();
                projected.addAndGet(rows.size());
                if (missing > 0) {
                    throw new ChainGap(tenantId, missing);
                }
                return rows.size();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** Reads the batch after {@code position} into {@code rows}, up to a gap; the first missing sequence, or 0. */
    private long read(Connection c, String tenantId, long position, List<FinanceProjection.Row> rows) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select sequence_number + 1, payload_type, time_stamp, meta_data, "
                + "case when payload_type = any (?) and octet_length(payload) > 0 then payload end from domain_event_entry "
                + "where aggregate_identifier = ? and sequence_number >= ? order by sequence_number limit ?")) {
            ps.setArray(1, c.createArrayOf("varchar", FinanceProjection.PAYLOAD_TYPES.toArray()));
            ps.setString(2, tenantId);
            ps.setLong(3, position);
            ps.setInt(4, props.batchSize());
            try (ResultSet rs = ps.executeQuery()) {
                long expected = position + 1;
                while (rs.next()) {
                    long sequence = rs.getLong(1);
                    if (sequence != expected) {
                        return expected;
                    }
                    expected++;
                    rows.add(new FinanceProjection.Row(sequence, rs.getString(2), rs.getString(3), rs.getBytes(4), rs.getBytes(5)));
                }
            }
        }
        return 0;
    }

    /**
     * Starts a rebuild: every row of the projection and every position deleted in one transaction, then caught up from
     * the first entry of every chain by the passes that follow. Answers when the rows are gone.
     */
    public void rebuild() throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.execute("lock table finance_position in exclusive mode");
                for (String table : TABLES) {
                    s.executeUpdate("delete from " + table);
                }
                s.executeUpdate("delete from finance_position");
                c.commit();
                stalled.clear();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
        rebuildStarted.set(clock.instant());
        log.info("finance projection: rows deleted; rebuilding from the event store");
        thread.execute(this::pass);
    }

    /** The projection's state for operators. */
    public Map<String, Object> status() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("name", NAME);
        s.put("state", rebuildStarted.get() != null ? "rebuilding" : "live");
        s.put("behind_entries", behind.get());
        s.put("projected_entries", projected.get());
        Instant started = rebuildStarted.get();
        s.put("rebuild_started_at", started == null ? null : started.toString());
        Instant rebuilt = rebuiltAt.get();
        s.put("rebuilt_at", rebuilt == null ? null : rebuilt.toString());
        s.put("last_error", lastError.get());
        s.put("stalled", stalled.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .map(e -> Map.of("tenant_id", e.getKey(), "missing_sequence", e.getValue())).toList());
        return s;
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
