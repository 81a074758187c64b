package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.optLong;
import static dev.ledger.ops.stripe.FormParams.optMap;
import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.ParamSchema.array;
import static dev.ledger.ops.stripe.ParamSchema.bool;
import static dev.ledger.ops.stripe.ParamSchema.hash;
import static dev.ledger.ops.stripe.ParamSchema.integer;
import static dev.ledger.ops.stripe.ParamSchema.metadata;
import static dev.ledger.ops.stripe.ParamSchema.oneOf;
import static dev.ledger.ops.stripe.ParamSchema.range;
import static dev.ledger.ops.stripe.ParamSchema.string;
import static dev.ledger.ops.stripe.Wire.ordered;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Subscriptions ({@code /v1/subscriptions}): a customer's recurring prices, billed per period from the billing cycle
 * anchor (the customer's time at creation: its test clock's, or the emulator's). At creation the first invoice bills
 * the licensed items in advance (a metered-only subscription gets Stripe's $0 invoice, paid at once); at every period
 * end an invoice bills each metered item's usage over the period (the meter's aggregate of the customer's meter events
 * in {@code [period start, period end)}) times its price's unit amount, plus the licensed items for the next period,
 * and stays a draft for {@link Invoices#DRAFT_WINDOW_SECONDS}. A failed payment makes the subscription
 * {@code past_due}, a paid invoice makes it {@code active} again; each change is a
 * {@code customer.subscription.*} event. Cancel ({@code DELETE}) ends it at once.
 */
final class Subscriptions implements StripeResource, Invoices.Collection, TestClocks.Follower {
    private static final ParamSchema ITEM = hash("price!", string(), "quantity", integer(), "metadata", metadata());
    private static final ParamSchema CREATE = hash("customer!", string(), "items!", array(ITEM),
            "billing_cycle_anchor", integer(), "cancel_at_period_end", bool(),
            "collection_method", oneOf("charge_automatically", "send_invoice"), "currency", string(),
            "days_until_due", integer(), "default_payment_method", string(), "description", string(500),
            "metadata", metadata(), "off_session", bool(),
            "payment_behavior", oneOf("allow_incomplete", "default_incomplete", "error_if_incomplete",
                    "pending_if_incomplete"),
            "proration_behavior", oneOf("always_invoice", "create_prorations", "none")).withExpand();
    private static final ParamSchema UPDATE = hash("cancel_at_period_end", bool(), "default_payment_method",
            string().orEmpty(), "description", string(500).orEmpty(), "metadata", metadata(),
            "days_until_due", integer(), "proration_behavior", oneOf("always_invoice", "create_prorations", "none"))
            .withExpand();
    private static final ParamSchema CANCEL = hash("invoice_now", bool(), "prorate", bool(),
            "cancellation_details", hash("comment", string().orEmpty(), "feedback", string())).withExpand();
    private static final ParamSchema LIST = hash("collection_method", oneOf("charge_automatically", "send_invoice"),
            "created", range(), "current_period_end", range(), "current_period_start", range(),
            "customer", string(), "ending_before", string(), "limit", integer(), "price", string(),
            "starting_after", string(), "status", oneOf("active", "all", "canceled", "ended", "incomplete",
                    "incomplete_expired", "past_due", "paused", "trialing", "unpaid"),
            "test_clock", string()).withExpand();
    private static final ParamSchema NONE = hash().withExpand();
    private static final Set<String> EXPANDABLE = Set.of("customer", "latest_invoice", "test_clock",
            "default_payment_method", "items.data.price.product");

    private final Customers customers;
    private final Prices prices;
    private final BillingMeters meters;
    private final MeterEvents meterEvents;
    private final Invoices invoices;
    private final TestClocks clocks;
    private final Events events;
    private final Map<String, Map<String, Object>> subscriptions = new LinkedHashMap<>();

    Subscriptions(Customers customers, Prices prices, BillingMeters meters, MeterEvents meterEvents,
                  Invoices invoices, TestClocks clocks, Events events) {
        this.customers = customers;
        this.prices = prices;
        this.meters = meters;
        this.meterEvents = meterEvents;
        this.invoices = invoices;
        this.clocks = clocks;
        this.events = events;
        invoices.collection(this);
        clocks.follow(this);
    }

    @Override
    public void routes(Router router) {
        router.post("/v1/subscriptions", this::create);
        router.get("/v1/subscriptions", this::list);
        router.get("/v1/subscriptions/{subscription}", call -> {
            NONE.check(call.params());
            return rendered(subscription(call.pathParam("subscription")), Expand.of(call.params(), EXPANDABLE));
        });
        router.post("/v1/subscriptions/{subscription}", this::update);
        router.delete("/v1/subscriptions/{subscription}", this::cancel);
    }

    /** Subscriptions of customers without a test clock live at the emulator's time. */
    @Override
    public void expire(Instant now) {
        advanced(null, Long.MIN_VALUE, now.getEpochSecond());
    }

    /** Runs period ends, invoice finalisation and payments due on {@code clockId} (null: none), in time order. */
    @Override
    public void advanced(String clockId, long from, long to) {
        while (true) {
            Map<String, Object> next = null;
            long nextEnd = Long.MAX_VALUE;
            for (Map<String, Object> s : subscriptions.values()) {
                if (!Objects.equals(clockId, s.get("test_clock")) || !billing(s)) {
                    continue;
                }
                long end = periodEnd(s);
                if (end <= to && end < nextEnd) {
                    next = s;
                    nextEnd = end;
                }
            }
            // what invoices must do before this period end happens first
            invoices.advance(clockId, next == null ? to : nextEnd - 1);
            if (next == null) {
                return;
            }
            roll(next, nextEnd);
        }
    }

    private static boolean billing(Map<String, Object> s) {
        return Set.of("active", "past_due", "incomplete").contains((String) s.get("status"));
    }

    Map<String, Object> subscription(String id) {
        Map<String, Object> s = subscriptions.get(id);
        if (s == null) {
            throw StripeApiException.noSuch("subscription", id);
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> items(Map<String, Object> s) {
        return (List<Map<String, Object>>) ((Map<String, Object>) s.get("items")).get("data");
    }

    private static long periodEnd(Map<String, Object> s) {
        return (Long) items(s).get(0).get("current_period_end");
    }

    /** The end of period {@code n} (0 = the first) counted from the anchor, calendar-aware for months and years. */
    @SuppressWarnings("unchecked")
    private static long periodBoundary(long anchor, Map<String, Object> recurring, long n) {
        long count = (Long) recurring.get("interval_count") * n;
        ZonedDateTime a = Instant.ofEpochSecond(anchor).atZone(ZoneOffset.UTC);
        ZonedDateTime end = switch ((String) recurring.get("interval")) {
            case "day" -> a.plusDays(count);
            case "week" -> a.plusWeeks(count);
            case "month" -> a.plusMonths(count);
            default -> a.plusYears(count);
        };
        return end.toEpochSecond();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> create(ApiCall call) {
        Map<String, Object> params = call.params();
        CREATE.check(params);
        Set<String> expand = Expand.of(params, EXPANDABLE);
        String customer = optString(params, "customer");
        if (!customers.exists(customer)) {
            throw StripeApiException.invalid("resource_missing", "customer", "No such customer: '" + customer + "'");
        }
        Map<String, Object> rawItems = optMap(params, "items");
        if (rawItems.isEmpty()) {
            throw StripeApiException.missingParam("items");
        }
        long now = customers.now(customer, call.nowSeconds());
        String id = Wire.newId("sub_", 24);
        String currency = null;
        Map<String, Object> recurring = null;
        List<Map<String, Object>> items = new ArrayList<>();
        int n = 0;
        for (Object raw : rawItems.values()) {
            Map<String, Object> item = (Map<String, Object>) raw;
            String at = "items[" + n++ + "]";
            Map<String, Object> price = prices.price((String) item.get("price"));
            Map<String, Object> r = (Map<String, Object>) price.get("recurring");
            if (r == null) {
                throw StripeApiException.invalid(null, at + "[price]", "The price specified is set to `type=one_time`"
                        + " but this field only accepts prices with `type=recurring`.");
            }
            if (!Boolean.TRUE.equals(price.get("active"))) {
                throw StripeApiException.invalid(null, at + "[price]", "The price specified is inactive.");
            }
            if (currency != null && !currency.equals(price.get("currency"))) {
                throw StripeApiException.invalid(null, at + "[price]",
                        "All prices on a subscription must have the same currency.");
            }
            if (recurring != null && (!recurring.get("interval").equals(r.get("interval"))
                    || !recurring.get("interval_count").equals(r.get("interval_count")))) {
                throw StripeApiException.invalid(null, at + "[price]",
                        "All prices on a subscription must have the same recurring interval and interval_count.");
            }
            boolean metered = "metered".equals(r.get("usage_type"));
            if (metered && item.containsKey("quantity")) {
                throw StripeApiException.invalid(null, at + "[quantity]",
                        "You cannot set the quantity for metered plans.");
            }
            currency = (String) price.get("currency");
            recurring = r;
            Map<String, Object> si = new LinkedHashMap<>();
            si.put("id", Wire.newId("si_", 14));
            si.put("object", "subscription_item");
            si.put("billing_thresholds", null);
            si.put("created", now);
            si.put("current_period_end", null);
            si.put("current_period_start", null);
            si.put("discounts", List.of());
            Map<String, String> metadata = new LinkedHashMap<>();
            Metadata.merge(metadata, optMap(item, "metadata"));
            si.put("metadata", metadata);
            si.put("price", price);
            if (!metered) {
                long quantity = item.containsKey("quantity") ? Long.parseLong((String) item.get("quantity")) : 1;
                if (quantity < 0) {
                    throw StripeApiException.invalid(null, at + "[quantity]", "Invalid quantity: must be >= 0.");
                }
                si.put("quantity", quantity);
            }
            si.put("subscription", id);
            si.put("tax_rates", List.of());
            items.add(si);
        }
        Long anchorParam = optLong(params, "billing_cycle_anchor");
        long anchor = anchorParam == null ? now : anchorParam;
        if (anchor < now || anchor > periodBoundary(now, recurring, 1)) {
            throw StripeApiException.invalid(null, "billing_cycle_anchor",
                    "billing_cycle_anchor must be between now and the end of the first full period.");
        }
        long firstEnd = anchor == now ? periodBoundary(anchor, recurring, 1) : anchor;
        for (Map<String, Object> si : items) {
            si.put("current_period_start", now);
            si.put("current_period_end", firstEnd);
        }
        customers.settleCurrency(customer, currency);
        String method = params.containsKey("collection_method") ? optString(params, "collection_method")
                : "charge_automatically";
        Long days = optLong(params, "days_until_due");
        if ("send_invoice".equals(method) && days == null) {
            throw StripeApiException.invalid(null, "days_until_due",
                    "Missing required param: days_until_due (collection_method=send_invoice).");
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("id", id);
        s.put("object", "subscription");
        s.put("application", null);
        s.put("application_fee_percent", null);
        s.put("automatic_tax", ordered("disabled_reason", null, "enabled", false, "liability", null));
        s.put("billing_cycle_anchor", anchor);
        s.put("billing_cycle_anchor_config", null);
        s.put("billing_mode", ordered("type", "classic"));
        s.put("billing_schedules", List.of());
        s.put("billing_thresholds", null);
        s.put("cancel_at", null);
        s.put("cancel_at_period_end", "true".equals(optString(params, "cancel_at_period_end")));
        s.put("canceled_at", null);
        s.put("cancellation_details", ordered("comment", null, "feedback", null, "reason", null));
        s.put("collection_method", method);
        s.put("created", now);
        s.put("currency", currency);
        s.put("customer", customer);
        s.put("customer_account", null);
        s.put("days_until_due", days);
        s.put("default_payment_method", optString(params, "default_payment_method"));
        s.put("default_source", null);
        s.put("default_tax_rates", List.of());
        s.put("description", optString(params, "description"));
        s.put("discounts", List.of());
        s.put("ended_at", null);
        s.put("invoice_settings", ordered("account_tax_ids", null, "custom_fields", null, "description", null,
                "footer", null, "issuer", ordered("type", "self")));
        s.put("items", ordered("object", "list", "data", items, "has_more", false,
                "url", "/v1/subscription_items?subscription=" + id));
        s.put("latest_invoice", null);
        s.put("livemode", false);
        Map<String, String> metadata = new LinkedHashMap<>();
        Metadata.merge(metadata, optMap(params, "metadata"));
        s.put("metadata", metadata);
        s.put("next_pending_invoice_item_invoice", null);
        s.put("on_behalf_of", null);
        s.put("pause_collection", null);
        s.put("payment_settings", ordered("payment_method_options", null, "payment_method_types", null,
                "save_default_payment_method", "off"));
        s.put("pending_invoice_item_interval", null);
        s.put("pending_setup_intent", null);
        s.put("pending_update", null);
        s.put("schedule", null);
        s.put("start_date", now);
        s.put("status", "incomplete");
        s.put("test_clock", customers.testClock(customer));
        s.put("transfer_data", null);
        s.put("trial_end", null);
        s.put("trial_settings", ordered("end_behavior", ordered("missing_payment_method", "create_invoice")));
        s.put("trial_start", null);
        subscriptions.put(id, s);
        events.emit("customer.subscription.created", s, now, null);
        // the first invoice: licensed items for the first period, in advance (metered usage is billed at its end)
        String first = invoices.create(customer, id, metadata, currency, method, days, "subscription_create",
                licensedLines(items, now, firstEnd), now, now, now, true);
        s.put("latest_invoice", first);
        if ("incomplete".equals(s.get("status")) && !"charge_automatically".equals(method)) {
            setStatus(s, "active", now);
        }
        return rendered(s, expand);
    }

    @SuppressWarnings("unchecked")
    private List<Invoices.Line> licensedLines(List<Map<String, Object>> items, long start, long end) {
        List<Invoices.Line> lines = new ArrayList<>();
        for (Map<String, Object> si : items) {
            Map<String, Object> price = (Map<String, Object>) si.get("price");
            if (!"metered".equals(((Map<String, Object>) price.get("recurring")).get("usage_type"))) {
                long quantity = (Long) si.get("quantity");
                lines.add(new Invoices.Line((String) si.get("id"), price, quantity, start, end,
                        quantity + " × " + productName(price)));
            }
        }
        return lines;
    }

    @SuppressWarnings("unchecked")
    private List<Invoices.Line> meteredLines(Map<String, Object> s, long start, long end) {
        List<Invoices.Line> lines = new ArrayList<>();
        for (Map<String, Object> si : items(s)) {
            Map<String, Object> price = (Map<String, Object>) si.get("price");
            Map<String, Object> r = (Map<String, Object>) price.get("recurring");
            if ("metered".equals(r.get("usage_type"))) {
                BillingMeters.Meter meter = meters.meter((String) r.get("meter"));
                long quantity = meterEvents.aggregate(meter, (String) s.get("customer"), start, end);
                lines.add(new Invoices.Line((String) si.get("id"), price, quantity, start, end,
                        quantity + " × " + productName(price) + " (usage)"));
            }
        }
        return lines;
    }

    private String productName(Map<String, Object> price) {
        return String.valueOf(prices.productName((String) price.get("product")));
    }

    /** The period ending at {@code end} is over: bill it and start the next one (or end, if canceling). */
    private void roll(Map<String, Object> s, long end) {
        Map<String, Object> first = items(s).get(0);
        long start = (Long) first.get("current_period_start");
        List<Invoices.Line> lines = new ArrayList<>(meteredLines(s, start, end));
        boolean ending = Boolean.TRUE.equals(s.get("cancel_at_period_end"));
        @SuppressWarnings("unchecked")
        Map<String, Object> recurring = (Map<String, Object>) ((Map<String, Object>) first.get("price"))
                .get("recurring");
        long anchor = (Long) s.get("billing_cycle_anchor");
        long k = 1;
        while (periodBoundary(anchor, recurring, k) <= end) {
            k++;
        }
        long nextEnd = periodBoundary(anchor, recurring, k);
        if (!ending) {
            lines.addAll(licensedLines(items(s), end, nextEnd));
        }
        Map<String, Object> previous = ordered("items", null);
        for (Map<String, Object> si : items(s)) {
            si.put("current_period_start", end);
            si.put("current_period_end", nextEnd);
        }
        @SuppressWarnings("unchecked")
        Map<String, String> metadata = (Map<String, String>) s.get("metadata");
        String invoice = invoices.create((String) s.get("customer"), (String) s.get("id"), metadata,
                (String) s.get("currency"), (String) s.get("collection_method"), (Long) s.get("days_until_due"),
                "subscription_cycle", lines, start, end, end, false);
        previous.put("latest_invoice", s.get("latest_invoice"));
        s.put("latest_invoice", invoice);
        if (ending) {
            s.put("status", "canceled");
            s.put("ended_at", end);
            s.put("canceled_at", end);
            events.emit("customer.subscription.deleted", s, end, null);
        } else {
            previous.remove("items");
            events.emit("customer.subscription.updated", s, end, previous);
        }
    }

    private void setStatus(Map<String, Object> s, String status, long at) {
        String before = (String) s.get("status");
        if (!before.equals(status)) {
            s.put("status", status);
            events.emit("customer.subscription.updated", s, at, ordered("status", before));
        }
    }

    @Override
    public void paid(String subscriptionId, long at) {
        Map<String, Object> s = subscriptions.get(subscriptionId);
        if (s != null && Set.of("past_due", "incomplete", "unpaid").contains((String) s.get("status"))) {
            setStatus(s, "active", at);
        }
    }

    @Override
    public void failed(String subscriptionId, long at) {
        Map<String, Object> s = subscriptions.get(subscriptionId);
        if (s != null && "active".equals(s.get("status"))) {
            setStatus(s, "past_due", at);
        }
    }

    private Map<String, Object> rendered(Map<String, Object> s, Set<String> expand) {
        if (expand.isEmpty()) {
            return s;
        }
        Map<String, Object> out = new LinkedHashMap<>(s);
        if (expand.contains("customer")) {
            out.put("customer", customers.render((String) s.get("customer")));
        }
        if (expand.contains("latest_invoice") && s.get("latest_invoice") != null) {
            out.put("latest_invoice", invoices.invoice((String) s.get("latest_invoice")));
        }
        if (expand.contains("test_clock") && s.get("test_clock") != null) {
            out.put("test_clock", clocks.render((String) s.get("test_clock")));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> update(ApiCall call) {
        Map<String, Object> params = call.params();
        UPDATE.check(params);
        Map<String, Object> s = subscription(call.pathParam("subscription"));
        long now = customers.now((String) s.get("customer"), call.nowSeconds());
        Map<String, Object> previous = new LinkedHashMap<>();
        if (params.containsKey("cancel_at_period_end")) {
            previous.put("cancel_at_period_end", s.get("cancel_at_period_end"));
            boolean cancel = "true".equals(optString(params, "cancel_at_period_end"));
            s.put("cancel_at_period_end", cancel);
            s.put("cancel_at", cancel ? periodEnd(s) : null);
        }
        for (String f : List.of("default_payment_method", "description")) {
            if (params.containsKey(f)) {
                previous.put(f, s.get(f));
                String v = optString(params, f);
                s.put(f, v.isEmpty() ? null : v);
            }
        }
        if (params.containsKey("days_until_due")) {
            previous.put("days_until_due", s.get("days_until_due"));
            s.put("days_until_due", optLong(params, "days_until_due"));
        }
        Map<String, Object> metadata = optMap(params, "metadata");
        if (metadata != null) {
            Map<String, String> current = (Map<String, String>) s.get("metadata");
            previous.put("metadata", new LinkedHashMap<>(current));
            if (metadata.isEmpty()) {
                current.clear();
            }
            Metadata.merge(current, metadata);
        }
        if (!previous.isEmpty()) {
            events.emit("customer.subscription.updated", s, now, previous);
        }
        return rendered(s, Expand.of(params, EXPANDABLE));
    }

    private Map<String, Object> cancel(ApiCall call) {
        CANCEL.check(call.params());
        Map<String, Object> s = subscription(call.pathParam("subscription"));
        if ("canceled".equals(s.get("status"))) {
            throw StripeApiException.invalid("resource_missing", null,
                    "No such subscription: '" + s.get("id") + "'");
        }
        if ("true".equals(optString(call.params(), "invoice_now"))) {
            throw StripeApiException.invalid("parameter_unsupported", "invoice_now",
                    "The Stripe emulator does not serve invoice_now on cancellation.");
        }
        long now = customers.now((String) s.get("customer"), call.nowSeconds());
        s.put("status", "canceled");
        s.put("canceled_at", now);
        s.put("ended_at", now);
        s.put("cancellation_details", ordered("comment", null, "feedback", null, "reason",
                "cancellation_requested"));
        events.emit("customer.subscription.deleted", s, now, null);
        return rendered(s, Expand.of(call.params(), EXPANDABLE));
    }

    private Map<String, Object> list(ApiCall call) {
        Map<String, Object> params = call.params();
        LIST.check(params);
        Set<String> expand = Expand.ofList(params, EXPANDABLE);
        String customer = optString(params, "customer");
        String status = optString(params, "status");
        String price = optString(params, "price");
        String clock = optString(params, "test_clock");
        Created created = Created.of(params);
        List<Map<String, Object>> all = new ArrayList<>();
        for (Map<String, Object> s : subscriptions.values()) {
            String st = (String) s.get("status");
            boolean statusMatches = status == null ? !st.equals("canceled") && !st.equals("incomplete_expired")
                    : status.equals("all") || status.equals(st)
                    || status.equals("ended") && (st.equals("canceled") || st.equals("incomplete_expired"));
            boolean priceMatches = price == null
                    || items(s).stream().anyMatch(si -> price.equals(((Map<?, ?>) si.get("price")).get("id")));
            if (statusMatches && priceMatches && (customer == null || customer.equals(s.get("customer")))
                    && (clock == null || clock.equals(s.get("test_clock")))
                    && created.contains((Long) s.get("created"))) {
                all.add(rendered(s, expand));
            }
        }
        Collections.reverse(all);
        return ListPage.of("/v1/subscriptions", all, params);
    }
}
