package dev.ledger.invoice;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.Price;
import com.stripe.model.billing.MeterEventSummary;
import com.stripe.net.RequestOptions;
import com.stripe.param.InvoiceUpdateParams;
import com.stripe.param.billing.MeterEventSummaryListParams;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Witnesses each draft subscription invoice of a period (not a subscription's first invoice, made at its start for a
 * period of no length) before Stripe finalizes it. For every metered line it reconciles the
 * period three ways: the ledger's quantity (the usage this worker counted from the verified chain, per UTC calendar
 * month), Stripe's meter event summary for the customer over the line's period, and the line's own quantity. When
 * they agree it asks the ledger to witness the invoice (the ledger verifies the whole chain, signs a checkpoint of its
 * head and proves it consistent with the previous witnessed invoice's) and writes the checkpoint into the invoice's
 * metadata as {@code ledger_checkpoint}. When they differ, when this worker's own re-verification found the chain
 * broken, or when the ledger's verification does, the invoice is held: {@code auto_advance=false} and
 * {@code ledger_hold} in its metadata, the reason recorded in the ledger, and {@code invoice_worker_invoices_held}
 * raised. Each step is idempotent (one ledger answer per invoice, Stripe updates with idempotency keys), so a pass cut
 * short is finished by the next.
 */
final class InvoiceWitness {

    private static final Logger log = LoggerFactory.getLogger(InvoiceWitness.class);
    private static final int INVOICES_PER_PASS = 100;

    private final DataSource database;
    private final StripeClient stripe;
    private final LedgerCalls ledger;
    private final Clock clock;
    private final MeterRegistry registry;
    private final Map<String, String> meterOfPrice = new ConcurrentHashMap<>();
    private final Map<String, String> eventNameOfMeter = new ConcurrentHashMap<>();
    private final AtomicLong held = new AtomicLong();

    InvoiceWitness(DataSource database, StripeClient stripe, LedgerCalls ledger, Clock clock, MeterRegistry registry) {
        this.database = database;
        this.stripe = stripe;
        this.ledger = ledger;
        this.clock = clock;
        this.registry = registry;
        Gauge.builder("invoice_worker_invoices_held", held, AtomicLong::get)
                .description("Invoices the witness holds back from finalization (chain broken or quantities differ): alert on > 0")
                .register(registry);
    }

    /** A metered line's three quantities. */
    record Quantity(String meter, long ledger, long stripe, long invoiced) {
        boolean agrees() {
            return ledger == stripe && stripe == invoiced;
        }

        Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("meter", meter);
            m.put("ledger", ledger);
            m.put("stripe", stripe);
            m.put("invoiced", invoiced);
            return m;
        }
    }

    /** One pass over the draft invoices not yet witnessed, and the Stripe updates not yet made. */
    synchronized void run() {
        List<String[]> drafts = new ArrayList<>();
        try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement("select i.invoice_id, i.tenant_id, "
                + "i.customer_id from invoice_worker_invoice i left join invoice_worker_witness w on w.invoice_id = i.invoice_id "
                + "where i.subscription_id is not null and i.period_end > i.period_start "
                + "and (w.invoice_id is null and i.status = 'draft' or w.stripe_done = false) "
                + "order by i.stripe_created, i.invoice_id limit " + INVOICES_PER_PASS); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                drafts.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
            }
        } catch (SQLException e) {
            log.warn("witness: could not read the draft invoices (SQL state {})", e.getSQLState());
            return;
        }
        for (String[] d : drafts) {
            try {
                witness(d[0], d[1], d[2]);
            } catch (SQLException e) {
                log.warn("witness: invoice {} not finished (SQL state {}); the next pass goes on", d[0], e.getSQLState());
            } catch (StripeException e) {
                log.warn("witness: invoice {} not finished: Stripe answered {} {}; the next pass goes on", d[0], e.getStatusCode(),
                        e.getCode());
            }
        }
        refreshHeld();
    }

    private void witness(String invoiceId, String tenantId, String customer) throws SQLException, StripeException {
        String[] decided = decided(invoiceId);
        if (decided == null) {
            decided = decide(invoiceId, tenantId, customer);
            if (decided == null) {
                return;
            }
        }
        // decided[0]: verdict, [1]: reason, [2]: ledger_checkpoint
        InvoiceUpdateParams.Builder update = InvoiceUpdateParams.builder();
        if (decided[0].equals("witnessed")) {
            update.putMetadata("ledger_checkpoint", decided[2]);
        } else {
            update.setAutoAdvance(false).putMetadata("ledger_hold", decided[1]);
        }
        stripe.v1().invoices().update(invoiceId, update.build(),
                RequestOptions.builder().setIdempotencyKey("ledger-witness-" + invoiceId).build());
        try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement(
                "update invoice_worker_witness set stripe_done = true where invoice_id = ?")) {
            ps.setString(1, invoiceId);
            ps.executeUpdate();
        }
        log.info("witness: invoice {} of {} {}{}", invoiceId, tenantId, decided[0], decided[1] == null ? "" : " (" + decided[1] + ")");
    }

    /** Reconciles, asks the ledger, and notes the ledger's answer; null when it must be tried again later. */
    private String[] decide(String invoiceId, String tenantId, String customer) throws SQLException, StripeException {
        List<Quantity> quantities = new ArrayList<>();
        Instant periodStart = null;
        Instant periodEnd = null;
        String brokenChain;
        String notMonthly = null;
        try (Connection c = database.getConnection()) {
            brokenChain = brokenChain(c, tenantId);
            try (PreparedStatement ps = c.prepareStatement("select price_id, quantity, period_start, period_end from "
                    + "invoice_worker_invoice_line where invoice_id = ? and price_id is not null order by line_id")) {
                ps.setString(1, invoiceId);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        String meterId = meterOf(rs.getString(1));
                        Timestamp start = rs.getTimestamp(3);
                        Timestamp end = rs.getTimestamp(4);
                        if (meterId == null || start == null || end == null) {
                            continue; // a licensed line: nothing metered to reconcile
                        }
                        periodStart = periodStart == null || start.toInstant().isBefore(periodStart) ? start.toInstant() : periodStart;
                        periodEnd = periodEnd == null || end.toInstant().isAfter(periodEnd) ? end.toInstant() : periodEnd;
                        String meter = eventName(meterId);
                        LocalDate month = start.toInstant().atZone(ZoneOffset.UTC).toLocalDate();
                        if (month.getDayOfMonth() != 1 || !start.toInstant().atZone(ZoneOffset.UTC).toLocalTime().equals(java.time.LocalTime.MIDNIGHT)
                                || !end.toInstant().equals(month.plusMonths(1).atStartOfDay(ZoneOffset.UTC).toInstant())) {
                            notMonthly = meter + ": the line's period " + start.toInstant() + ".." + end.toInstant()
                                    + " is not a UTC calendar month, the period this worker counts the ledger's usage in";
                        }
                        quantities.add(new Quantity(meter, usage(c, tenantId, meter, month), stripeQuantity(meterId, customer, start,
                                end), rs.getLong(2)));
                    }
                }
            }
        }
        if (periodStart == null) {
            try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement(
                    "select period_start, period_end from invoice_worker_invoice where invoice_id = ?")) {
                ps.setString(1, invoiceId);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getTimestamp(1) != null && rs.getTimestamp(2) != null) {
                        periodStart = rs.getTimestamp(1).toInstant();
                        periodEnd = rs.getTimestamp(2).toInstant();
                    } else {
                        periodStart = clock.instant();
                        periodEnd = periodStart;
                    }
                }
            }
        }
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("invoice_id", invoiceId);
        request.put("period_start", periodStart.toString());
        request.put("period_end", periodEnd.toString());
        request.put("quantities", quantities.stream().map(Quantity::json).toList());
        String mismatch = notMonthly;
        for (Quantity q : quantities) {
            if (mismatch == null && !q.agrees()) {
                mismatch = q.meter() + ": ledger " + q.ledger() + ", Stripe " + q.stripe() + ", invoiced " + q.invoiced();
            }
        }
        LedgerCalls.Answer answer;
        if (brokenChain != null || mismatch != null) {
            request.put("reason", brokenChain != null ? "chain_broken" : "quantity_mismatch");
            request.put("detail", brokenChain != null ? brokenChain : mismatch);
            answer = ledger.hold(tenantId, request);
        } else {
            answer = ledger.witness(tenantId, request);
        }
        if (answer.outcome() != LedgerCalls.Outcome.DONE || answer.body() == null) {
            log.warn("witness: the ledger did not answer for invoice {} ({} {}); the next pass asks again", invoiceId,
                    answer.status(), answer.code());
            return null;
        }
        JsonNode body = answer.body();
        String verdict = body.path("status").asText();
        String reason = body.path("reason").isTextual() ? body.path("reason").asText() : null;
        String checkpoint = body.path("ledger_checkpoint").isTextual() ? body.path("ledger_checkpoint").asText() : null;
        String detail = body.path("detail").isTextual() ? body.path("detail").asText() : null;
        if (!verdict.equals("witnessed") && !verdict.equals("held") || verdict.equals("witnessed") != (checkpoint != null)) {
            log.error("witness: the ledger's answer for invoice {} is not a witness or a hold", invoiceId);
            return null;
        }
        try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement("insert into invoice_worker_witness "
                + "(invoice_id, tenant_id, verdict, reason, detail, ledger_checkpoint, ledger_sequence, decided_at) values "
                + "(?, ?, ?, ?, ?, ?, ?, ?) on conflict (invoice_id) do nothing")) {
            ps.setString(1, invoiceId);
            ps.setString(2, tenantId);
            ps.setString(3, verdict);
            ps.setString(4, reason);
            ps.setString(5, detail == null ? null : detail.substring(0, Math.min(1000, detail.length())));
            ps.setString(6, checkpoint);
            ps.setLong(7, body.path("sequence").asLong());
            ps.setTimestamp(8, Timestamp.from(clock.instant()));
            ps.executeUpdate();
        }
        Counter.builder("invoice_worker_witness_total").description("Draft invoices witnessed or held, by verdict and reason")
                .tag("verdict", verdict).tag("reason", reason == null ? "none" : reason).register(registry).increment();
        if (verdict.equals("held")) {
            log.error("witness: invoice {} of {} HELD ({}): {}", invoiceId, tenantId, reason, detail);
        }
        return new String[] {verdict, reason, checkpoint};
    }

    private String[] decided(String invoiceId) throws SQLException {
        try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select verdict, reason, ledger_checkpoint from invoice_worker_witness where invoice_id = ?")) {
            ps.setString(1, invoiceId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new String[] {rs.getString(1), rs.getString(2), rs.getString(3)} : null;
            }
        }
    }

    /** What this worker's own re-verification of the chain found broken, or null. */
    private static String brokenChain(Connection c, String tenantId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select broken_sequence, broken_reason, lost_to_retention from "
                + "invoice_worker_chain where tenant_id = ?")) {
            ps.setString(1, tenantId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                long broken = rs.getLong(1);
                if (!rs.wasNull()) {
                    return "entry " + broken + ": " + rs.getString(2) + " (found by the invoice-worker's re-verification)";
                }
                return rs.getBoolean(3) ? "entries lost to Kafka's retention before the invoice-worker read them" : null;
            }
        }
    }

    private static long usage(Connection c, String tenantId, String meter, LocalDate month) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select quantity from invoice_worker_usage where tenant_id = ? and meter = ? "
                + "and period_start = ?")) {
            ps.setString(1, tenantId);
            ps.setString(2, meter);
            ps.setDate(3, Date.valueOf(month));
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    /** The price's billing meter, or null for a licensed price. */
    private String meterOf(String priceId) throws StripeException {
        String cached = meterOfPrice.get(priceId);
        if (cached != null) {
            return cached.isEmpty() ? null : cached;
        }
        Price price = stripe.v1().prices().retrieve(priceId);
        String meter = price.getRecurring() == null || price.getRecurring().getMeter() == null ? "" : price.getRecurring().getMeter();
        meterOfPrice.put(priceId, meter);
        return meter.isEmpty() ? null : meter;
    }

    private String eventName(String meterId) throws StripeException {
        String cached = eventNameOfMeter.get(meterId);
        if (cached == null) {
            cached = stripe.v1().billing().meters().retrieve(meterId).getEventName();
            eventNameOfMeter.put(meterId, cached);
        }
        return cached;
    }

    private long stripeQuantity(String meterId, String customer, Timestamp start, Timestamp end) throws StripeException {
        long sum = 0;
        for (MeterEventSummary s : stripe.v1().billing().meters().eventSummaries().list(meterId, MeterEventSummaryListParams.builder()
                .setCustomer(customer).setStartTime(start.toInstant().getEpochSecond()).setEndTime(end.toInstant().getEpochSecond())
                .setLimit(100L).build()).autoPagingIterable()) {
            sum = Math.addExact(sum, s.getAggregatedValue().longValue());
        }
        return sum;
    }

    private void refreshHeld() {
        try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select count(*) from invoice_worker_witness w join invoice_worker_invoice i on i.invoice_id = w.invoice_id "
                        + "where w.verdict = 'held' and i.status = 'draft'"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            held.set(rs.getLong(1));
        } catch (SQLException e) {
            log.warn("witness: could not count the held invoices (SQL state {})", e.getSQLState());
        }
    }
}
