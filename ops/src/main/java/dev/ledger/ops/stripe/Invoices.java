package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.optMap;
import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.ParamSchema.bool;
import static dev.ledger.ops.stripe.ParamSchema.hash;
import static dev.ledger.ops.stripe.ParamSchema.integer;
import static dev.ledger.ops.stripe.ParamSchema.metadata;
import static dev.ledger.ops.stripe.ParamSchema.oneOf;
import static dev.ledger.ops.stripe.ParamSchema.range;
import static dev.ledger.ops.stripe.ParamSchema.string;
import static dev.ledger.ops.stripe.Wire.ordered;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Invoices ({@code /v1/invoices}): made by {@link Subscriptions} (at creation and at each period end), then
 * draft → open (while {@code auto_advance}: {@link #DRAFT_WINDOW_SECONDS} after creation when no webhook endpoint is
 * configured; with one, an hour after the endpoint acknowledged {@code invoice.created}, and
 * {@link #UNACKNOWLEDGED_DRAFT_SECONDS} after creation if it never did, as Stripe waits for webhooks; or by
 * {@code /finalize}) → paid / void / uncollectible. Automatic collection tries the payment at finalization and, after
 * a failure, every {@link #RETRY_SECONDS} up to {@link #MAX_ATTEMPTS} attempts. Whether a payment succeeds is the
 * customer's: its default payment method {@code pm_card_chargeDeclined} (or any {@code pm_card_…chargeDeclined…})
 * fails, as does a customer switched to declining by {@link #declinePayments}; anything else succeeds. Every change is
 * announced in {@link Events}. Time is the customer's (its test clock's, or the emulator's).
 */
final class Invoices implements StripeResource {
    static final long DRAFT_WINDOW_SECONDS = 3600;
    static final long UNACKNOWLEDGED_DRAFT_SECONDS = 72 * 3600;
    static final long RETRY_SECONDS = 3L * 24 * 3600;
    static final int MAX_ATTEMPTS = 4;
    private static final ParamSchema UPDATE = hash("auto_advance", bool(), "description", string(1500).orEmpty(),
            "footer", string(5000).orEmpty(), "metadata", metadata(),
            "collection_method", oneOf("charge_automatically", "send_invoice"), "days_until_due", integer(),
            "default_payment_method", string().orEmpty()).withExpand();
    private static final ParamSchema FINALIZE = hash("auto_advance", bool()).withExpand();
    private static final ParamSchema PAY = hash("forgive", bool(), "off_session", bool(), "paid_out_of_band", bool(),
            "payment_method", string()).withExpand();
    private static final ParamSchema LIST = hash("collection_method", oneOf("charge_automatically", "send_invoice"),
            "created", range(), "customer", string(), "due_date", range(), "ending_before", string(),
            "limit", integer(), "starting_after", string(),
            "status", oneOf("draft", "open", "paid", "uncollectible", "void"), "subscription", string()).withExpand();
    private static final ParamSchema LINES = hash("limit", integer(), "starting_after", string(),
            "ending_before", string()).withExpand();
    private static final ParamSchema NONE = hash().withExpand();
    private static final Set<String> EXPANDABLE = Set.of("customer", "test_clock", "default_payment_method",
            "default_source", "parent.subscription_details.subscription");

    /** Told when an invoice of a subscription is paid or a payment of it fails. */
    interface Collection {
        void paid(String subscriptionId, long at);

        void failed(String subscriptionId, long at);
    }

    /** A line to bill: what the subscription item, its price and its quantity come to over a period. */
    record Line(String subscriptionItem, Map<String, Object> price, long quantity, long periodStart, long periodEnd,
                String description) {
    }

    private final Customers customers;
    private final TestClocks clocks;
    private final Events events;
    private final Map<String, Map<String, Object>> invoices = new LinkedHashMap<>();
    private final Set<String> declining = new HashSet<>();
    /** invoice id → days until due, for send_invoice invoices (not a field of the invoice object). */
    private final Map<String, Long> daysUntilDue = new LinkedHashMap<>();
    private Collection collection;
    private java.util.function.BooleanSupplier webhooksConfigured = () -> false;

    Invoices(Customers customers, TestClocks clocks, Events events) {
        this.customers = customers;
        this.clocks = clocks;
        this.events = events;
    }

    void collection(Collection c) {
        this.collection = c;
    }

    /** Whether a webhook endpoint is configured: then drafts wait for {@code invoice.created} to be acknowledged. */
    void webhooksConfigured(java.util.function.BooleanSupplier configured) {
        this.webhooksConfigured = configured;
    }

    /**
     * The endpoint answered 2xx to an event at {@code at} (emulator time): a draft whose {@code invoice.created} it
     * was finalizes an hour later (of its own time), unless the 72 h limit comes first.
     */
    void acknowledged(Map<String, Object> event, long at) {
        if (!"invoice.created".equals(event.get("type"))) {
            return;
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> object = (Map<String, Object>) ((Map<String, Object>) event.get("data")).get("object");
        Map<String, Object> i = invoices.get((String) object.get("id"));
        if (i == null || !"draft".equals(i.get("status")) || i.get("automatically_finalizes_at") == null) {
            return;
        }
        String clock = (String) i.get("test_clock");
        long ackAt = Math.max(clock == null ? at : clocks.frozenTime(clock), (Long) i.get("created"));
        long limit = (Long) i.get("created") + UNACKNOWLEDGED_DRAFT_SECONDS;
        i.put("automatically_finalizes_at", Math.min(limit, ackAt + DRAFT_WINDOW_SECONDS));
    }

    @Override
    public void routes(Router router) {
        router.get("/v1/invoices", this::list);
        router.get("/v1/invoices/{invoice}", call -> {
            NONE.check(call.params());
            return rendered(invoice(call.pathParam("invoice")), Expand.of(call.params(), EXPANDABLE));
        });
        router.post("/v1/invoices/{invoice}", this::update);
        router.get("/v1/invoices/{invoice}/lines", this::lines);
        router.post("/v1/invoices/{invoice}/finalize", this::finalizeCall);
        router.post("/v1/invoices/{invoice}/pay", this::payCall);
        router.post("/v1/invoices/{invoice}/void", call -> transition(call, "void", "voided_at", "invoice.voided"));
        router.post("/v1/invoices/{invoice}/mark_uncollectible",
                call -> transition(call, "uncollectible", "marked_uncollectible_at", "invoice.marked_uncollectible"));
    }

    /** Invoices of customers without a test clock live at the emulator's time. */
    @Override
    public void expire(java.time.Instant now) {
        advance(null, now.getEpochSecond());
    }

    /** Switches the customer's payments to failing (true) or back to succeeding. */
    void declinePayments(String customer, boolean decline) {
        if (decline) {
            declining.add(customer);
        } else {
            declining.remove(customer);
        }
    }

    Map<String, Object> invoice(String id) {
        Map<String, Object> i = invoices.get(id);
        if (i == null) {
            throw StripeApiException.noSuch("invoice", id);
        }
        return i;
    }

    /**
     * Creates a draft invoice of a subscription at {@code at} (the customer's time). {@code immediately}: finalize
     * and collect now (a subscription's first invoice), else after the draft window.
     */
    @SuppressWarnings("unchecked")
    String create(String customer, String subscription, Map<String, String> subscriptionMetadata, String currency,
                  String collectionMethod, Long daysUntilDue, String billingReason, List<Line> lines, long periodStart,
                  long periodEnd, long at, boolean immediately) {
        Map<String, Object> c = customers.render(customer);
        String id = Wire.newId("in_", 24);
        List<Map<String, Object>> renderedLines = new ArrayList<>();
        long subtotal = 0;
        for (Line l : lines) {
            long unit = (Long) l.price().get("unit_amount");
            long amount = Math.multiplyExact(l.quantity(), unit);
            subtotal = Math.addExact(subtotal, amount);
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("id", Wire.newId("il_", 24));
            line.put("object", "line_item");
            line.put("amount", amount);
            line.put("currency", currency);
            line.put("description", l.description());
            line.put("discount_amounts", List.of());
            line.put("discountable", true);
            line.put("discounts", List.of());
            line.put("invoice", id);
            line.put("livemode", false);
            line.put("metadata", new LinkedHashMap<String, String>());
            line.put("parent", ordered("invoice_item_details", null, "subscription_item_details",
                    ordered("invoice_item", null, "proration", false, "proration_details",
                            ordered("credited_items", null), "subscription", subscription,
                            "subscription_item", l.subscriptionItem()),
                    "type", "subscription_item_details"));
            line.put("period", ordered("end", l.periodEnd(), "start", l.periodStart()));
            line.put("pretax_credit_amounts", List.of());
            line.put("pricing", ordered("price_details", ordered("price", l.price().get("id"),
                    "product", l.price().get("product")), "type", "price_details",
                    "unit_amount_decimal", l.price().get("unit_amount_decimal")));
            line.put("quantity", l.quantity());
            line.put("subscription", subscription);
            line.put("subtotal", amount);
            line.put("taxes", List.of());
            renderedLines.add(line);
        }
        Map<String, Object> i = new LinkedHashMap<>();
        i.put("id", id);
        i.put("object", "invoice");
        i.put("account_country", "US");
        i.put("account_name", null);
        i.put("account_tax_ids", null);
        i.put("amount_due", subtotal);
        i.put("amount_overpaid", 0L);
        i.put("amount_paid", 0L);
        i.put("amount_paid_off_stripe", 0L);
        i.put("amount_remaining", subtotal);
        i.put("amount_shipping", 0L);
        i.put("application", null);
        i.put("attempt_count", 0L);
        i.put("attempted", false);
        i.put("auto_advance", true);
        i.put("automatic_tax", ordered("disabled_reason", null, "enabled", false, "liability", null,
                "provider", null, "status", null));
        i.put("automatically_finalizes_at", immediately ? null
                : at + (webhooksConfigured.getAsBoolean() ? UNACKNOWLEDGED_DRAFT_SECONDS : DRAFT_WINDOW_SECONDS));
        i.put("billing_reason", billingReason);
        i.put("collection_method", collectionMethod);
        i.put("created", at);
        i.put("currency", currency);
        i.put("custom_fields", ((Map<String, Object>) c.get("invoice_settings")).get("custom_fields"));
        i.put("customer", customer);
        i.put("customer_account", null);
        i.put("customer_address", c.get("address"));
        i.put("customer_email", c.get("email"));
        i.put("customer_name", c.get("name"));
        i.put("customer_phone", c.get("phone"));
        i.put("customer_shipping", null);
        i.put("customer_tax_exempt", c.get("tax_exempt"));
        i.put("customer_tax_ids", List.of());
        i.put("default_payment_method", null);
        i.put("default_source", null);
        i.put("default_tax_rates", List.of());
        i.put("description", null);
        i.put("discounts", List.of());
        i.put("due_date", null);
        i.put("effective_at", null);
        i.put("ending_balance", null);
        i.put("footer", ((Map<String, Object>) c.get("invoice_settings")).get("footer"));
        i.put("from_invoice", null);
        i.put("hosted_invoice_url", null);
        i.put("invoice_pdf", null);
        i.put("issuer", ordered("type", "self"));
        i.put("last_finalization_error", null);
        i.put("latest_revision", null);
        i.put("lines", ordered("object", "list", "data", renderedLines, "has_more", false,
                "url", "/v1/invoices/" + id + "/lines"));
        i.put("livemode", false);
        i.put("metadata", new LinkedHashMap<String, String>());
        i.put("next_payment_attempt", null);
        i.put("number", null);
        i.put("on_behalf_of", null);
        i.put("parent", ordered("quote_details", null, "subscription_details",
                ordered("metadata", new LinkedHashMap<>(subscriptionMetadata), "subscription", subscription),
                "type", "subscription_details"));
        i.put("payment_settings", ordered("default_mandate", null, "payment_method_options", null,
                "payment_method_types", null));
        i.put("period_end", periodEnd);
        i.put("period_start", periodStart);
        i.put("post_payment_credit_notes_amount", 0L);
        i.put("pre_payment_credit_notes_amount", 0L);
        i.put("receipt_number", null);
        i.put("rendering", null);
        i.put("shipping_cost", null);
        i.put("shipping_details", null);
        i.put("starting_balance", 0L);
        i.put("statement_descriptor", null);
        i.put("status", "draft");
        i.put("status_transitions", ordered("finalized_at", null, "marked_uncollectible_at", null, "paid_at", null,
                "voided_at", null));
        i.put("subtotal", subtotal);
        i.put("subtotal_excluding_tax", subtotal);
        i.put("test_clock", c.get("test_clock"));
        i.put("total", subtotal);
        i.put("total_discount_amounts", List.of());
        i.put("total_excluding_tax", subtotal);
        i.put("total_pretax_credit_amounts", List.of());
        i.put("total_taxes", List.of());
        i.put("webhooks_delivered_at", null);
        invoices.put(id, i);
        if (daysUntilDue != null) {
            this.daysUntilDue.put(id, daysUntilDue);
        }
        events.emit("invoice.created", i, at, null);
        if (immediately) {
            finalizeAt(i, at);
            collect(i, at);
        }
        return id;
    }

    /** Runs what is due for the invoices living on {@code clockId} (null: no test clock) up to {@code to}. */
    void advance(String clockId, long to) {
        while (true) {
            Map<String, Object> next = null;
            long nextAt = Long.MAX_VALUE;
            for (Map<String, Object> i : invoices.values()) {
                if (!java.util.Objects.equals(clockId, i.get("test_clock"))) {
                    continue;
                }
                Long due = dueAt(i);
                if (due != null && due <= to && due < nextAt) {
                    next = i;
                    nextAt = due;
                }
            }
            if (next == null) {
                return;
            }
            if ("draft".equals(next.get("status"))) {
                finalizeAt(next, nextAt);
                collect(next, nextAt);
            } else {
                collect(next, nextAt);
            }
        }
    }

    /** When the invoice next does something by itself: finalize (a draft) or try a payment (open), or null. */
    private static Long dueAt(Map<String, Object> i) {
        if (!Boolean.TRUE.equals(i.get("auto_advance"))) {
            return null;
        }
        if ("draft".equals(i.get("status"))) {
            return (Long) i.get("automatically_finalizes_at");
        }
        if ("open".equals(i.get("status")) && "charge_automatically".equals(i.get("collection_method"))) {
            return (Long) i.get("next_payment_attempt");
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private void finalizeAt(Map<String, Object> i, long at) {
        String customer = (String) i.get("customer");
        i.put("status", "open");
        i.put("number", customers.nextInvoiceNumber(customer));
        i.put("automatically_finalizes_at", null);
        i.put("effective_at", at);
        i.put("ending_balance", 0L);
        i.put("hosted_invoice_url", "https://invoice.stripe.com/i/emulator/" + i.get("id"));
        i.put("invoice_pdf", "https://pay.stripe.com/invoice/emulator/" + i.get("id") + "/pdf");
        ((Map<String, Object>) i.get("status_transitions")).put("finalized_at", at);
        if ("send_invoice".equals(i.get("collection_method"))) {
            Long days = daysUntilDue.get((String) i.get("id"));
            i.put("due_date", at + (days == null ? 30 : days) * 86400);
        } else if (Boolean.TRUE.equals(i.get("auto_advance"))) {
            i.put("next_payment_attempt", at);
        }
        events.emit("invoice.finalized", i, at, ordered("status", "draft"));
    }

    /** Tries to collect an open invoice now (charge automatically); a zero amount is paid at once. */
    private void collect(Map<String, Object> i, long at) {
        if (!"open".equals(i.get("status"))) {
            return;
        }
        if ((Long) i.get("amount_due") == 0) {
            markPaid(i, at, false);
            return;
        }
        if (!"charge_automatically".equals(i.get("collection_method"))) {
            return;
        }
        attempt(i, at);
    }

    /** One payment attempt; answers whether it succeeded. */
    private boolean attempt(Map<String, Object> i, long at) {
        long attempts = (Long) i.get("attempt_count") + 1;
        i.put("attempt_count", attempts);
        i.put("attempted", true);
        if (succeeds((String) i.get("customer"))) {
            markPaid(i, at, true);
            return true;
        }
        i.put("next_payment_attempt", attempts < MAX_ATTEMPTS ? at + RETRY_SECONDS : null);
        events.emit("invoice.payment_failed", i, at, ordered("attempt_count", attempts - 1));
        String subscription = subscriptionOf(i);
        if (subscription != null && collection != null) {
            collection.failed(subscription, at);
        }
        return false;
    }

    private boolean succeeds(String customer) {
        if (declining.contains(customer)) {
            return false;
        }
        String pm = customers.defaultPaymentMethod(customer);
        return pm == null || !pm.startsWith("pm_card_") || !pm.contains("chargeDeclined");
    }

    @SuppressWarnings("unchecked")
    private void markPaid(Map<String, Object> i, long at, boolean charged) {
        i.put("status", "paid");
        i.put("amount_paid", i.get("amount_due"));
        i.put("amount_remaining", 0L);
        i.put("next_payment_attempt", null);
        i.put("attempted", true);
        ((Map<String, Object>) i.get("status_transitions")).put("paid_at", at);
        if (charged) {
            events.emit("invoice.payment_succeeded", i, at, null);
        }
        events.emit("invoice.paid", i, at, ordered("status", "open"));
        String subscription = subscriptionOf(i);
        if (subscription != null && collection != null) {
            collection.paid(subscription, at);
        }
    }

    @SuppressWarnings("unchecked")
    private static String subscriptionOf(Map<String, Object> i) {
        Map<String, Object> parent = (Map<String, Object>) i.get("parent");
        Map<String, Object> details = (Map<String, Object>) parent.get("subscription_details");
        return details == null ? null : (String) details.get("subscription");
    }

    private long now(Map<String, Object> i, ApiCall call) {
        String clock = (String) i.get("test_clock");
        return clock == null ? call.nowSeconds() : clocks.frozenTime(clock);
    }

    private Map<String, Object> rendered(Map<String, Object> i, Set<String> expand) {
        if (expand.isEmpty()) {
            return i;
        }
        Map<String, Object> out = new LinkedHashMap<>(i);
        if (expand.contains("customer")) {
            out.put("customer", customers.render((String) i.get("customer")));
        }
        if (expand.contains("test_clock") && i.get("test_clock") != null) {
            out.put("test_clock", clocks.render((String) i.get("test_clock")));
        }
        return out;
    }

    private Map<String, Object> finalizeCall(ApiCall call) {
        FINALIZE.check(call.params());
        Map<String, Object> i = invoice(call.pathParam("invoice"));
        if (!"draft".equals(i.get("status"))) {
            throw StripeApiException.invalid("invoice_not_editable", null,
                    "This invoice is already finalized, you can't re-finalize a non-draft invoice.");
        }
        if (call.params().containsKey("auto_advance")) {
            i.put("auto_advance", "true".equals(optString(call.params(), "auto_advance")));
        }
        long at = now(i, call);
        finalizeAt(i, at);
        if ((Long) i.get("amount_due") == 0) {
            markPaid(i, at, false);
        }
        return rendered(i, Expand.of(call.params(), EXPANDABLE));
    }

    private Map<String, Object> payCall(ApiCall call) {
        PAY.check(call.params());
        Map<String, Object> i = invoice(call.pathParam("invoice"));
        long at = now(i, call);
        String status = (String) i.get("status");
        if ("paid".equals(status)) {
            throw StripeApiException.invalid("invoice_already_paid", null, "Invoice is already paid");
        }
        if ("void".equals(status)) {
            throw StripeApiException.invalid("invoice_not_editable", null,
                    "This invoice can no longer be paid: it is " + status + ".");
        }
        if ("draft".equals(status)) {
            finalizeAt(i, at);
        }
        if ((Long) i.get("amount_due") == 0 || "true".equals(optString(call.params(), "paid_out_of_band"))) {
            markPaid(i, at, false);
        } else if (!attempt(i, at)) {
            throw new StripeApiException(402, "card_error", "card_declined", null, "Your card was declined.");
        }
        return rendered(i, Expand.of(call.params(), EXPANDABLE));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> transition(ApiCall call, String status, String stamp, String event) {
        NONE.check(call.params());
        Map<String, Object> i = invoice(call.pathParam("invoice"));
        if (!"open".equals(i.get("status"))) {
            throw StripeApiException.invalid("invoice_not_editable", null,
                    "You can only " + (status.equals("void") ? "void" : "mark as uncollectible")
                            + " an open invoice; this invoice is " + i.get("status") + ".");
        }
        long at = now(i, call);
        String before = (String) i.get("status");
        i.put("status", status);
        i.put("next_payment_attempt", null);
        ((Map<String, Object>) i.get("status_transitions")).put(stamp, at);
        events.emit(event, i, at, ordered("status", before));
        return rendered(i, Expand.of(call.params(), EXPANDABLE));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> update(ApiCall call) {
        Map<String, Object> params = call.params();
        UPDATE.check(params);
        Map<String, Object> i = invoice(call.pathParam("invoice"));
        boolean draft = "draft".equals(i.get("status"));
        for (String p : params.keySet()) {
            if (!draft && !Set.of("metadata", "auto_advance", "expand", "description", "footer").contains(p)) {
                throw StripeApiException.invalid("invoice_not_editable", p,
                        "You can only update " + p + " on a draft invoice; this invoice is " + i.get("status") + ".");
            }
        }
        Map<String, Object> previous = new LinkedHashMap<>();
        if (params.containsKey("auto_advance")) {
            previous.put("auto_advance", i.get("auto_advance"));
            i.put("auto_advance", "true".equals(optString(params, "auto_advance")));
        }
        for (String f : List.of("description", "footer", "collection_method", "default_payment_method")) {
            if (params.containsKey(f)) {
                previous.put(f, i.get(f));
                String v = optString(params, f);
                i.put(f, v.isEmpty() ? null : v);
            }
        }
        if (params.containsKey("days_until_due")) {
            daysUntilDue.put((String) i.get("id"), Long.parseLong(optString(params, "days_until_due")));
        }
        Map<String, Object> metadata = optMap(params, "metadata");
        if (metadata != null) {
            Map<String, String> current = (Map<String, String>) i.get("metadata");
            previous.put("metadata", new LinkedHashMap<>(current));
            if (metadata.isEmpty()) {
                current.clear();
            }
            Metadata.merge(current, metadata);
        }
        if (!previous.isEmpty()) {
            events.emit("invoice.updated", i, now(i, call), previous);
        }
        return rendered(i, Expand.of(params, EXPANDABLE));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> lines(ApiCall call) {
        LINES.check(call.params());
        Map<String, Object> i = invoice(call.pathParam("invoice"));
        List<Map<String, Object>> lines = (List<Map<String, Object>>) ((Map<String, Object>) i.get("lines"))
                .get("data");
        return ListPage.of("/v1/invoices/" + i.get("id") + "/lines", lines, call.params());
    }

    private Map<String, Object> list(ApiCall call) {
        Map<String, Object> params = call.params();
        LIST.check(params);
        Set<String> expand = Expand.ofList(params, EXPANDABLE);
        String customer = optString(params, "customer");
        String status = optString(params, "status");
        String subscription = optString(params, "subscription");
        String method = optString(params, "collection_method");
        Created created = Created.of(params);
        Created due = Created.of(params, "due_date");
        boolean dueFilter = params.containsKey("due_date");
        List<Map<String, Object>> all = new ArrayList<>();
        for (Map<String, Object> i : invoices.values()) {
            boolean matches = (customer == null || customer.equals(i.get("customer")))
                    && (status == null || status.equals(i.get("status")))
                    && (subscription == null || subscription.equals(subscriptionOf(i)))
                    && (method == null || method.equals(i.get("collection_method")))
                    && created.contains((Long) i.get("created"))
                    && (!dueFilter || (i.get("due_date") != null && due.contains((Long) i.get("due_date"))));
            if (matches) {
                all.add(rendered(i, expand));
            }
        }
        // newest first; invoices of one instant keep their creation order reversed
        List<Map<String, Object>> ordered = new ArrayList<>(all);
        Collections.reverse(ordered);
        ordered.sort((a, b) -> Long.compare((Long) b.get("created"), (Long) a.get("created")));
        return ListPage.of("/v1/invoices", ordered, params);
    }
}
