package dev.ledger.meter;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.ledger.core.config.DatabaseUrl;
import dev.ledger.follower.ChainFollower;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.flywaydb.core.Flyway;

/**
 * The meter-reader's own tables (schema module, {@code db/meter-reader}). Methods taking a {@link Connection} run
 * inside the caller's transaction; the others use their own short one.
 */
final class MeterReaderStore implements AutoCloseable {

    private final HikariDataSource dataSource;

    private MeterReaderStore(HikariDataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Opens a small pool and brings the worker's tables up to date. */
    static MeterReaderStore open(MeterReaderConfig config) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(config.jdbcUrl());
        if (config.dbUser() != null) {
            hc.setUsername(config.dbUser());
        }
        if (config.dbPassword() != null) {
            hc.setPassword(config.dbPassword());
        }
        hc.setPoolName("meter-reader");
        hc.setMaximumPoolSize(4);
        hc.setConnectionTimeout(5_000);
        HikariDataSource ds = new HikariDataSource(hc);
        try {
            // Own history table, baseline 0: the database already carries the API's Flyway history. As the schema
            // owner when LEDGER_MIGRATION_DATABASE_URL is set: the worker's own login may only use its tables.
            DatabaseUrl owner = config.migrationDatabase();
            var flyway = owner == null ? Flyway.configure().dataSource(ds)
                    : Flyway.configure().dataSource(owner.jdbcUrl(), owner.user(), owner.password());
            flyway.locations("classpath:db/meter-reader").table("flyway_meter_reader_history")
                    .baselineOnMigrate(true).baselineVersion("0").load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new MeterReaderStore(ds);
    }

    /** The pool, for the chain follower's own statements (in the same database and transactions). */
    javax.sql.DataSource dataSource() {
        return dataSource;
    }

    Connection transaction() throws SQLException {
        Connection c = dataSource.getConnection();
        c.setAutoCommit(false);
        return c;
    }

    boolean reachable() {
        try (Connection c = dataSource.getConnection()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    @Override
    public void close() {
        dataSource.close();
    }

    // ------------------------------------------------------------------ tenants

    /**
     * The columns of a tenant's row the meter-reader reads: its own, and the follower's position and break (read only
     * here). The chain follower reads them with its positions, in one statement
     * ({@link MeterReading#chainColumnsRead}).
     */
    static final List<String> TENANT_READ = List.of("last_sequence", "last_recorded_at", "stripe_customer_id",
            "broken_sequence", "broken_reason", "kafka_partition", "closed_through", "tenant_name", "customer_wanted",
            "merkle_frontier", "checkpoint_size", "checkpoint_root", "witnessed_size");
    /** The meter-reader's own columns of a tenant's row, in the order {@link #bindTenant} binds them. */
    static final List<String> TENANT_WRITTEN = List.of("last_recorded_at", "stripe_customer_id", "closed_through",
            "tenant_name", "customer_wanted", "merkle_frontier", "checkpoint_size", "checkpoint_root",
            "witnessed_size");

    /** Loads and locks the rows of these tenants for the rest of the transaction (outside a follower's poll). */
    Map<String, TenantPosition> tenants(Connection c, Set<String> tenantIds) throws SQLException {
        Map<String, TenantPosition> found = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("select tenant_id, " + String.join(", ", TENANT_READ)
                + " from meter_reader_tenant where tenant_id = any(?) for update")) {
            ps.setArray(1, c.createArrayOf("varchar", tenantIds.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    Object[] values = new Object[TENANT_READ.size()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = rs.getObject(i + 2);
                    }
                    found.put(rs.getString(1), tenant(rs.getString(1), values));
                }
            }
        }
        return found;
    }

    /** A tenant from its row's values of {@link #TENANT_READ}, in order (as {@link ResultSet#getObject} reads them). */
    static TenantPosition tenant(String tenantId, Object[] v) {
        TenantPosition t = new TenantPosition(tenantId);
        t.lastSequence = (Long) v[0];
        t.lastRecordedAt = instant((Timestamp) v[1]);
        t.stripeCustomerId = (String) v[2];
        t.brokenSequence = (Long) v[3];
        t.brokenReason = (String) v[4];
        t.partition = (Integer) v[5];
        t.closedThrough = instant((Timestamp) v[6]);
        t.closedThroughStored = t.closedThrough;
        t.tenantName = (String) v[7];
        t.customerWanted = (Boolean) v[8];
        // a frontier exists for a tenant first seen with it; the genesis position has the empty one
        byte[] frontier = (byte[]) v[9];
        t.frontier = frontier == null && t.lastSequence == 0 ? new MerkleFrontier()
                : MerkleFrontier.fromBytes(frontier, t.lastSequence);
        t.checkpointSize = (Long) v[10];
        t.checkpointRoot = (byte[]) v[11];
        t.witnessedSize = (Long) v[12];
        return t;
    }

    /** Binds the tenant's values of {@link #TENANT_WRITTEN}, in that order, from parameter {@code from}. */
    static void bindTenant(PreparedStatement ps, int from, TenantPosition t) throws SQLException {
        ps.setTimestamp(from, timestamp(t.lastRecordedAt));
        ps.setString(from + 1, t.stripeCustomerId);
        ps.setTimestamp(from + 2, timestamp(t.closedThrough));
        ps.setString(from + 3, t.tenantName);
        ps.setBoolean(from + 4, t.customerWanted);
        ps.setBytes(from + 5, t.frontier == null ? null : t.frontier.toBytes());
        ps.setObject(from + 6, t.checkpointSize, Types.BIGINT);
        ps.setBytes(from + 7, t.checkpointRoot);
        ps.setObject(from + 8, t.witnessedSize, Types.BIGINT);
    }

    /** The worker's columns of these tenants (their rows exist), outside a follower's poll. */
    void saveTenants(Connection c, Collection<TenantPosition> tenants) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update meter_reader_tenant set "
                + TENANT_WRITTEN.stream().map(col -> col + " = ?").collect(Collectors.joining(", "))
                + " where tenant_id = ?")) {
            for (TenantPosition t : tenants) {
                bindTenant(ps, 1, t);
                ps.setString(TENANT_WRITTEN.size() + 1, t.tenantId);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    record CustomerWanted(String tenantId, String name) {
    }

    /** Registered tenants without a Stripe customer whose chains are intact, on these partitions. */
    List<CustomerWanted> tenantsWantingCustomer(Set<Integer> partitions) throws SQLException {
        List<CustomerWanted> wanted = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select tenant_id, tenant_name from meter_reader_tenant "
                     + "where customer_wanted and stripe_customer_id is null and broken_sequence is null "
                     + "and kafka_partition = any(?) order by tenant_id limit 100")) {
            ps.setArray(1, intArray(c, partitions));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    wanted.add(new CustomerWanted(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return wanted;
    }

    /** Records a customer the worker created and the ledger accepted, unless a linked one arrived first. */
    void linkCreatedCustomer(String tenantId, String customerId) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("update meter_reader_tenant set stripe_customer_id = ?, "
                     + "customer_wanted = false where tenant_id = ? and stripe_customer_id is null")) {
            ps.setString(1, customerId);
            ps.setString(2, tenantId);
            ps.executeUpdate();
        }
    }

    void markBroken(Connection c, String tenantId, long sequence, String reason) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update meter_reader_tenant set broken_sequence = ?, broken_reason = ? "
                + "where tenant_id = ? and broken_sequence is null")) {
            ps.setLong(1, sequence);
            ps.setString(2, reason);
            ps.setString(3, tenantId);
            ps.executeUpdate();
        }
    }

    // ------------------------------------------------------------------ checkpoints

    /**
     * Tenants on these partitions whose chain passed what a checkpoint witnessed and that wait for no checkpoint
     * already, fetched longest ago first (never fetched first).
     */
    List<String> tenantsToWitness(Set<Integer> partitions, Instant fetchedBefore, int limit) throws SQLException {
        List<String> tenants = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select tenant_id from meter_reader_tenant "
                     + "where broken_sequence is null and merkle_frontier is not null and kafka_partition = any(?) "
                     + "and last_sequence > coalesce(witnessed_size, 0) and checkpoint_size is null "
                     + "and (checkpoint_fetched_at is null or checkpoint_fetched_at < ?) "
                     + "order by checkpoint_fetched_at nulls first, tenant_id limit ?")) {
            ps.setArray(1, intArray(c, partitions));
            ps.setTimestamp(2, Timestamp.from(fetchedBefore));
            ps.setInt(3, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    tenants.add(rs.getString(1));
                }
            }
        }
        return tenants;
    }

    /** What a verified checkpoint told about a tenant's chain. */
    enum Witnessed { HOLDS, PENDING, BEHIND, CONTRADICTS, STOPPED }

    /**
     * Applies a verified checkpoint to the tenant's position, under its row lock: checked now when it is of the
     * chain's size, kept to be checked on reaching it when ahead; a contradiction stops the tenant.
     */
    Witnessed witness(String tenantId, long size, byte[] root, Instant now) throws SQLException {
        try (Connection c = transaction()) {
            try {
                TenantPosition t = tenants(c, Set.of(tenantId)).get(tenantId);
                Witnessed outcome;
                if (t == null || t.broken() || t.frontier == null) {
                    outcome = Witnessed.STOPPED;
                } else if (size > t.lastSequence) {
                    if (t.checkpointSize == null || size < t.checkpointSize) {
                        t.checkpointSize = size;
                        t.checkpointRoot = root;
                    }
                    outcome = Witnessed.PENDING;
                } else if (size < t.lastSequence) {
                    outcome = Witnessed.BEHIND;
                } else if (ForkDetector.holdsAtHead(t, size, root) == null) {
                    outcome = Witnessed.BEHIND; // the frontier cannot tell (never expected: it is kept at the head)
                } else if (ForkDetector.holdsAtHead(t, size, root)) {
                    t.witnessedSize = size;
                    outcome = Witnessed.HOLDS;
                } else {
                    markBroken(c, tenantId, size, ForkDetector.CHECKPOINT_MISMATCH);
                    outcome = Witnessed.CONTRADICTS;
                }
                if (t != null) {
                    saveTenants(c, List.of(t));
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "update meter_reader_tenant set checkpoint_fetched_at = ? where tenant_id = ?")) {
                    ps.setTimestamp(1, Timestamp.from(now));
                    ps.setString(2, tenantId);
                    ps.executeUpdate();
                }
                c.commit();
                return outcome;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    /** Notes a fetch that told nothing (refused, unreachable, unsigned), so the next fetch waits its turn. */
    void checkpointFetched(String tenantId, Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement(
                     "update meter_reader_tenant set checkpoint_fetched_at = ? where tenant_id = ?")) {
            ps.setTimestamp(1, Timestamp.from(now));
            ps.setString(2, tenantId);
            ps.executeUpdate();
        }
    }

    // ------------------------------------------------------------------ windows

    /**
     * Adds units to open windows (creating them), in one statement; answers the tenants of the windows whose units now
     * exceed {@link UsageWindow#MAX_QUANTITY} (those windows are marked {@code quantity_overflow}). Sums saturate one
     * past the bound, so no bigint ever overflows. A window that is no longer open is a bug: fail the batch.
     */
    Set<String> addUnits(Connection c, Map<UsageWindow, Long> units, Map<String, TenantPosition> tenants)
            throws SQLException {
        int n = units.size();
        String[] tenant = new String[n];
        String[] meter = new String[n];
        String[] start = new String[n];
        String[] end = new String[n];
        Long[] quantity = new Long[n];
        String[] identifier = new String[n];
        Long[] lastSequence = new Long[n];
        int i = 0;
        for (Map.Entry<UsageWindow, Long> e : units.entrySet()) {
            UsageWindow w = e.getKey();
            tenant[i] = w.tenantId();
            meter[i] = w.meter();
            start[i] = w.start().toString(); // ISO-8601 in UTC: no session time zone involved
            end[i] = w.end().toString();
            quantity[i] = e.getValue();
            identifier[i] = w.identifier();
            TenantPosition t = tenants.get(w.tenantId());
            lastSequence[i++] = t == null ? null : t.lastSequence;
        }
        String sum = "least(meter_reader_window.quantity + excluded.quantity, " + OVER + ")";
        Set<String> overflowed = new HashSet<>();
        int affected = 0;
        try (PreparedStatement ps = c.prepareStatement("insert into meter_reader_window (tenant_id, meter, window_start, "
                + "window_end, quantity, status, identifier, last_sequence, last_error) "
                + "select u.t, u.m, u.s::timestamptz, u.e::timestamptz, u.q, 'OPEN', u.i, u.l, "
                + "case when u.q > " + UsageWindow.MAX_QUANTITY + " then 'quantity_overflow' end "
                + "from unnest(?::varchar[], ?::varchar[], ?::text[], ?::text[], ?::bigint[], ?::varchar[], ?::bigint[]) "
                + "as u(t, m, s, e, q, i, l) "
                + "on conflict (tenant_id, meter, window_start) do update set quantity = " + sum + ", "
                + "last_sequence = greatest(meter_reader_window.last_sequence, excluded.last_sequence), "
                + "last_error = case when " + sum + " > " + UsageWindow.MAX_QUANTITY + " then 'quantity_overflow' "
                + "else meter_reader_window.last_error end "
                + "where meter_reader_window.status = 'OPEN' "
                + "returning tenant_id, quantity > " + UsageWindow.MAX_QUANTITY)) {
            ps.setArray(1, c.createArrayOf("varchar", tenant));
            ps.setArray(2, c.createArrayOf("varchar", meter));
            ps.setArray(3, c.createArrayOf("text", start));
            ps.setArray(4, c.createArrayOf("text", end));
            ps.setArray(5, c.createArrayOf("bigint", quantity));
            ps.setArray(6, c.createArrayOf("varchar", identifier));
            ps.setArray(7, c.createArrayOf("bigint", lastSequence));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    affected++;
                    if (rs.getBoolean(2)) {
                        overflowed.add(rs.getString(1));
                    }
                }
            }
        }
        if (affected != n) {
            throw new IllegalStateException((n - affected) + " window(s) got units after they were closed");
        }
        return overflowed;
    }

    /** One past the bound: both terms of a sum are at most this, so it never overflows a bigint. */
    private static final long OVER = UsageWindow.MAX_QUANTITY + 1;

    /** Closes each tenant's open windows ending at or before its instant, in one statement; answers how many. */
    int closeWindows(Connection c, Map<String, Instant> throughByTenant) throws SQLException {
        String[] tenants = new String[throughByTenant.size()];
        String[] through = new String[throughByTenant.size()];
        int i = 0;
        for (Map.Entry<String, Instant> e : throughByTenant.entrySet()) {
            tenants[i] = e.getKey();
            through[i++] = e.getValue().toString(); // ISO-8601 in UTC: no session time zone involved
        }
        try (PreparedStatement ps = c.prepareStatement("update meter_reader_window w set status = 'CLOSED' "
                + "from unnest(?::varchar[], ?::text[]) as b(tenant_id, through) "
                + "where w.tenant_id = b.tenant_id and w.status = 'OPEN' and w.window_end <= b.through::timestamptz")) {
            ps.setArray(1, c.createArrayOf("varchar", tenants));
            ps.setArray(2, c.createArrayOf("text", through));
            return ps.executeUpdate();
        }
    }

    /**
     * Idle close on partitions whose entries are all consumed: closes every open window there ending at or before
     * {@code boundary} and moves each tenant's closing boundary to the latest end it closed. Answers how many closed.
     */
    int closeIdleWindows(Connection c, Set<Integer> partitions, Instant boundary) throws SQLException {
        Array parts = intArray(c, partitions);
        Timestamp b = Timestamp.from(boundary);
        try (PreparedStatement tenants = c.prepareStatement("update meter_reader_tenant t set closed_through = w.last_end "
                + "from (select tenant_id, max(window_end) as last_end from meter_reader_window "
                + "where status = 'OPEN' and window_end <= ? group by tenant_id) w "
                + "where t.tenant_id = w.tenant_id and t.kafka_partition = any(?) "
                + "and (t.closed_through is null or t.closed_through < w.last_end)");
             PreparedStatement windows = c.prepareStatement("update meter_reader_window w set status = 'CLOSED' "
                     + "from meter_reader_tenant t where t.tenant_id = w.tenant_id and t.kafka_partition = any(?) "
                     + "and w.status = 'OPEN' and w.window_end <= ?")) {
            tenants.setTimestamp(1, b);
            tenants.setArray(2, parts);
            tenants.executeUpdate();
            windows.setArray(1, parts);
            windows.setTimestamp(2, b);
            return windows.executeUpdate();
        }
    }

    /**
     * Closed or delivered windows on these partitions that are due: delivered ones (write-back pending) always, closed
     * ones only for tenants with a customer and an intact chain.
     */
    List<MeterReport> dueReports(Set<Integer> partitions, Instant now, int limit) throws SQLException {
        return dueReports(partitions, now, limit, false);
    }

    /**
     * {@code witnessedOnly}: closed windows only of entries a verified signed checkpoint covers (tenants whose position
     * predates the Merkle frontier cannot be witnessed and are not held back).
     */
    List<MeterReport> dueReports(Set<Integer> partitions, Instant now, int limit, boolean witnessedOnly)
            throws SQLException {
        List<MeterReport> due = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select w.tenant_id, w.meter, w.window_start, w.window_end, "
                     + "w.quantity, w.identifier, w.status, w.attempts, t.stripe_customer_id, w.first_sent_at, w.sent_at "
                     + "from meter_reader_window w join meter_reader_tenant t on t.tenant_id = w.tenant_id "
                     + "where w.status in ('CLOSED', 'DELIVERED') and t.kafka_partition = any(?) "
                     + "and (w.next_attempt_at is null or w.next_attempt_at <= ?) "
                     + "and (w.status = 'DELIVERED' or (t.broken_sequence is null and t.stripe_customer_id is not null "
                     + "and (not ? or t.merkle_frontier is null "
                     + "or coalesce(w.last_sequence, 0) <= coalesce(t.witnessed_size, 0)))) "
                     + "order by w.window_end, w.tenant_id, w.meter limit ?")) {
            ps.setArray(1, intArray(c, partitions));
            ps.setTimestamp(2, Timestamp.from(now));
            ps.setBoolean(3, witnessedOnly);
            ps.setInt(4, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    UsageWindow w = new UsageWindow(rs.getString(1), rs.getString(2), instant(rs.getTimestamp(3)),
                            instant(rs.getTimestamp(4)));
                    due.add(new MeterReport(w, rs.getLong(5), rs.getString(6), MeterReport.Status.valueOf(rs.getString(7)),
                            rs.getInt(8), rs.getString(9), instant(rs.getTimestamp(10)), instant(rs.getTimestamp(11))));
                }
            }
        }
        return due;
    }

    /** Moves a report from one status to the next; false when someone else moved it first. */
    boolean advance(MeterReport r, MeterReport.Status to, Instant now) throws SQLException {
        String stamp = to == MeterReport.Status.DELIVERED ? ", reported_at = ?" : ", written_back_at = ?";
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("update meter_reader_window set status = ?, attempts = 0, "
                     + "next_attempt_at = null, last_error = null" + stamp
                     + " where tenant_id = ? and meter = ? and window_start = ? and status = ?")) {
            ps.setString(1, to.name());
            ps.setTimestamp(2, Timestamp.from(now));
            bindKey(ps, 3, r);
            ps.setString(6, r.status().name());
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * Records, before a Stripe call, that the window is being sent now: {@code first_sent_at} once for good,
     * {@code sent_at} when none is recorded or {@code reopen} (the identifier window Stripe keeps has run out and
     * reconciliation found the event missing). Answers the report with both, or null when the window moved on.
     */
    MeterReport markSending(MeterReport r, Instant now, boolean reopen) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("update meter_reader_window set "
                     + "first_sent_at = coalesce(first_sent_at, ?), "
                     + "sent_at = case when sent_at is null or ? then ? else sent_at end "
                     + "where tenant_id = ? and meter = ? and window_start = ? and status = ? "
                     + "returning first_sent_at, sent_at")) {
            ps.setTimestamp(1, Timestamp.from(now));
            ps.setBoolean(2, reopen);
            ps.setTimestamp(3, Timestamp.from(now));
            ps.setString(4, r.window().tenantId());
            ps.setString(5, r.window().meter());
            ps.setTimestamp(6, Timestamp.from(r.window().start()));
            ps.setString(7, r.status().name());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? r.sentAt(instant(rs.getTimestamp(1)), instant(rs.getTimestamp(2))) : null;
            }
        }
    }

    /** Units of this tenant and meter in windows starting in [from, to), other than {@code except}, by kind. */
    record SpanUnits(long delivered, long uncertain) {
    }

    /**
     * For reconciliation: the units Stripe is known to hold (DELIVERED or WRITTEN_BACK) and the units of windows sent
     * but not confirmed (CLOSED or PARKED with a send recorded), of the tenant's meter in windows starting in
     * [from, to), the window being reconciled excluded.
     */
    SpanUnits spanUnits(MeterReport r, Instant from, Instant to) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select "
                     + "coalesce(sum(quantity) filter (where status in ('DELIVERED', 'WRITTEN_BACK')), 0), "
                     + "coalesce(sum(quantity) filter (where status in ('CLOSED', 'PARKED') and sent_at is not null), 0) "
                     + "from meter_reader_window where tenant_id = ? and meter = ? and window_start >= ? "
                     + "and window_start < ? and identifier <> ?")) {
            ps.setString(1, r.window().tenantId());
            ps.setString(2, r.window().meter());
            ps.setTimestamp(3, Timestamp.from(from));
            ps.setTimestamp(4, Timestamp.from(to));
            ps.setString(5, r.identifier());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new SpanUnits(rs.getLong(1), rs.getLong(2));
            }
        }
    }

    void retryLater(MeterReport r, Instant next, String error) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("update meter_reader_window set attempts = attempts + 1, "
                     + "next_attempt_at = ?, last_error = ? where tenant_id = ? and meter = ? and window_start = ? "
                     + "and status = ?")) {
            ps.setTimestamp(1, Timestamp.from(next));
            ps.setString(2, truncate(error));
            bindKey(ps, 3, r);
            ps.setString(6, r.status().name());
            ps.executeUpdate();
        }
    }

    /** Parks the report, remembering the status it was in so that {@link #requeueParked} can put it back there. */
    void park(MeterReport r, String error, Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("update meter_reader_window set status = 'PARKED', "
                     + "parked_from = status, parked_at = ?, attempts = attempts + 1, next_attempt_at = null, "
                     + "last_error = ? where tenant_id = ? and meter = ? and window_start = ? and status = ?")) {
            ps.setTimestamp(1, Timestamp.from(now));
            ps.setString(2, truncate(error));
            bindKey(ps, 3, r);
            ps.setString(6, r.status().name());
            ps.executeUpdate();
        }
    }

    /**
     * The status a parked window came from. parked_from is null for a window parked before it was recorded, or by an
     * older instance during a rolling upgrade: Stripe had its event exactly when reported_at is set.
     */
    private static final String PARKED_FROM =
            "coalesce(parked_from, case when reported_at is null then 'CLOSED' else 'DELIVERED' end)";

    /** Parked windows, longest parked first. */
    List<ParkedWindow> parkedWindows(int limit) throws SQLException {
        List<ParkedWindow> parked = new ArrayList<>();
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("select identifier, tenant_id, meter, window_start, window_end, "
                     + "quantity, " + PARKED_FROM + ", last_error, parked_at from meter_reader_window where status = 'PARKED' "
                     + "order by parked_at nulls first, identifier limit ?")) {
            ps.setInt(1, limit);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    parked.add(new ParkedWindow(rs.getString(1), rs.getString(2), rs.getString(3),
                            instant(rs.getTimestamp(4)), instant(rs.getTimestamp(5)), rs.getLong(6),
                            ParkedWindow.stage(MeterReport.Status.valueOf(rs.getString(7))), rs.getString(8),
                            instant(rs.getTimestamp(9))));
                }
            }
        }
        return parked;
    }

    /**
     * Puts a parked window back into the delivery queue, due at once with a fresh backoff, in the status it was parked
     * from. Answers that status, or empty when no window with this identifier is parked.
     */
    Optional<MeterReport.Status> requeueParked(String identifier) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("update meter_reader_window set status = " + PARKED_FROM + ", "
                     + "parked_from = null, parked_at = null, attempts = 0, next_attempt_at = null "
                     + "where identifier = ? and status = 'PARKED' returning status")) {
            ps.setString(1, identifier);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(MeterReport.Status.valueOf(rs.getString(1))) : Optional.empty();
            }
        }
    }

    // ------------------------------------------------------------------ Stripe's meter error reports

    /** The newest error report read, by Stripe's time; null before the first. */
    Instant newestErrorReport() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select max(created) from meter_reader_error_report")) {
            rs.next();
            return instant(rs.getTimestamp(1));
        }
    }

    /**
     * Records an error report once, and parks every delivered window it names as refused by Stripe, to be sent again
     * by an operator's retry once the cause is fixed ({@code parked_from = CLOSED}: Stripe has not counted it). In one
     * transaction: a report is either read whole or not at all. Answers the windows parked, or -1 when the report was
     * read before.
     */
    int recordErrorReport(String eventId, Instant created, long refused, Map<String, String> reasonByIdentifier,
                          Instant now) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false);
            try {
                try (PreparedStatement ps = c.prepareStatement("insert into meter_reader_error_report (event_id, "
                        + "created, refused, parked, read_at) values (?, ?, ?, 0, ?) on conflict do nothing")) {
                    ps.setString(1, eventId);
                    ps.setTimestamp(2, Timestamp.from(created));
                    ps.setLong(3, refused);
                    ps.setTimestamp(4, Timestamp.from(now));
                    if (ps.executeUpdate() == 0) {
                        c.rollback();
                        return -1;
                    }
                }
                int parked = 0;
                try (PreparedStatement ps = c.prepareStatement("update meter_reader_window set status = 'PARKED', "
                        + "parked_from = 'CLOSED', parked_at = ?, next_attempt_at = null, last_error = ? "
                        + "where identifier = ? and status in ('DELIVERED', 'WRITTEN_BACK')")) {
                    for (Map.Entry<String, String> e : reasonByIdentifier.entrySet()) {
                        ps.setTimestamp(1, Timestamp.from(now));
                        ps.setString(2, truncate(e.getValue()));
                        ps.setString(3, e.getKey());
                        parked += ps.executeUpdate();
                    }
                }
                try (PreparedStatement ps = c.prepareStatement(
                        "update meter_reader_error_report set parked = ? where event_id = ?")) {
                    ps.setInt(1, parked);
                    ps.setString(2, eventId);
                    ps.executeUpdate();
                }
                c.commit();
                return parked;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    // ------------------------------------------------------------------ gauges

    Map<MeterReport.Status, Long> windowCounts() throws SQLException {
        Map<MeterReport.Status, Long> counts = new EnumMap<>(MeterReport.Status.class);
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select status, count(*) from meter_reader_window group by status")) {
            while (rs.next()) {
                counts.put(MeterReport.Status.valueOf(rs.getString(1)), rs.getLong(2));
            }
        }
        return counts;
    }

    /** Tenants stopped for a chain that failed verification (records lost to retention are no broken chain). */
    long brokenChains() throws SQLException {
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select count(*) from meter_reader_tenant where broken_sequence is not null "
                     + "and broken_reason is distinct from '" + ChainFollower.RETENTION + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Stopped tenants by reason. */
    Map<String, Long> stoppedTenants() throws SQLException {
        Map<String, Long> counts = new HashMap<>();
        try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select coalesce(broken_reason, 'unknown'), count(*) from meter_reader_tenant "
                     + "where broken_sequence is not null group by 1")) {
            while (rs.next()) {
                counts.put(rs.getString(1), rs.getLong(2));
            }
        }
        return counts;
    }

    // ------------------------------------------------------------------ retention

    /** Records that offsets [from, to) of a partition were deleted before this worker read them. */
    void retentionLoss(Connection c, String topic, int partition, long from, long to, Instant now) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("insert into meter_reader_retention_loss (topic, partition, "
                + "lost_from, lost_to, noticed_at) values (?, ?, ?, ?, ?) on conflict do nothing")) {
            ps.setString(1, topic);
            ps.setInt(2, partition);
            ps.setLong(3, from);
            ps.setLong(4, to);
            ps.setTimestamp(5, Timestamp.from(now));
            ps.executeUpdate();
        }
    }

    // ------------------------------------------------------------------ helpers

    private static void bindKey(PreparedStatement ps, int first, MeterReport r) throws SQLException {
        ps.setString(first, r.window().tenantId());
        ps.setString(first + 1, r.window().meter());
        ps.setTimestamp(first + 2, Timestamp.from(r.window().start()));
    }

    private static Array intArray(Connection c, Set<Integer> values) throws SQLException {
        return c.createArrayOf("integer", values.toArray());
    }

    private static Timestamp timestamp(Instant i) {
        return i == null ? null : Timestamp.from(i);
    }

    private static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 500 ? s : s.substring(0, 497) + "...";
    }
}
