package dev.ledger.api.finance;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.stripe.StripeInvoice;
import dev.ledger.core.usage.BillableMetadata;
import dev.ledger.core.usage.UsageRecorded;
import java.io.IOException;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the finance projection makes of a run of one tenant's entries, in chain order, inside the transaction that
 * moves the tenant's {@code finance_position} past them (V15 migration): usage by hour of ledger time, windows
 * reported to Stripe and the units recorded into them afterwards, invoices with the ledger's witness or hold, and
 * Stripe's quantities as recorded. It reads only what the chain holds, so a rebuild from the event store gives the same
 * rows; what it cannot read (a payload that is not the JSON the ledger writes) it skips with a warning, as the
 * workers do.
 */
final class FinanceProjection {

    private static final Logger log = LoggerFactory.getLogger(FinanceProjection.class);

    /** The entry types whose payload the projection reads; of the others only the metadata (what they bill). */
    static final Set<String> PAYLOAD_TYPES = Set.of("UsageReported", "StripeEventRecorded", "InvoiceWitnessed", "InvoiceHeld",
            "ReconciliationRecorded");

    /** One stored entry as the projection reads it; {@code payload} is null for the types it reads none of. */
    record Row(long sequence, String type, String recordedAt, byte[] metadata, byte[] payload) {
    }

    private record HourKey(String meter, Instant hour) {
    }

    private static final class Hour {
        long ledger;
        long reported;
        long late;
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
    }

    private record WindowKey(String meter, Instant start) {
    }

    private record Late(Instant end, long[] quantity) {
    }

    private final Connection tx;
    private final String tenantId;
    private final Map<HourKey, Hour> hours = new LinkedHashMap<>();
    private final Map<WindowKey, Late> late = new LinkedHashMap<>();
    /** Per meter, the latest end of a window reported so far (Instant.MIN: none); an entry before it may be late. */
    private final Map<String, Instant> reportedThrough = new HashMap<>();

    private FinanceProjection(Connection tx, String tenantId) {
        this.tx = tx;
        this.tenantId = tenantId;
    }

    /** Projects {@code rows} (consecutive entries of the tenant's chain) in transaction {@code tx}. */
    static void apply(Connection tx, String tenantId, List<Row> rows) throws SQLException {
        FinanceProjection p = new FinanceProjection(tx, tenantId);
        for (Row row : rows) {
            p.entry(row);
        }
        p.flush();
    }

    private void entry(Row row) throws SQLException {
        BillableMetadata bills = BillableMetadata.read(row.metadata(), UsageRecorded.MAX_QUANTITY);
        if (bills.bills()) {
            billable(row, bills);
        }
        if (row.payload() == null) {
            return;
        }
        JsonNode payload;
        try {
            payload = LedgerJson.mapper().readTree(row.payload());
        } catch (IOException e) {
            log.warn("finance projection: tenant {} entry {} ({}) holds a payload that is not JSON; not projected", tenantId,
                    row.sequence(), row.type());
            return;
        }
        try {
            switch (row.type()) {
                case "UsageReported" -> reported(row, payload);
                case "StripeEventRecorded" -> stripeEvent(row, payload);
                case "InvoiceWitnessed" -> witnessed(row, payload);
                case "InvoiceHeld" -> held(row, payload);
                case "ReconciliationRecorded" -> reconciliation(row, payload);
                default -> {
                    // nothing else of a payload is finance's
                }
            }
        } catch (RuntimeException e) {
            log.warn("finance projection: tenant {} entry {} ({}) could not be read ({}); not projected", tenantId, row.sequence(),
                    row.type(), e.getClass().getSimpleName());
        }
    }

    private void billable(Row row, BillableMetadata bills) throws SQLException {
        Instant at = Instant.parse(row.recordedAt());
        Hour h = hours.computeIfAbsent(new HourKey(bills.meter(), at.truncatedTo(ChronoUnit.HOURS)), k -> new Hour());
        h.ledger = Math.addExact(h.ledger, bills.quantity());
        h.first = Math.min(h.first, row.sequence());
        h.last = Math.max(h.last, row.sequence());
        if (at.isBefore(reportedThrough(bills.meter()))) {
            lateInto(bills.meter(), at, bills.quantity());
        }
    }

    /** Units recorded at {@code at}, before the end of a window already reported: late when a reported window holds it. */
    private void lateInto(String meter, Instant at, long quantity) throws SQLException {
        try (PreparedStatement ps = tx.prepareStatement("select window_start, window_end from finance_reported_window "
                + "where tenant_id = ? and meter = ? and window_start <= ? and window_end > ? order by window_start desc limit 1")) {
            ps.setString(1, tenantId);
            ps.setString(2, meter);
            ps.setTimestamp(3, Timestamp.from(at));
            ps.setTimestamp(4, Timestamp.from(at));
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return;
                }
                Instant start = rs.getTimestamp(1).toInstant();
                Instant end = rs.getTimestamp(2).toInstant();
                Late l = late.computeIfAbsent(new WindowKey(meter, start), k -> new Late(end, new long[1]));
                l.quantity()[0] = Math.addExact(l.quantity()[0], quantity);
                Hour h = hours.computeIfAbsent(new HourKey(meter, at.truncatedTo(ChronoUnit.HOURS)), k -> new Hour());
                h.late = Math.addExact(h.late, quantity);
            }
        }
    }

    private Instant reportedThrough(String meter) throws SQLException {
        Instant known = reportedThrough.get(meter);
        if (known != null) {
            return known;
        }
        Instant through = Instant.MIN;
        try (PreparedStatement ps = tx.prepareStatement(
                "select max(window_end) from finance_reported_window where tenant_id = ? and meter = ?")) {
            ps.setString(1, tenantId);
            ps.setString(2, meter);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getTimestamp(1) != null) {
                    through = rs.getTimestamp(1).toInstant();
                }
            }
        }
        reportedThrough.put(meter, through);
        return through;
    }

    private void reported(Row row, JsonNode p) throws SQLException {
        String meter = p.get("meter").asText();
        Instant start = Instant.parse(p.get("window_start").asText());
        Instant end = Instant.parse(p.get("window_end").asText());
        long quantity = whole(p, "quantity");
        try (PreparedStatement ps = tx.prepareStatement("insert into finance_reported_window (tenant_id, meter, window_start, "
                + "window_end, quantity, stripe_identifier, sequence) values (?, ?, ?, ?, ?, ?, ?) on conflict do nothing")) {
            ps.setString(1, tenantId);
            ps.setString(2, meter);
            ps.setTimestamp(3, Timestamp.from(start));
            ps.setTimestamp(4, Timestamp.from(end));
            ps.setLong(5, quantity);
            ps.setString(6, p.path("stripe_identifier").asText(""));
            ps.setLong(7, row.sequence());
            ps.executeUpdate();
        }
        Hour h = hours.computeIfAbsent(new HourKey(meter, start.truncatedTo(ChronoUnit.HOURS)), k -> new Hour());
        h.reported = Math.addExact(h.reported, quantity);
        Instant through = reportedThrough(meter);
        if (end.isAfter(through)) {
            reportedThrough.put(meter, end);
        }
    }

    private void stripeEvent(Row row, JsonNode event) throws SQLException {
        JsonNode object = event.path("data").path("object");
        if (!"invoice".equals(object.path("object").asText())) {
            return;
        }
        StripeInvoice s = StripeInvoice.read(object);
        if (s == null) {
            log.warn("finance projection: tenant {} entry {}: an invoice it cannot read; not projected", tenantId, row.sequence());
            return;
        }
        String eventId = event.path("event_id").asText();
        Instant eventCreated = Instant.parse(event.path("created").asText());
        ensureInvoice(s.invoiceId());
        try (PreparedStatement ps = tx.prepareStatement(
                "select status_rank, shown_event_created, shown_event_id from finance_invoice where invoice_id = ? for update")) {
            ps.setString(1, s.invoiceId());
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getObject(1) != null && !StripeInvoice.outranks(s.rank(), eventCreated, eventId, rs.getInt(1),
                        rs.getTimestamp(2).toInstant(), rs.getString(3))) {
                    return;
                }
            }
        }
        try (PreparedStatement ps = tx.prepareStatement("update finance_invoice set customer_id = ?, status = ?, status_rank = ?, "
                + "amount_due = ?, amount_paid = ?, amount_remaining = ?, currency = ?, period_start = ?, period_end = ?, "
                + "stripe_created = ?, shown_event_id = ?, shown_event_created = ? where invoice_id = ?")) {
            ps.setString(1, s.customer());
            ps.setString(2, s.status());
            ps.setInt(3, s.rank());
            ps.setLong(4, s.amountDue());
            ps.setLong(5, s.amountPaid());
            ps.setLong(6, s.amountRemaining());
            ps.setString(7, s.currency());
            timestamp(ps, 8, s.periodStart());
            timestamp(ps, 9, s.periodEnd());
            ps.setTimestamp(10, Timestamp.from(s.created()));
            ps.setString(11, eventId);
            ps.setTimestamp(12, Timestamp.from(eventCreated));
            ps.setString(13, s.invoiceId());
            ps.executeUpdate();
        }
    }

    /** The invoice's row, created bare when the ledger's word on it comes before Stripe's. */
    private void ensureInvoice(String invoiceId) throws SQLException {
        try (PreparedStatement ps = tx.prepareStatement(
                "insert into finance_invoice (invoice_id, tenant_id) values (?, ?) on conflict (invoice_id) do nothing")) {
            ps.setString(1, invoiceId);
            ps.setString(2, tenantId);
            ps.executeUpdate();
        }
    }

    private void witnessed(Row row, JsonNode p) throws SQLException {
        String invoiceId = p.get("invoice_id").asText();
        Checkpoint checkpoint = Checkpoint.fromJson(p.get("checkpoint"));
        ensureInvoice(invoiceId);
        try (PreparedStatement ps = tx.prepareStatement("update finance_invoice set witness_period_start = ?, "
                + "witness_period_end = ?, ledger_checkpoint = ?, checkpoint_size = ?, checkpoint_root = ?, witness_sequence = ? "
                + "where invoice_id = ? and tenant_id = ?")) {
            ps.setTimestamp(1, Timestamp.from(Instant.parse(p.get("period_start").asText())));
            ps.setTimestamp(2, Timestamp.from(Instant.parse(p.get("period_end").asText())));
            ps.setString(3, checkpoint.toMetadata());
            ps.setLong(4, checkpoint.size());
            ps.setBytes(5, checkpoint.rootHash());
            ps.setLong(6, row.sequence());
            ps.setString(7, invoiceId);
            ps.setString(8, tenantId);
            ps.executeUpdate();
        }
        stripeQuantities(row, p, "invoice_witness");
    }

    private void held(Row row, JsonNode p) throws SQLException {
        String invoiceId = p.get("invoice_id").asText();
        ensureInvoice(invoiceId);
        try (PreparedStatement ps = tx.prepareStatement("update finance_invoice set witness_period_start = ?, "
                + "witness_period_end = ?, held_reason = ?, held_detail = ?, held_sequence = ? where invoice_id = ? and tenant_id = ?")) {
            ps.setTimestamp(1, Timestamp.from(Instant.parse(p.get("period_start").asText())));
            ps.setTimestamp(2, Timestamp.from(Instant.parse(p.get("period_end").asText())));
            ps.setString(3, p.get("reason").asText());
            ps.setString(4, p.path("detail").asText(null));
            ps.setLong(5, row.sequence());
            ps.setString(6, invoiceId);
            ps.setString(7, tenantId);
            ps.executeUpdate();
        }
        stripeQuantities(row, p, "invoice_hold");
    }

    /** Stripe's quantities of an invoice's period, as the witness read them from Stripe's meter summary. */
    private void stripeQuantities(Row row, JsonNode p, String source) throws SQLException {
        LocalDate period = month(Instant.parse(p.get("period_start").asText()));
        for (JsonNode q : p.path("quantities")) {
            JsonNode stripe = q.get("stripe");
            if (stripe != null && stripe.isIntegralNumber() && stripe.canConvertToLong()) {
                stripeQuantity(row, period, q.get("meter").asText(), stripe.asLong(), source);
            }
        }
    }

    private void reconciliation(Row row, JsonNode p) throws SQLException {
        LocalDate period = LocalDate.parse(p.get("period").asText() + "-01");
        for (JsonNode r : p.path("rows")) {
            JsonNode stripe = r.get("stripe_quantity");
            if (stripe != null && stripe.isIntegralNumber() && stripe.canConvertToLong()) {
                stripeQuantity(row, period, r.get("meter").asText(), stripe.asLong(), "reconciliation");
            }
        }
    }

    private void stripeQuantity(Row row, LocalDate period, String meter, long quantity, String source) throws SQLException {
        try (PreparedStatement ps = tx.prepareStatement("insert into finance_stripe_quantity (tenant_id, period, meter, quantity, "
                + "source, sequence, recorded_at) values (?, ?, ?, ?, ?, ?, ?) on conflict (tenant_id, period, meter) do update "
                + "set quantity = excluded.quantity, source = excluded.source, sequence = excluded.sequence, "
                + "recorded_at = excluded.recorded_at where excluded.sequence > finance_stripe_quantity.sequence")) {
            ps.setString(1, tenantId);
            ps.setDate(2, Date.valueOf(period));
            ps.setString(3, meter);
            ps.setLong(4, quantity);
            ps.setString(5, source);
            ps.setLong(6, row.sequence());
            ps.setTimestamp(7, Timestamp.from(Instant.parse(row.recordedAt())));
            ps.executeUpdate();
        }
    }

    private void flush() throws SQLException {
        if (!hours.isEmpty()) {
            try (PreparedStatement ps = tx.prepareStatement("insert into finance_usage_hour (tenant_id, meter, hour, ledger_quantity, "
                    + "reported_quantity, late_quantity, first_sequence, last_sequence) values (?, ?, ?, ?, ?, ?, ?, ?) "
                    + "on conflict (tenant_id, meter, hour) do update set "
                    + "ledger_quantity = finance_usage_hour.ledger_quantity + excluded.ledger_quantity, "
                    + "reported_quantity = finance_usage_hour.reported_quantity + excluded.reported_quantity, "
                    + "late_quantity = finance_usage_hour.late_quantity + excluded.late_quantity, "
                    + "first_sequence = least(finance_usage_hour.first_sequence, excluded.first_sequence), "
                    + "last_sequence = greatest(finance_usage_hour.last_sequence, excluded.last_sequence)")) {
                for (Map.Entry<HourKey, Hour> e : hours.entrySet()) {
                    Hour h = e.getValue();
                    ps.setString(1, tenantId);
                    ps.setString(2, e.getKey().meter());
                    ps.setTimestamp(3, Timestamp.from(e.getKey().hour()));
                    ps.setLong(4, h.ledger);
                    ps.setLong(5, h.reported);
                    ps.setLong(6, h.late);
                    if (h.first == Long.MAX_VALUE) {
                        ps.setNull(7, Types.BIGINT);
                        ps.setNull(8, Types.BIGINT);
                    } else {
                        ps.setLong(7, h.first);
                        ps.setLong(8, h.last);
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
        if (!late.isEmpty()) {
            try (PreparedStatement ps = tx.prepareStatement("insert into finance_late_usage (tenant_id, meter, window_start, "
                    + "window_end, quantity) values (?, ?, ?, ?, ?) on conflict (tenant_id, meter, window_start) do update "
                    + "set quantity = finance_late_usage.quantity + excluded.quantity")) {
                for (Map.Entry<WindowKey, Late> e : late.entrySet()) {
                    ps.setString(1, tenantId);
                    ps.setString(2, e.getKey().meter());
                    ps.setTimestamp(3, Timestamp.from(e.getKey().start()));
                    ps.setTimestamp(4, Timestamp.from(e.getValue().end()));
                    ps.setLong(5, e.getValue().quantity()[0]);
                    ps.addBatch();
                }
                ps.executeBatch();
            }
        }
    }

    /** The UTC calendar month holding {@code at}, as its first day. */
    static LocalDate month(Instant at) {
        return at.atZone(ZoneOffset.UTC).toLocalDate().withDayOfMonth(1);
    }

    private static long whole(JsonNode p, String member) {
        JsonNode v = p.get(member);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0) {
            throw new IllegalArgumentException(member + " is not a whole number");
        }
        return v.asLong();
    }

    private static void timestamp(PreparedStatement ps, int i, Instant t) throws SQLException {
        if (t == null) {
            ps.setNull(i, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            ps.setTimestamp(i, Timestamp.from(t));
        }
    }
}
