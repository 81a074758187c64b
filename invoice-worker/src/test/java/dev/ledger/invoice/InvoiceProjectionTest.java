package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.model.Customer;
import com.stripe.model.Price;
import com.stripe.model.Product;
import com.stripe.model.billing.Meter;
import com.stripe.model.testhelpers.TestClock;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.CustomerUpdateParams;
import com.stripe.param.PriceCreateParams;
import com.stripe.param.ProductCreateParams;
import com.stripe.param.SubscriptionCreateParams;
import com.stripe.param.billing.MeterCreateParams;
import com.stripe.param.billing.MeterEventCreateParams;
import com.stripe.param.testhelpers.TestClockAdvanceParams;
import com.stripe.param.testhelpers.TestClockCreateParams;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.Sha256;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.stripe.StripeEventRecorded;
import dev.ledger.ops.postgres.LocalPostgres;
import dev.ledger.ops.stripe.StripeEmulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The invoice projection from the events a real billing month produces in the Stripe emulator (a declined card, the
 * payment failing, then paid after the card is fixed), as the chain records them: the same events in creation
 * order, shuffled, and each three times give the same invoices, and the month's invoice ends paid with its metered
 * line, never moved back by the stale events that follow it.
 */
class InvoiceProjectionTest {

    private static final Instant MONTH_START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant MONTH_END = Instant.parse("2026-02-01T00:00:00Z");

    private static LocalPostgres postgres;
    private static StripeEmulator emulator;
    private static List<Map<String, Object>> events;

    @BeforeAll
    static void start() throws Exception {
        postgres = LocalPostgres.start(null, 0);
        emulator = StripeEmulator.start(0, Clock.fixed(Instant.parse("2026-01-15T00:00:00Z"), ZoneOffset.UTC));
        StripeClient stripe = StripeClient.builder().setApiKey("sk_test_projection").setApiBase(emulator.url())
                .setMeterEventsBase(emulator.url()).setMaxNetworkRetries(0).build();
        Meter meter = stripe.v1().billing().meters().create(MeterCreateParams.builder().setDisplayName("Evaluations")
                .setEventName("evaluations").setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                        .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build()).build());
        Product product = stripe.v1().products().create(ProductCreateParams.builder().setName("Ledger").build());
        Price price = stripe.v1().prices().create(PriceCreateParams.builder().setCurrency("eur").setProduct(product.getId())
                .setUnitAmount(7L).setRecurring(PriceCreateParams.Recurring.builder()
                        .setInterval(PriceCreateParams.Recurring.Interval.MONTH)
                        .setUsageType(PriceCreateParams.Recurring.UsageType.METERED).setMeter(meter.getId()).build()).build());
        TestClock clock = stripe.v1().testHelpers().testClocks().create(TestClockCreateParams.builder()
                .setFrozenTime(MONTH_START.getEpochSecond()).build());
        Customer bob = stripe.v1().customers().create(CustomerCreateParams.builder().setName("Bob").setTestClock(clock.getId())
                .setInvoiceSettings(CustomerCreateParams.InvoiceSettings.builder().setDefaultPaymentMethod("pm_card_chargeDeclined")
                        .build()).build());
        stripe.v1().subscriptions().create(SubscriptionCreateParams.builder().setCustomer(bob.getId())
                .addItem(SubscriptionCreateParams.Item.builder().setPrice(price.getId()).build()).build());
        stripe.v1().billing().meterEvents().create(MeterEventCreateParams.builder().setEventName("evaluations")
                .setIdentifier("b-1").setTimestamp(Instant.parse("2026-01-03T00:00:00Z").getEpochSecond())
                .putPayload("stripe_customer_id", bob.getId()).putPayload("value", "10").build());
        stripe.v1().testHelpers().testClocks().advance(clock.getId(), TestClockAdvanceParams.builder()
                .setFrozenTime(MONTH_END.plusSeconds(3600).getEpochSecond()).build());
        stripe.v1().customers().update(bob.getId(), CustomerUpdateParams.builder().setInvoiceSettings(
                CustomerUpdateParams.InvoiceSettings.builder().setDefaultPaymentMethod("pm_card_visa").build()).build());
        stripe.v1().testHelpers().testClocks().advance(clock.getId(), TestClockAdvanceParams.builder()
                .setFrozenTime(MONTH_END.plusSeconds(3600 + 3 * 86400).getEpochSecond()).build());
        events = rawEvents(emulator.url());
    }

    @AfterAll
    static void stop() throws Exception {
        if (emulator != null) {
            emulator.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    /** Every event the emulator made, in creation order, exactly as its API serves them. */
    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> rawEvents(String base) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/v1/events?limit=100"))
                .header("Authorization", "Bearer sk_test_projection").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        Map<String, Object> page = LedgerJson.mapper().readValue(r.body(), Map.class);
        assertThat(page.get("has_more")).isEqualTo(false);
        List<Map<String, Object>> data = new ArrayList<>((List<Map<String, Object>>) page.get("data"));
        Collections.reverse(data); // Stripe lists newest first
        return data;
    }

    /** The events as StripeEventRecorded entries of one tenant's chain, in the given order. */
    @SuppressWarnings("unchecked")
    private static List<StoredEntry> chain(String tenant, List<Map<String, Object>> inOrder) throws Exception {
        List<StoredEntry> entries = new ArrayList<>();
        byte[] prev = EntryFraming.genesis();
        long seq = 1;
        for (Map<String, Object> e : inOrder) {
            Map<String, Object> data = (Map<String, Object>) e.get("data");
            Map<String, Object> object = (Map<String, Object>) data.get("object");
            StripeEventRecorded fact = new StripeEventRecorded(tenant, (String) e.get("id"), (String) e.get("type"),
                    Instant.ofEpochSecond(((Number) e.get("created")).longValue()).toString(), false,
                    (String) object.get("object"), (String) object.get("id"), data);
            byte[] payload = LedgerJson.mapper().writeValueAsBytes(fact);
            byte[] metadata = "{\"actor\":\"stripe\"}".getBytes();
            String type = EntryTypes.nameOf(StripeEventRecorded.class);
            String eventId = UUID.randomUUID().toString();
            String recordedAt = MONTH_START.plusSeconds(seq).toString();
            byte[] hash = EntryFraming.hash(tenant, seq, eventId, type, "1", recordedAt, Sha256.of(payload), Sha256.of(metadata), prev);
            entries.add(StoredEntry.of(tenant, seq, eventId, type, "1", recordedAt, payload, metadata, prev, hash));
            prev = hash;
            seq++;
        }
        return entries;
    }

    /** A fresh worker database with the worker's migrations, the given entries applied one transaction each. */
    private static String project(String name, List<StoredEntry> entries) throws Exception {
        postgres.createDatabase(name);
        Flyway.configure().dataSource(postgres.jdbcUrl(name), "postgres", "").locations("classpath:db/invoice-worker")
                .table("flyway_invoice_worker_history").load().migrate();
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(name), "postgres", "")) {
            c.setAutoCommit(false);
            var worker = InvoiceWorker.entries(java.time.Clock.systemUTC());
            for (StoredEntry e : entries) {
                worker.onVerified(e, c);
                c.commit();
            }
        }
        return name;
    }

    private static List<String> rows(String database, String query) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(postgres.jdbcUrl(database), "postgres", "");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                StringBuilder row = new StringBuilder();
                for (int i = 1; i <= n; i++) {
                    row.append(i > 1 ? " | " : "").append(rs.getString(i));
                }
                out.add(row.toString());
            }
        }
        return out;
    }

    private static final String INVOICES = "select invoice_id, customer_id, subscription_id, status, amount_due, amount_paid, "
            + "amount_remaining, currency, period_start, period_end, stripe_created, shown_event_id from invoice_worker_invoice "
            + "order by invoice_id";
    private static final String LINES = "select invoice_id, line_id, price_id, quantity, amount, currency, period_start, "
            + "period_end from invoice_worker_invoice_line order by invoice_id, line_id";
    private static final String EVENTS = "select invoice_id, event_id, event_type, created from invoice_worker_invoice_event "
            + "order by invoice_id, event_id";

    @Test
    void givenTheSameEventsInOrderShuffledAndRepeatedThenTheInvoicesAreTheSameAndTheMonthEndsPaid() throws Exception {
        assertThat(events).extracting(e -> e.get("type")).contains("invoice.payment_failed", "invoice.paid");
        String inOrder = project("proj_in_order", chain("t-a", events));

        List<Map<String, Object>> shuffled = new ArrayList<>(events);
        Collections.shuffle(shuffled, new Random(11));
        List<Map<String, Object>> thrice = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<Map<String, Object>> copy = new ArrayList<>(events);
            Collections.shuffle(copy, new Random(100 + i));
            thrice.addAll(copy);
        }
        // the newest events first: every stale snapshot comes after the one that outranks it
        List<Map<String, Object>> newestFirst = new ArrayList<>(events);
        Collections.reverse(newestFirst);

        for (var other : List.of(Map.entry("proj_shuffled", shuffled), Map.entry("proj_thrice", thrice),
                Map.entry("proj_newest_first", newestFirst))) {
            String db = project(other.getKey(), chain("t-a", other.getValue()));
            assertThat(rows(db, INVOICES)).as(other.getKey()).isEqualTo(rows(inOrder, INVOICES));
            assertThat(rows(db, LINES)).as(other.getKey()).isEqualTo(rows(inOrder, LINES));
            assertThat(rows(db, EVENTS)).as(other.getKey()).isEqualTo(rows(inOrder, EVENTS));
        }

        List<String> invoices = rows(inOrder, "select status, amount_due, amount_paid, amount_remaining, currency "
                + "from invoice_worker_invoice order by stripe_created, invoice_id");
        assertThat(invoices).containsExactly("paid | 0 | 0 | 0 | eur", "paid | 70 | 70 | 0 | eur");
        assertThat(rows(inOrder, "select l.quantity, l.amount from invoice_worker_invoice_line l join invoice_worker_invoice i "
                + "using (invoice_id) where i.amount_due > 0")).containsExactly("10 | 70");
        assertThat(rows(inOrder, "select e.event_type from invoice_worker_invoice_event e join invoice_worker_invoice i "
                + "using (invoice_id) where i.amount_due > 0 order by e.created, e.event_type"))
                .contains("invoice.created", "invoice.finalized", "invoice.payment_failed", "invoice.paid");
    }

    @Test
    void givenAnInvoiceSnapshotWithoutWholeAmountsThenItIsNotProjected() {
        JsonNode fractional = LedgerJson.mapper().valueToTree(Map.of("id", "in_1", "object", "invoice", "status", "paid",
                "currency", "eur", "created", 1, "amount_due", 1.5, "amount_paid", 0, "amount_remaining", 0));
        assertThat(dev.ledger.core.stripe.StripeInvoice.read(fractional)).isNull();
        JsonNode unknownStatus = LedgerJson.mapper().valueToTree(Map.of("id", "in_1", "object", "invoice", "status", "refunded",
                "currency", "eur", "created", 1, "amount_due", 1, "amount_paid", 0, "amount_remaining", 0));
        assertThat(dev.ledger.core.stripe.StripeInvoice.read(unknownStatus)).isNull();
    }
}
