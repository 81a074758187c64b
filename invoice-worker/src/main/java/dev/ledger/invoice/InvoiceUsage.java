package dev.ledger.invoice;

import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.usage.UsageRecorded;
import dev.ledger.core.usage.BillableMetadata;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * What the invoice-worker does with a verified entry: adds its billable units to its tenant's usage of the invoice
 * period (the UTC calendar month of its ledger time). What an entry bills is read from its hashed metadata keys
 * {@code meter} and {@code quantity} alone, never from its type or payload: an entry without them bills nothing,
 * and an entry of a type this worker does not know is verified like any other (it bills what its keys say).
 */
final class InvoiceUsage implements dev.ledger.follower.ChainFollower.Worker {

    @Override
    public void onVerified(StoredEntry entry, Connection transaction) throws SQLException {
        BillableMetadata b = billable(entry.metadata());
        if (b == null) {
            return;
        }
        LocalDate period = Instant.parse(entry.recordedAt()).atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1);
        try (PreparedStatement ps = transaction.prepareStatement("insert into invoice_worker_usage (tenant_id, meter, "
                + "period_start, quantity) values (?, ?, ?, ?) on conflict (tenant_id, meter, period_start) "
                + "do update set quantity = invoice_worker_usage.quantity + excluded.quantity")) {
            ps.setString(1, entry.tenantId());
            ps.setString(2, b.meter());
            ps.setDate(3, Date.valueOf(period));
            ps.setLong(4, b.quantity());
            ps.executeUpdate();
        }
    }

    /** The meter and units an entry's metadata bills, or null (none, or keys the ledger would not write). */
    static BillableMetadata billable(byte[] metadata) {
        BillableMetadata b = BillableMetadata.read(metadata, UsageRecorded.MAX_QUANTITY);
        return b.bills() ? b : null;
    }
}
