package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.optLong;
import static dev.ledger.ops.stripe.FormParams.optMap;
import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.ParamSchema.array;
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
import java.util.regex.Pattern;

/**
 * Customers ({@code /v1/customers}): create, retrieve (a deleted one answers its stub), update, delete, list with
 * {@code created}, {@code email} and {@code test_clock} filters. Parameters are those of Stripe's spec for these
 * operations; the ones the emulator keeps are the ones invoices read (address, balance, currency, invoice prefix and
 * settings, tax exemption and IP address, preferred locales, test clock). Payment sources, cash balance and tax IDs
 * are Stripe parameters this emulator does not serve: they are refused by name rather than dropped.
 */
final class Customers implements StripeResource {
    private static final ParamSchema ADDRESS = hash("city", string(), "country", string(), "line1", string(),
            "line2", string(), "postal_code", string(), "state", string());
    private static final ParamSchema INVOICE_SETTINGS = hash(
            "custom_fields", array(hash("name!", string(40), "value!", string(140))).orEmpty(),
            "default_payment_method", string(),
            "footer", string(),
            "rendering_options", hash("amount_tax_display", oneOf("", "exclude_tax", "include_inclusive_tax"),
                    "template", string()).orEmpty());
    private static final Object[] COMMON = {
            "address", ADDRESS.orEmpty(),
            "balance", integer(),
            "business_name", string(150).orEmpty(),
            "description", string(),
            "email", string(512),
            "individual_name", string(150).orEmpty(),
            "invoice_prefix", string(),
            "invoice_settings", INVOICE_SETTINGS,
            "metadata", metadata(),
            "name", string(256),
            "next_invoice_sequence", integer(),
            "phone", string(20),
            "preferred_locales", array(string()),
            "tax_exempt", oneOf("", "exempt", "none", "reverse"),
    };
    /** In Stripe's spec for these operations, but not served here (payment sources, cash balance, tax IDs, shipping). */
    private static final Set<String> NOT_SERVED = Set.of("bank_account", "card", "cash_balance",
            "default_alipay_account", "default_bank_account", "default_card", "default_source", "payment_method",
            "shipping", "source", "tax_id_data");
    private static final ParamSchema CREATE = hash(concat(COMMON, "tax",
            hash("ip_address", string().orEmpty(), "validate_location", oneOf("deferred", "immediately")),
            "test_clock", string())).withExpand();
    private static final ParamSchema UPDATE = hash(concat(COMMON, "tax",
            hash("ip_address", string().orEmpty(), "validate_location", oneOf("auto", "deferred", "immediately"))))
            .withExpand();
    private static final ParamSchema LIST = hash("created", range(), "email", string(512), "ending_before", string(),
            "limit", integer(), "starting_after", string(), "test_clock", string()).withExpand();
    private static final ParamSchema RETRIEVE = hash().withExpand();
    private static final ParamSchema DELETE = hash();
    private static final Set<String> EXPANDABLE = Set.of("address", "cash_balance", "default_source", "discount",
            "invoice_settings", "invoice_settings.default_payment_method", "shipping", "sources", "subscriptions",
            "tax", "tax_ids", "test_clock");
    private static final Pattern INVOICE_PREFIX = Pattern.compile("[A-Z0-9]{3,12}");

    private final TestClocks clocks;
    private final Map<String, Map<String, Object>> customers = new LinkedHashMap<>();
    /** The customer's tax IP address: rendered only in {@code tax}, which Stripe includes only when expanded. */
    private final Map<String, String> taxIps = new LinkedHashMap<>();
    private final Set<String> deleted = new HashSet<>();

    Customers(TestClocks clocks) {
        this.clocks = clocks;
    }

    @Override
    public void routes(Router router) {
        router.post("/v1/customers", this::create);
        router.get("/v1/customers", this::list);
        router.get("/v1/customers/{customer}", this::retrieve);
        router.post("/v1/customers/{customer}", this::update);
        router.delete("/v1/customers/{customer}", this::delete);
    }

    /** Whether {@code id} is a live (not deleted) customer, as meter events require. */
    boolean exists(String id) {
        return customers.containsKey(id);
    }

    /** The customer's test clock, or null. */
    String testClock(String id) {
        return (String) customer(id).get("test_clock");
    }

    /** The customer's time: its test clock's frozen time, or the call's. */
    long now(String id, long callNow) {
        String clock = testClock(id);
        return clock == null ? callNow : clocks.frozenTime(clock);
    }

    /** The customer's {@code invoice_settings.default_payment_method}, or null. */
    @SuppressWarnings("unchecked")
    String defaultPaymentMethod(String id) {
        return (String) ((Map<String, Object>) customer(id).get("invoice_settings")).get("default_payment_method");
    }

    /** The customer's currency, or null until something has been billed in one. */
    String currency(String id) {
        return (String) customer(id).get("currency");
    }

    /** Sets the customer's currency, as Stripe does with its first subscription or invoice. */
    void settleCurrency(String id, String currency) {
        Map<String, Object> c = customer(id);
        if (c.get("currency") == null) {
            c.put("currency", currency);
        } else if (!c.get("currency").equals(currency)) {
            throw StripeApiException.invalid(null, "currency", "You cannot combine currencies on a single customer. "
                    + "This customer has an active subscription, subscription schedule, discount, quote, or invoice "
                    + "item with currency " + c.get("currency") + ".");
        }
    }

    /** Takes the next invoice number's suffix, as an invoice is finalized. */
    String nextInvoiceNumber(String id) {
        Map<String, Object> c = customer(id);
        long next = (Long) c.get("next_invoice_sequence");
        c.put("next_invoice_sequence", next + 1);
        return c.get("invoice_prefix") + "-" + String.format("%04d", next);
    }

    /** The customer as the answer of another resource's {@code expand[]=customer}. */
    Map<String, Object> render(String id) {
        return deleted.contains(id) ? deletedStub(id) : customer(id);
    }

    private static Object[] concat(Object[] a, Object... b) {
        Object[] out = new Object[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void refuseNotServed(Map<String, Object> params) {
        for (String p : params.keySet()) {
            if (NOT_SERVED.contains(p)) {
                throw StripeApiException.invalid("parameter_unsupported", p,
                        "The Stripe emulator does not serve " + p + " on customers.");
            }
        }
    }

    private Map<String, Object> create(ApiCall call) {
        Map<String, Object> params = call.params();
        refuseNotServed(params);
        CREATE.check(params);
        Set<String> expand = Expand.of(params, EXPANDABLE);
        String clock = optString(params, "test_clock");
        if (clock != null && !clocks.exists(clock)) {
            throw StripeApiException.invalid("resource_missing", "test_clock",
                    "No such test_helpers.test_clock: '" + clock + "'");
        }
        Map<String, Object> c = new LinkedHashMap<>();
        String id = Wire.newId("cus_", 14);
        c.put("id", id);
        c.put("object", "customer");
        c.put("address", null);
        c.put("balance", 0L);
        c.put("created", clock == null ? call.nowSeconds() : clocks.frozenTime(clock));
        c.put("currency", null);
        c.put("default_source", null);
        c.put("delinquent", false);
        c.put("description", null);
        c.put("discount", null);
        c.put("email", null);
        c.put("invoice_prefix", Wire.newId("", 8).toUpperCase());
        c.put("invoice_settings", ordered("custom_fields", null, "default_payment_method", null, "footer", null,
                "rendering_options", null));
        c.put("livemode", false);
        c.put("metadata", new LinkedHashMap<String, String>());
        c.put("name", null);
        c.put("next_invoice_sequence", 1L);
        c.put("phone", null);
        c.put("preferred_locales", List.of());
        c.put("shipping", null);
        c.put("tax_exempt", "none");
        c.put("test_clock", clock);
        apply(c, params);
        customers.put(id, c);
        return rendered(c, expand);
    }

    @SuppressWarnings("unchecked")
    private void apply(Map<String, Object> c, Map<String, Object> params) {
        for (String field : List.of("description", "email", "name", "phone")) {
            if (params.containsKey(field)) {
                String v = optString(params, field);
                c.put(field, v.isEmpty() ? null : v);
            }
        }
        for (String field : List.of("business_name", "individual_name")) {
            if (params.containsKey(field)) {
                String v = optString(params, field);
                if (v.isEmpty()) {
                    c.remove(field);
                } else {
                    c.put(field, v);
                }
            }
        }
        if (params.containsKey("address")) {
            Map<String, Object> a = optMap(params, "address");
            c.put("address", a.isEmpty() ? null : address(a));
        }
        if (params.containsKey("balance")) {
            c.put("balance", optLong(params, "balance"));
        }
        if (params.containsKey("next_invoice_sequence")) {
            long next = optLong(params, "next_invoice_sequence");
            if (next < 1) {
                throw StripeApiException.invalid(null, "next_invoice_sequence",
                        "Invalid next_invoice_sequence: must be at least 1.");
            }
            c.put("next_invoice_sequence", next);
        }
        if (params.containsKey("invoice_prefix")) {
            String prefix = optString(params, "invoice_prefix");
            if (!INVOICE_PREFIX.matcher(prefix).matches()) {
                throw StripeApiException.invalid(null, "invoice_prefix",
                        "Invalid invoice_prefix: must be 3–12 uppercase letters or numbers.");
            }
            c.put("invoice_prefix", prefix);
        }
        if (params.containsKey("tax_exempt")) {
            String v = optString(params, "tax_exempt");
            c.put("tax_exempt", v.isEmpty() ? "none" : v);
        }
        if (params.containsKey("preferred_locales")) {
            c.put("preferred_locales", new ArrayList<>(((Map<String, Object>) params.get("preferred_locales"))
                    .values()));
        }
        Map<String, Object> settings = optMap(params, "invoice_settings");
        if (settings != null) {
            Map<String, Object> current = (Map<String, Object>) c.get("invoice_settings");
            if (settings.containsKey("custom_fields")) {
                Object fields = settings.get("custom_fields");
                List<Map<String, Object>> out = new ArrayList<>();
                if (fields instanceof Map<?, ?> m) {
                    for (Object f : m.values()) {
                        Map<String, Object> field = (Map<String, Object>) f;
                        out.add(ordered("name", field.get("name"), "value", field.get("value")));
                    }
                }
                if (out.size() > 4) {
                    throw StripeApiException.invalid(null, "invoice_settings[custom_fields]",
                            "You can specify up to 4 custom fields.");
                }
                current.put("custom_fields", out.isEmpty() ? null : out);
            }
            for (String f : List.of("default_payment_method", "footer")) {
                if (settings.containsKey(f)) {
                    String v = (String) settings.get(f);
                    current.put(f, v.isEmpty() ? null : v);
                }
            }
            if (settings.containsKey("rendering_options")) {
                Object r = settings.get("rendering_options");
                if (r instanceof Map<?, ?> m) {
                    Object display = m.get("amount_tax_display");
                    current.put("rendering_options", ordered(
                            "amount_tax_display", display == null || "".equals(display) ? null : display,
                            "template", m.get("template")));
                } else {
                    current.put("rendering_options", null);
                }
            }
        }
        Map<String, Object> tax = optMap(params, "tax");
        if (tax != null && tax.containsKey("ip_address")) {
            String ip = (String) tax.get("ip_address");
            if (ip.isEmpty()) {
                taxIps.remove((String) c.get("id"));
            } else {
                taxIps.put((String) c.get("id"), ip);
            }
        }
        Map<String, Object> metadata = optMap(params, "metadata");
        if (metadata != null) {
            Map<String, String> current = (Map<String, String>) c.get("metadata");
            if (metadata.isEmpty()) {
                current.clear();
            }
            Metadata.merge(current, metadata);
        }
    }

    private static Map<String, Object> address(Map<String, Object> a) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String f : List.of("city", "country", "line1", "line2", "postal_code", "state")) {
            Object v = a.get(f);
            out.put(f, v == null || "".equals(v) ? null : v);
        }
        return out;
    }

    /** The customer with what {@code expand} asks for put in place (and {@code tax}, which only expand includes). */
    @SuppressWarnings("unchecked")
    private Map<String, Object> rendered(Map<String, Object> c, Set<String> expand) {
        if (expand.isEmpty()) {
            return c;
        }
        Map<String, Object> out = new LinkedHashMap<>(c);
        String id = (String) c.get("id");
        if (expand.contains("test_clock") && c.get("test_clock") != null) {
            out.put("test_clock", clocks.render((String) c.get("test_clock")));
        }
        if (expand.contains("tax")) {
            Map<String, Object> address = (Map<String, Object>) c.get("address");
            boolean located = address != null && address.get("country") != null;
            out.put("tax", ordered("automatic_tax", located ? "not_collecting" : "unrecognized_location",
                    "ip_address", taxIps.get(id), "location", null, "provider", "stripe"));
        }
        if (expand.contains("cash_balance")) {
            out.put("cash_balance", null);
        }
        for (String list : List.of("sources", "subscriptions", "tax_ids")) {
            if (expand.contains(list)) {
                out.put(list, ordered("object", "list", "data", List.of(), "has_more", false,
                        "url", "/v1/customers/" + id + "/" + list));
            }
        }
        return out;
    }

    private Map<String, Object> customer(String id) {
        Map<String, Object> c = customers.get(id);
        if (c == null) {
            throw StripeApiException.noSuch("customer", id);
        }
        return c;
    }

    private Map<String, Object> retrieve(ApiCall call) {
        RETRIEVE.check(call.params());
        Set<String> expand = Expand.of(call.params(), EXPANDABLE);
        String id = call.pathParam("customer");
        if (deleted.contains(id)) {
            return deletedStub(id);
        }
        return rendered(customer(id), expand);
    }

    private Map<String, Object> update(ApiCall call) {
        Map<String, Object> params = call.params();
        refuseNotServed(params);
        Map<String, Object> c = customer(call.pathParam("customer"));
        UPDATE.check(params);
        Set<String> expand = Expand.of(params, EXPANDABLE);
        apply(c, params);
        return rendered(c, expand);
    }

    private Map<String, Object> delete(ApiCall call) {
        DELETE.check(call.params());
        String id = call.pathParam("customer");
        customer(id);
        customers.remove(id);
        taxIps.remove(id);
        deleted.add(id);
        return deletedStub(id);
    }

    private static Map<String, Object> deletedStub(String id) {
        return ordered("id", id, "object", "customer", "deleted", true);
    }

    private Map<String, Object> list(ApiCall call) {
        Map<String, Object> params = call.params();
        LIST.check(params);
        Set<String> expand = Expand.ofList(params, EXPANDABLE);
        String email = optString(params, "email");
        String clock = optString(params, "test_clock");
        Created created = Created.of(params);
        List<Map<String, Object>> all = new ArrayList<>();
        for (Map<String, Object> c : customers.values()) {
            // Stripe lists customers on test clocks only when asked for that clock
            boolean clockMatches = clock == null ? c.get("test_clock") == null : clock.equals(c.get("test_clock"));
            if (clockMatches && (email == null || email.equals(c.get("email")))
                    && created.contains((Long) c.get("created"))) {
                all.add(rendered(c, expand));
            }
        }
        Collections.reverse(all); // newest first, like Stripe
        return ListPage.of("/v1/customers", all, params);
    }
}
