package dev.ledger.meter;

import dev.ledger.core.chain.EntryReader;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.tenant.StripeCustomerLinked;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.usage.BillableMetadata;
import dev.ledger.follower.ChainFollower;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the meter-reader does with its tenants' verified entries, one poll per transaction of {@link ChainFollower}
 * (which owns the Kafka consumer, offsets, chain positions, held entries and chain verification): sums billable units
 * into usage windows ({@link UsageWindowing} decides which), closes the windows the chain has passed, keeps the
 * tenant's Merkle frontier and checks it against signed checkpoints ({@link ForkDetector}), and notes the tenant's
 * Stripe customer.
 */
final class MeterReading implements ChainFollower.BatchWorker<MeterReading.Billed> {

    static final String QUANTITY_OVERFLOW = "quantity_overflow";
    private static final String REGISTERED_TYPE = EntryTypes.nameOf(TenantRegistered.class);
    private static final String CUSTOMER_LINKED_TYPE = EntryTypes.nameOf(StripeCustomerLinked.class);

    private final MeterReaderStore store;
    private final MeterReaderMetrics metrics;
    private final UsageWindowing windowing;

    MeterReading(MeterReaderStore store, MeterReaderMetrics metrics, UsageWindowing windowing) {
        this.store = store;
        this.metrics = metrics;
        this.windowing = windowing;
    }

    /**
     * What an entry bills, read on a preparer thread: from its hashed metadata keys meter and quantity alone, whatever
     * its type (one this worker does not know included); only the entries that decide the tenant's Stripe customer are
     * read further, from their payload. Used only once its chain link held.
     */
    static final class Billed {
        /** RFC 6962 leaf hash of the entry's hash, for the tenant's Merkle frontier. */
        byte[] leafHash;
        /** Why the entry cannot be billed (a message), or null; the fields below are set only when null. */
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
    }

    @Override
    public Billed prepare(EntryReader.Link entry, ByteBuffer record) {
        Billed b = new Billed();
        b.leafHash = MerkleTree.leafHash(entry.hash());
        try {
            b.at = dev.ledger.core.chain.RecordedAt.parse(entry.recordedAt());
            BillableMetadata billable = BillableMetadata.read(entry.metadata(), UsageWindow.MAX_QUANTITY);
            if (billable.refusal() != null) {
                // keys the ledger never writes (a meter outside its names, a quantity no window can hold): this entry
                // was not written through it, and stops its tenant, never the sums (nor the consumer)
                b.unbillable = billable.refusal();
                throw new IllegalArgumentException(billable.refusal().equals(BillableMetadata.INVALID_METER)
                        ? "meter name outside the ledger's meter names" : "quantity outside 1.." + UsageWindow.MAX_QUANTITY);
            }
            if (entry.payload() != null && (entry.type().equals(REGISTERED_TYPE) || entry.type().equals(CUSTOMER_LINKED_TYPE))) {
                b.event = EntryTypes.read(entry.type(), entry.payload());
            }
            b.windowStart = windowing.windowOf(b.at);
            if (billable.bills()) {
                b.meter = billable.meter();
                b.quantity = billable.quantity();
            }
        } catch (RuntimeException e) {
            // DateTimeParseException, IllegalArgumentException, UncheckedIOException, or an event class that refuses
            // its payload: this entry stops its tenant (with an alert), not the whole consumer
            b.unreadable = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
        return b;
    }

    @Override
    public ChainFollower.Poll<Billed> begin(Connection transaction, Set<String> tenants, Map<String, Object[]> rows) {
        Map<String, TenantPosition> positions = new HashMap<>();
        rows.forEach((tenantId, values) -> positions.put(tenantId, MeterReaderStore.tenant(tenantId, values)));
        return new Poll(transaction, positions);
    }

    @Override
    public List<String> chainColumnsRead() {
        return MeterReaderStore.TENANT_READ;
    }

    @Override
    public List<String> chainColumnsWritten() {
        return MeterReaderStore.TENANT_WRITTEN;
    }

    @Override
    public void recordsLost(Connection transaction, String topic, int partition, long from, long to, Instant now)
            throws SQLException {
        store.retentionLoss(transaction, topic, partition, from, to, now);
    }

    @Override
    public Runnable housekeeping(Connection transaction, Set<Integer> owned, Set<Integer> caughtUp) throws SQLException {
        if (caughtUp.isEmpty()) {
            return () -> { };
        }
        // Nothing of these tenants waits in Kafka: windows ending idleClose ago will get no more entries.
        int closed = store.closeIdleWindows(transaction, caughtUp, windowing.idleBoundary());
        return () -> {
            if (closed > 0) {
                metrics.windowsClosed(closed);
            }
        };
    }

    /** One poll's worth of entries: the tenants' windows and frontiers, units per window. */
    private final class Poll implements ChainFollower.Poll<Billed> {
        private final Connection c;
        private final Map<String, TenantPosition> positions;
        private final Map<String, TenantPosition> touched = new LinkedHashMap<>();
        private final Map<UsageWindow, Long> units = new LinkedHashMap<>();
        private int closed;

        Poll(Connection c, Map<String, TenantPosition> positions) {
            this.c = c;
            this.positions = positions;
        }

        @Override
        public ChainFollower.Stop verified(EntryReader.Link link, Billed entry) {
            if (entry.unreadable != null) {
                // Verified but not understood: billing it wrongly is worse than stopping this tenant with an alert.
                return ChainFollower.Stop.refuse(entry.unbillable != null ? entry.unbillable : ChainFollower.UNREADABLE,
                        entry.unreadable);
            }
            TenantPosition t = positions.computeIfAbsent(link.tenantId(), TenantPosition::new);
            touched.putIfAbsent(t.tenantId, t);
            t.lastSequence = link.sequence();
            String contradiction = ForkDetector.recordVerified(t, entry.leafHash);
            if (contradiction != null) {
                // a correctly chained extension the ledger never signed: none of it is billed from here on
                return ChainFollower.Stop.forkAt(ForkDetector.CHECKPOINT_MISMATCH, contradiction);
            }
            Instant at = entry.at;
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
            return null;
        }

        /** Where a tenant's {@link TenantPosition.Units} spill: the poll's units per window. */
        private void addUnits(String tenantId, String meter, long windowStart, long quantity) {
            units.merge(windowing.window(tenantId, meter, windowStart), quantity, TenantPosition::saturatedSum);
        }

        @Override
        public Map<String, ChainFollower.Stop> finish() throws SQLException {
            for (TenantPosition t : touched.values()) {
                t.units.flush(this::addUnits);
            }
            Map<String, ChainFollower.Stop> stops = new HashMap<>();
            if (!units.isEmpty()) {
                // A window past the bound stops its tenant (in this transaction), never the consumer.
                for (String tenantId : store.addUnits(c, units, touched)) {
                    stops.put(tenantId, ChainFollower.Stop.broken(QUANTITY_OVERFLOW,
                            "a usage window's units exceed " + UsageWindow.MAX_QUANTITY));
                }
            }
            return stops;
        }

        @Override
        public ChainFollower.ChainValues chainValues(String tenantId) {
            TenantPosition t = touched.get(tenantId);
            return t == null ? null : (ps, from) -> MeterReaderStore.bindTenant(ps, from, t);
        }

        @Override
        public void save() throws SQLException {
            if (touched.isEmpty()) {
                return;
            }
            Map<String, Instant> closing = new HashMap<>();
            for (TenantPosition t : touched.values()) {
                // Only a boundary that moved closes windows: no window ending at or before the stored one is open
                // (units always count in a window ending after it), and a statement per poll cost PostgreSQL as much
                // as the rows it wrote.
                if (t.closedThrough != null && !t.closedThrough.equals(t.closedThroughStored)) {
                    closing.put(t.tenantId, t.closedThrough);
                }
            }
            if (!closing.isEmpty()) {
                closed += store.closeWindows(c, closing);
            }
        }

        @Override
        public void afterCommit() {
            if (closed > 0) {
                metrics.windowsClosed(closed);
            }
        }
    }
}
