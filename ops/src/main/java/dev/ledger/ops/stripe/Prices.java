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

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Prices ({@code /v1/prices}): create (one-time or recurring; a metered price is backed by an active billing meter,
 * {@code recurring[usage_type]=metered} with {@code recurring[meter]}), retrieve, update, list. Per-unit prices only:
 * tiers, currency options and custom unit amounts are Stripe parameters this emulator refuses by name.
 */
final class Prices implements StripeResource {
    private static final Pattern CURRENCY = Pattern.compile("[a-z]{3}");
    private static final Set<String> NOT_SERVED = Set.of("currency_options", "custom_unit_amount", "tiers");
    private static final ParamSchema RECURRING = hash("interval!", oneOf("day", "month", "week", "year"),
            "interval_count", integer(), "meter", string(), "trial_period_days", integer(),
            "usage_type", oneOf("licensed", "metered"));
    private static final ParamSchema CREATE = hash(
            "active", bool(), "billing_scheme", oneOf("per_unit", "tiered"), "currency", string(),
            "currency_options", metadata(), "custom_unit_amount", metadata(), "lookup_key", string(200),
            "metadata", metadata(), "nickname", string(), "product", string(),
            "product_data", hash("name!", string(), "active", bool(), "id", string(), "metadata", metadata(),
                    "statement_descriptor", string(22), "tax_code", string(), "unit_label", string(12)),
            "recurring", RECURRING, "tax_behavior", oneOf("exclusive", "inclusive", "unspecified"),
            "tiers", metadata(), "tiers_mode", oneOf("graduated", "volume"), "transfer_lookup_key", bool(),
            "transform_quantity", hash("divide_by!", integer(), "round!", oneOf("down", "up")),
            "unit_amount", integer(), "unit_amount_decimal", string()).withExpand();
    private static final ParamSchema UPDATE = hash("active", bool(), "lookup_key", string(200),
            "metadata", metadata(), "nickname", string().orEmpty(),
            "tax_behavior", oneOf("exclusive", "inclusive", "unspecified"), "transfer_lookup_key", bool())
            .withExpand();
    private static final ParamSchema LIST = hash("active", bool(), "created", range(), "currency", string(),
            "ending_before", string(), "limit", integer(), "lookup_keys", array(string()), "product", string(),
            "recurring", hash("interval", oneOf("day", "month", "week", "year"), "meter", string(),
                    "usage_type", oneOf("licensed", "metered")),
            "starting_after", string(), "type", oneOf("one_time", "recurring")).withExpand();
    private static final ParamSchema NONE = hash().withExpand();
    private static final Set<String> EXPANDABLE = Set.of("product", "currency_options", "tiers");

    private final Products products;
    private final BillingMeters meters;
    private final Map<String, Map<String, Object>> prices = new LinkedHashMap<>();

    Prices(Products products, BillingMeters meters) {
        this.products = products;
        this.meters = meters;
    }

    @Override
    public void routes(Router router) {
        router.post("/v1/prices", this::create);
        router.get("/v1/prices", this::list);
        router.get("/v1/prices/{price}", call -> {
            NONE.check(call.params());
            return rendered(price(call.pathParam("price")), Expand.of(call.params(), EXPANDABLE));
        });
        router.post("/v1/prices/{price}", this::update);
    }

    /** The name of the price's product. */
    Object productName(String productId) {
        return products.product(productId).get("name");
    }

    Map<String, Object> price(String id) {
        Map<String, Object> p = prices.get(id);
        if (p == null) {
            throw StripeApiException.noSuch("price", id);
        }
        return p;
    }

    private Map<String, Object> rendered(Map<String, Object> p, Set<String> expand) {
        if (!expand.contains("product")) {
            return p;
        }
        Map<String, Object> out = new LinkedHashMap<>(p);
        out.put("product", products.product((String) p.get("product")));
        return out;
    }

    private Map<String, Object> create(ApiCall call) {
        Map<String, Object> params = call.params();
        CREATE.check(params);
        for (String p : params.keySet()) {
            if (NOT_SERVED.contains(p)) {
                throw StripeApiException.invalid("parameter_unsupported", p,
                        "The Stripe emulator does not serve " + p + " on prices.");
            }
        }
        Set<String> expand = Expand.of(params, EXPANDABLE);
        String currency = optString(params, "currency");
        if (currency == null || currency.isEmpty()) {
            throw StripeApiException.missingParam("currency");
        }
        if (!CURRENCY.matcher(currency).matches()) {
            throw StripeApiException.invalid(null, "currency", "Invalid currency: " + currency + ".");
        }
        if ("tiered".equals(optString(params, "billing_scheme"))) {
            throw StripeApiException.invalid("parameter_unsupported", "billing_scheme",
                    "The Stripe emulator serves per_unit prices only.");
        }
        String product = optString(params, "product");
        Map<String, Object> productData = optMap(params, "product_data");
        if (product != null && productData != null) {
            throw StripeApiException.invalid(null, "product_data",
                    "You may only specify one of these parameters: product, product_data.");
        }
        if (product == null && productData == null) {
            throw StripeApiException.missingParam("product");
        }
        if (product != null) {
            products.product(product);
        } else {
            product = products.createFrom(productData, call.nowSeconds());
        }
        Long unitAmount = optLong(params, "unit_amount");
        String decimal = optString(params, "unit_amount_decimal");
        if (unitAmount != null && decimal != null) {
            throw StripeApiException.invalid(null, "unit_amount_decimal",
                    "You may only specify one of these parameters: unit_amount, unit_amount_decimal.");
        }
        if (decimal != null) {
            BigDecimal d;
            try {
                d = new BigDecimal(decimal);
            } catch (NumberFormatException e) {
                throw StripeApiException.invalid("parameter_invalid_decimal", "unit_amount_decimal",
                        "Invalid decimal: " + decimal);
            }
            if (d.scale() > 0 && d.stripTrailingZeros().scale() > 0) {
                throw StripeApiException.invalid("parameter_unsupported", "unit_amount_decimal",
                        "The Stripe emulator serves whole-cent unit amounts only.");
            }
            unitAmount = d.longValueExact();
        }
        if (unitAmount == null) {
            throw StripeApiException.invalid(null, "unit_amount",
                    "Missing required param: unit_amount or unit_amount_decimal.");
        }
        if (unitAmount < 0) {
            throw StripeApiException.invalid(null, "unit_amount", "Invalid unit_amount: must be non-negative.");
        }
        Map<String, Object> recurring = optMap(params, "recurring");
        Map<String, Object> renderedRecurring = null;
        if (recurring != null) {
            String usage = recurring.containsKey("usage_type") ? (String) recurring.get("usage_type") : "licensed";
            String meter = (String) recurring.get("meter");
            if (usage.equals("metered") && meter == null) {
                throw StripeApiException.invalid(null, "recurring[meter]",
                        "Prices with `usage_type=metered` must be backed by a meter: pass recurring[meter].");
            }
            if (meter != null) {
                if (!usage.equals("metered")) {
                    throw StripeApiException.invalid(null, "recurring[meter]",
                            "recurring[meter] can only be set on prices with recurring[usage_type]=metered.");
                }
                meters.meter(meter);
            }
            long count = recurring.containsKey("interval_count")
                    ? Long.parseLong((String) recurring.get("interval_count")) : 1;
            if (count < 1) {
                throw StripeApiException.invalid(null, "recurring[interval_count]",
                        "Invalid recurring[interval_count]: must be at least 1.");
            }
            // dahlia's price.recurring has no trial_period_days (trials live on subscriptions)
            renderedRecurring = ordered("interval", recurring.get("interval"), "interval_count", count,
                    "meter", meter, "usage_type", usage);
        }
        Map<String, Object> transform = optMap(params, "transform_quantity");
        Map<String, Object> p = new LinkedHashMap<>();
        String id = Wire.newId("price_", 24);
        p.put("id", id);
        p.put("object", "price");
        p.put("active", !"false".equals(optString(params, "active")));
        p.put("billing_scheme", "per_unit");
        p.put("created", call.nowSeconds());
        p.put("currency", currency);
        p.put("custom_unit_amount", null);
        p.put("livemode", false);
        p.put("lookup_key", optString(params, "lookup_key"));
        p.put("metadata", new LinkedHashMap<String, String>());
        p.put("nickname", optString(params, "nickname"));
        p.put("product", product);
        p.put("recurring", renderedRecurring);
        p.put("tax_behavior", params.containsKey("tax_behavior") ? optString(params, "tax_behavior") : "unspecified");
        p.put("tiers_mode", null);
        p.put("transform_quantity", transform == null ? null : ordered(
                "divide_by", Long.parseLong((String) transform.get("divide_by")), "round", transform.get("round")));
        p.put("type", renderedRecurring == null ? "one_time" : "recurring");
        p.put("unit_amount", unitAmount);
        p.put("unit_amount_decimal", Long.toString(unitAmount));
        applyMetadata(p, params);
        prices.put(id, p);
        return rendered(p, expand);
    }

    @SuppressWarnings("unchecked")
    private static void applyMetadata(Map<String, Object> p, Map<String, Object> params) {
        Map<String, Object> metadata = optMap(params, "metadata");
        if (metadata != null) {
            Map<String, String> current = (Map<String, String>) p.get("metadata");
            if (metadata.isEmpty()) {
                current.clear();
            }
            Metadata.merge(current, metadata);
        }
    }

    private Map<String, Object> update(ApiCall call) {
        Map<String, Object> params = call.params();
        UPDATE.check(params);
        Map<String, Object> p = price(call.pathParam("price"));
        if (params.containsKey("active")) {
            p.put("active", "true".equals(optString(params, "active")));
        }
        for (String f : List.of("lookup_key", "nickname", "tax_behavior")) {
            if (params.containsKey(f)) {
                String v = optString(params, f);
                p.put(f, v.isEmpty() ? null : v);
            }
        }
        applyMetadata(p, params);
        return rendered(p, Expand.of(params, EXPANDABLE));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> list(ApiCall call) {
        Map<String, Object> params = call.params();
        LIST.check(params);
        Set<String> expand = Expand.ofList(params, EXPANDABLE);
        String active = optString(params, "active");
        String currency = optString(params, "currency");
        String product = optString(params, "product");
        String type = optString(params, "type");
        Map<String, Object> recurring = optMap(params, "recurring");
        Map<String, Object> lookupKeys = optMap(params, "lookup_keys");
        Created created = Created.of(params);
        List<Map<String, Object>> all = new ArrayList<>();
        for (Map<String, Object> p : prices.values()) {
            Map<String, Object> r = (Map<String, Object>) p.get("recurring");
            boolean matches = (active == null || Boolean.parseBoolean(active) == (Boolean) p.get("active"))
                    && (currency == null || currency.equals(p.get("currency")))
                    && (product == null || product.equals(p.get("product")))
                    && (type == null || type.equals(p.get("type")))
                    && (lookupKeys == null || lookupKeys.containsValue(p.get("lookup_key")))
                    && created.contains((Long) p.get("created"));
            if (matches && recurring != null) {
                for (Map.Entry<String, Object> e : recurring.entrySet()) {
                    matches &= r != null && e.getValue().equals(r.get(e.getKey()));
                }
            }
            if (matches) {
                all.add(rendered(p, expand));
            }
        }
        Collections.reverse(all);
        return ListPage.of("/v1/prices", all, params);
    }
}
