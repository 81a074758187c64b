package dev.ledger.invoice;

import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.EntryReader;
import dev.ledger.core.chain.RecordedAt;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.usage.BillableMetadata;
import dev.ledger.follower.ChainFollower;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDate;
import java.util.Map;
import java.util.Set;

/**
 * What the invoice-worker does with its tenants' verified entries, a poll at a time. On the preparer threads each
 * entry's billable units and invoice period are read from its metadata and ledger time, and only the entries its
 * views read (Stripe events, tenant status) are decoded whole. In the poll's transaction those go, in chain order,
 * to the invoice projection and dunning's view; the units are summed and written once per (tenant, meter, period)
 * when the poll saves. Before, every entry was decoded with Jackson and every billable one cost an upsert of its
 * own: at 1,000 entries/s that was 1,000 statements/s against the ledger's own database.
 */
final class InvoiceEntries implements ChainFollower.BatchWorker<InvoiceEntries.Prepared> {

    /**
     * An entry as the worker needs it: what it bills ({@code meter} null: nothing), the entry decoded when a view
     * reads it, or why it cannot be read (its tenant stops there).
     */
    record Prepared(String meter, long quantity, LocalDate period, StoredEntry decoded, String unreadable) {
    }

    private final ChainFollower.Worker views;

    /** @param views the per-entry views (projection, dunning): given only the entries {@link #viewed} names */
    InvoiceEntries(ChainFollower.Worker views) {
        this.views = views;
    }

    /** Whether a view reads entries of this type. */
    static boolean viewed(String type) {
        return InvoiceProjection.ENTRY_TYPE.equals(type) || DunningView.reads(type);
    }

    @Override
    public Prepared prepare(EntryReader.Link entry, ByteBuffer record) {
        try {
            BillableMetadata bill = InvoiceUsage.billable(entry.metadata());
            LocalDate period = bill == null ? null : InvoiceUsage.period(RecordedAt.parse(entry.recordedAt()));
            StoredEntry decoded = viewed(entry.type()) ? EntryCodec.decode(ChainFollower.bytes(record)) : null;
            return bill == null ? new Prepared(null, 0, null, decoded, null)
                    : new Prepared(bill.meter(), bill.quantity(), period, decoded, null);
        } catch (RuntimeException e) {
            // a ledger time Instant refuses, or a record the codec refuses: this entry stops its tenant, not the consumer
            return new Prepared(null, 0, null, null, e.getClass().getSimpleName());
        }
    }

    @Override
    public ChainFollower.Poll<Prepared> begin(Connection transaction, Set<String> tenants,
            Map<String, Object[]> chainRows) {
        InvoiceUsage usage = new InvoiceUsage();
        return new ChainFollower.Poll<>() {
            @Override
            public ChainFollower.Stop verified(EntryReader.Link entry, Prepared p) throws SQLException {
                if (p.unreadable() != null) {
                    return ChainFollower.Stop.refuse(ChainFollower.UNREADABLE,
                            "the record does not decode as an entry (" + p.unreadable() + ")");
                }
                if (p.decoded() != null) {
                    views.onVerified(p.decoded(), transaction);
                }
                if (p.meter() != null) {
                    usage.add(entry.tenantId(), p.meter(), p.period(), p.quantity());
                }
                return null;
            }

            @Override
            public void save() throws SQLException {
                usage.save(transaction);
            }
        };
    }
}
