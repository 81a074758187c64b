package dev.ledger.invoice;

import dev.ledger.core.usage.BillableMetadata;
import dev.ledger.core.usage.UsageRecorded;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A tenant's billable units per invoice period (the UTC calendar month of an entry's ledger time). What an entry
 * bills is read from its hashed metadata keys {@code meter} and {@code quantity} alone, never from its type or
 * payload: an entry without them bills nothing, and an entry of a type this worker does not know is verified like
 * any other (it bills what its keys say). The units of one poll are summed here first and written once per
 * (tenant, meter, period) in the poll's transaction: one batched upsert, not a statement per entry.
 */
final class InvoiceUsage {

    /** Where units count. */
    record Key(String tenantId, String meter, LocalDate period) {
        /** Rows are written in this order: two transactions never wait on each other's rows in opposite orders. */
        static final Comparator<Key> ORDER = Comparator.comparing(Key::tenantId).thenComparing(Key::meter)
                .thenComparing(Key::period);
    }

    private final Map<Key, Long> units = new HashMap<>();

    /** Adds an entry's units (checked: a sum past a long is an error, never a wrapped count). */
    void add(String tenantId, String meter, LocalDate period, long quantity) {
        units.merge(new Key(tenantId, meter, period), quantity, Math::addExact);
    }

    /** Writes the sums into the worker's usage rows, in {@code transaction}. */
    void save(Connection transaction) throws SQLException {
        if (units.isEmpty()) {
            return;
        }
        List<Key> keys = units.keySet().stream().sorted(Key.ORDER).toList();
        try (PreparedStatement ps = transaction.prepareStatement("insert into invoice_worker_usage (tenant_id, meter, "
                + "period_start, quantity) values (?, ?, ?, ?) on conflict (tenant_id, meter, period_start) "
                + "do update set quantity = invoice_worker_usage.quantity + excluded.quantity")) {
            for (Key k : keys) {
                ps.setString(1, k.tenantId());
                ps.setString(2, k.meter());
                ps.setDate(3, Date.valueOf(k.period()));
                ps.setLong(4, units.get(k));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** The invoice period of an entry recorded at {@code at}: the first day of its UTC month. */
    static LocalDate period(Instant at) {
        return at.atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1);
    }

    /** The meter and units an entry's metadata bills, or null (none, or keys the ledger would not write). */
    static BillableMetadata billable(byte[] metadata) {
        BillableMetadata b = BillableMetadata.read(metadata, UsageRecorded.MAX_QUANTITY);
        return b.bills() ? b : null;
    }
}
