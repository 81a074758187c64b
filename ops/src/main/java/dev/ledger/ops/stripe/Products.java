package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.optMap;
import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.ParamSchema.bool;
import static dev.ledger.ops.stripe.ParamSchema.hash;
import static dev.ledger.ops.stripe.ParamSchema.integer;
import static dev.ledger.ops.stripe.ParamSchema.metadata;
import static dev.ledger.ops.stripe.ParamSchema.range;
import static dev.ledger.ops.stripe.ParamSchema.string;
import static dev.ledger.ops.stripe.Wire.ordered;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Products ({@code /v1/products}): create, retrieve, update, list ({@code active}, {@code created}), delete. */
final class Products implements StripeResource {
    private static final Object[] COMMON = {"active", bool(), "description", string(40000).orEmpty(),
            "metadata", metadata(), "name", string(5000), "statement_descriptor", string(22).orEmpty(),
            "tax_code", string().orEmpty(), "unit_label", string(12).orEmpty(), "url", string().orEmpty()};
    private static final ParamSchema CREATE = hash(withId(COMMON)).withExpand();
    private static final ParamSchema UPDATE = hash(COMMON).withExpand();
    private static final ParamSchema LIST = hash("active", bool(), "created", range(), "limit", integer(),
            "starting_after", string(), "ending_before", string()).withExpand();
    private static final ParamSchema NONE = hash().withExpand();

    private final Map<String, Map<String, Object>> products = new LinkedHashMap<>();

    @Override
    public void routes(Router router) {
        router.post("/v1/products", this::create);
        router.get("/v1/products", this::list);
        router.get("/v1/products/{id}", call -> {
            NONE.check(call.params());
            return product(call.pathParam("id"));
        });
        router.post("/v1/products/{id}", this::update);
        router.delete("/v1/products/{id}", this::delete);
    }

    private static Object[] withId(Object[] common) {
        Object[] out = new Object[common.length + 2];
        System.arraycopy(common, 0, out, 0, common.length);
        out[common.length] = "id";
        out[common.length + 1] = string();
        return out;
    }

    boolean exists(String id) {
        return products.containsKey(id);
    }

    Map<String, Object> product(String id) {
        Map<String, Object> p = products.get(id);
        if (p == null) {
            throw StripeApiException.noSuch("product", id);
        }
        return p;
    }

    /** Creates a product from a price's {@code product_data}. */
    String createFrom(Map<String, Object> data, long now) {
        return store(data, now, null);
    }

    private Map<String, Object> create(ApiCall call) {
        CREATE.check(call.params());
        if (optString(call.params(), "name") == null) {
            throw StripeApiException.missingParam("name");
        }
        String id = optString(call.params(), "id");
        if (id != null && products.containsKey(id)) {
            throw StripeApiException.invalid("resource_already_exists", "id", "Product already exists.");
        }
        return product(store(call.params(), call.nowSeconds(), id));
    }

    private String store(Map<String, Object> params, long now, String id) {
        Map<String, Object> p = new LinkedHashMap<>();
        String productId = id != null ? id : Wire.newId("prod_", 14);
        p.put("id", productId);
        p.put("object", "product");
        p.put("active", !"false".equals(optString(params, "active")));
        p.put("created", now);
        p.put("default_price", null);
        p.put("description", null);
        p.put("images", List.of());
        p.put("livemode", false);
        p.put("marketing_features", List.of());
        p.put("metadata", new LinkedHashMap<String, String>());
        p.put("name", optString(params, "name"));
        p.put("package_dimensions", null);
        p.put("shippable", null);
        p.put("statement_descriptor", null);
        p.put("tax_code", null);
        p.put("unit_label", null);
        p.put("updated", now);
        p.put("url", null);
        apply(p, params, now);
        products.put(productId, p);
        return productId;
    }

    @SuppressWarnings("unchecked")
    private static void apply(Map<String, Object> p, Map<String, Object> params, long now) {
        for (String f : List.of("description", "statement_descriptor", "tax_code", "unit_label", "url", "name")) {
            if (params.containsKey(f)) {
                String v = optString(params, f);
                p.put(f, v.isEmpty() ? null : v);
            }
        }
        if (params.containsKey("active")) {
            p.put("active", "true".equals(optString(params, "active")));
        }
        Map<String, Object> metadata = optMap(params, "metadata");
        if (metadata != null) {
            Map<String, String> current = (Map<String, String>) p.get("metadata");
            if (metadata.isEmpty()) {
                current.clear();
            }
            Metadata.merge(current, metadata);
        }
        p.put("updated", now);
    }

    private Map<String, Object> update(ApiCall call) {
        UPDATE.check(call.params());
        Map<String, Object> p = product(call.pathParam("id"));
        if ("".equals(call.params().get("name"))) {
            throw StripeApiException.invalid(null, "name", "You cannot unset a product's name.");
        }
        apply(p, call.params(), call.nowSeconds());
        return p;
    }

    private Map<String, Object> delete(ApiCall call) {
        NONE.check(call.params());
        Map<String, Object> p = product(call.pathParam("id"));
        products.remove((String) p.get("id"));
        return ordered("id", p.get("id"), "object", "product", "deleted", true);
    }

    private Map<String, Object> list(ApiCall call) {
        LIST.check(call.params());
        String active = optString(call.params(), "active");
        Created created = Created.of(call.params());
        List<Map<String, Object>> all = new ArrayList<>();
        for (Map<String, Object> p : products.values()) {
            if ((active == null || Boolean.parseBoolean(active) == (Boolean) p.get("active"))
                    && created.contains((Long) p.get("created"))) {
                all.add(p);
            }
        }
        Collections.reverse(all);
        return ListPage.of("/v1/products", all, call.params());
    }
}
