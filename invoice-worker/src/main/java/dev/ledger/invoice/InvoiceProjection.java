package dev.ledger.invoice;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.stripe.StripeEventRecorded;
import dev.ledger.core.stripe.StripeInvoice;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The invoice projection, from the chain's {@code StripeEventRecorded} entries whose object is an invoice. Order-
 * insensitive and idempotent: each event is noted once per (invoice, event id), and the invoice row shows the
 * snapshot of the event ranked highest by (status rank, created, event id), so the same events in any order and any
 * number of times give the same rows, and a stale event never moves an invoice backwards (docs: V3 migration).
 */
final class InvoiceProjection implements dev.ledger.follower.ChainFollower.Worker {

    private static final Logger log = LoggerFactory.getLogger(InvoiceProjection.class);
    static final String ENTRY_TYPE = EntryTypes.nameOf(StripeEventRecorded.class);

    @Override
    public void onVerified(StoredEntry entry, Connection transaction) throws SQLException {
        if (!ENTRY_TYPE.equals(entry.type()) || entry.payload() == null) {
            return; // a redacted Stripe event (payload null, verified through its digest) has nothing left to project
        }
        JsonNode event;
        try {
            event = LedgerJson.mapper().readTree(entry.payload());
        } catch (IOException e) {
            log.warn("tenant {} entry {}: a StripeEventRecorded payload that is not JSON; not projected", entry.tenantId(), entry.sequence());
            return;
        }
        JsonNode object = event.path("data").path("object");
        if (!"invoice".equals(object.path("object").asText())) {
            return;
        }
        StripeInvoice s = StripeInvoice.read(object);
        if (s == null) {
            log.warn("tenant {} entry {}: event {} holds an invoice this worker cannot read; not projected", entry.tenantId(),
                    entry.sequence(), event.path("event_id").asText());
            return;
        }
        String eventId = event.path("event_id").asText();
        Instant eventCreated = Instant.parse(event.path("created").asText());
        try (PreparedStatement ps = transaction.prepareStatement("insert into invoice_worker_invoice_event (invoice_id, "
                + "event_id, event_type, created, tenant_id, sequence) values (?, ?, ?, ?, ?, ?) on conflict do nothing")) {
            ps.setString(1, s.invoiceId());
            ps.setString(2, eventId);
            ps.setString(3, event.path("event_type").asText());
            ps.setTimestamp(4, Timestamp.from(eventCreated));
            ps.setString(5, entry.tenantId());
            ps.setLong(6, entry.sequence());
            if (ps.executeUpdate() == 0) {
                return; // this event was projected before
            }
        }
        int rank = s.rank();
        if (!outranks(transaction, s.invoiceId(), rank, eventCreated, eventId)) {
            return;
        }
        try (PreparedStatement ps = transaction.prepareStatement("insert into invoice_worker_invoice (invoice_id, tenant_id, "
                + "customer_id, subscription_id, status, status_rank, amount_due, amount_paid, amount_remaining, currency, "
                + "period_start, period_end, stripe_created, shown_event_id, shown_event_created, shown_sequence) "
                + "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (invoice_id) do update set "
                + "customer_id = excluded.customer_id, subscription_id = excluded.subscription_id, status = excluded.status, "
                + "status_rank = excluded.status_rank, amount_due = excluded.amount_due, amount_paid = excluded.amount_paid, "
                + "amount_remaining = excluded.amount_remaining, currency = excluded.currency, "
                + "period_start = excluded.period_start, period_end = excluded.period_end, "
                + "stripe_created = excluded.stripe_created, shown_event_id = excluded.shown_event_id, "
                + "shown_event_created = excluded.shown_event_created, shown_sequence = excluded.shown_sequence")) {
            ps.setString(1, s.invoiceId());
            ps.setString(2, entry.tenantId());
            ps.setString(3, s.customer());
            ps.setString(4, s.subscription());
            ps.setString(5, s.status());
            ps.setInt(6, rank);
            ps.setLong(7, s.amountDue());
            ps.setLong(8, s.amountPaid());
            ps.setLong(9, s.amountRemaining());
            ps.setString(10, s.currency());
            timestamp(ps, 11, s.periodStart());
            timestamp(ps, 12, s.periodEnd());
            ps.setTimestamp(13, Timestamp.from(s.created()));
            ps.setString(14, eventId);
            ps.setTimestamp(15, Timestamp.from(eventCreated));
            ps.setLong(16, entry.sequence());
            ps.executeUpdate();
        }
        try (PreparedStatement ps = transaction.prepareStatement("delete from invoice_worker_invoice_line where invoice_id = ?")) {
            ps.setString(1, s.invoiceId());
            ps.executeUpdate();
        }
        try (PreparedStatement ps = transaction.prepareStatement("insert into invoice_worker_invoice_line (invoice_id, line_id, "
                + "price_id, quantity, amount, currency, period_start, period_end) values (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (JsonNode line : s.lines()) {
                ps.setString(1, s.invoiceId());
                ps.setString(2, line.path("id").asText());
                String price = line.path("pricing").path("price_details").path("price").asText(null);
                ps.setString(3, price);
                if (line.path("quantity").canConvertToExactIntegral()) {
                    ps.setLong(4, line.path("quantity").asLong());
                } else {
                    ps.setNull(4, Types.BIGINT);
                }
                ps.setLong(5, line.path("amount").asLong());
                ps.setString(6, line.path("currency").asText(s.currency()));
                timestamp(ps, 7, StripeInvoice.seconds(line.path("period").path("start")));
                timestamp(ps, 8, StripeInvoice.seconds(line.path("period").path("end")));
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /** Whether the event (rank, created, id) ranks above the snapshot shown now (true when none is). */
    private static boolean outranks(Connection c, String invoiceId, int rank, Instant created, String eventId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select status_rank, shown_event_created, shown_event_id "
                + "from invoice_worker_invoice where invoice_id = ? for update")) {
            ps.setString(1, invoiceId);
            try (ResultSet rs = ps.executeQuery()) {
                return !rs.next() || StripeInvoice.outranks(rank, created, eventId, rs.getInt(1), rs.getTimestamp(2).toInstant(),
                        rs.getString(3));
            }
        }
    }

    private static void timestamp(PreparedStatement ps, int i, Instant t) throws SQLException {
        if (t == null) {
            ps.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setTimestamp(i, Timestamp.from(t));
        }
    }
}
