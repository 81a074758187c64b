package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.optMap;
import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.Wire.ordered;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Customers ({@code /v1/customers}): create, retrieve (a deleted one answers its stub), update, delete, list. */
final class Customers implements StripeResource {
    private final Map<String, Map<String, Object>> customers = new LinkedHashMap<>();
    private final Set<String> deleted = new HashSet<>();

    @Override
    public void routes(Router router) {
        router.post("/v1/customers", this::create);
        router.get("/v1/customers", this::list);
        router.get("/v1/customers/{customer}", call -> retrieve(call.pathParam("customer")));
        router.post("/v1/customers/{customer}", call -> update(call.pathParam("customer"), call.params()));
        router.delete("/v1/customers/{customer}", call -> delete(call.pathParam("customer")));
    }

    /** Whether {@code id} is a live (not deleted) customer, as meter events require. */
    boolean exists(String id) {
        return customers.containsKey(id);
    }

    private Map<String, Object> create(ApiCall call) {
        Map<String, Object> params = call.params();
        Map<String, Object> c = new LinkedHashMap<>();
        String id = Wire.newId("cus_", 14);
        c.put("id", id);
        c.put("object", "customer");
        c.put("address", null);
        c.put("balance", 0L);
        c.put("created", call.nowSeconds());
        c.put("currency", null);
        c.put("default_source", null);
        c.put("delinquent", false);
        c.put("description", optString(params, "description"));
        c.put("discount", null);
        c.put("email", optString(params, "email"));
        c.put("invoice_prefix", Wire.newId("", 8).toUpperCase());
        Map<String, Object> invoiceSettings = new LinkedHashMap<>();
        invoiceSettings.put("custom_fields", null);
        invoiceSettings.put("default_payment_method", null);
        invoiceSettings.put("footer", null);
        invoiceSettings.put("rendering_options", null);
        c.put("invoice_settings", invoiceSettings);
        c.put("livemode", false);
        Map<String, String> metadata = new LinkedHashMap<>();
        Metadata.merge(metadata, optMap(params, "metadata"));
        c.put("metadata", metadata);
        c.put("name", optString(params, "name"));
        c.put("next_invoice_sequence", 1L);
        c.put("phone", optString(params, "phone"));
        c.put("preferred_locales", List.of());
        c.put("shipping", null);
        c.put("tax_exempt", "none");
        c.put("test_clock", null);
        customers.put(id, c);
        return c;
    }

    private Map<String, Object> customer(String id) {
        Map<String, Object> c = customers.get(id);
        if (c == null) {
            throw StripeApiException.noSuch("customer", id);
        }
        return c;
    }

    private Map<String, Object> retrieve(String id) {
        if (deleted.contains(id)) {
            return deletedStub(id);
        }
        return customer(id);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> update(String id, Map<String, Object> params) {
        Map<String, Object> c = customer(id);
        for (String field : List.of("email", "name", "description", "phone")) {
            if (params.containsKey(field)) {
                String v = optString(params, field);
                c.put(field, v == null || v.isEmpty() ? null : v);
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
        return c;
    }

    private Map<String, Object> delete(String id) {
        customer(id);
        customers.remove(id);
        deleted.add(id);
        return deletedStub(id);
    }

    private static Map<String, Object> deletedStub(String id) {
        return ordered("id", id, "object", "customer", "deleted", true);
    }

    private Map<String, Object> list(ApiCall call) {
        String email = optString(call.params(), "email");
        List<Map<String, Object>> all = new ArrayList<>();
        for (Map<String, Object> c : customers.values()) {
            if (email == null || email.equals(c.get("email"))) {
                all.add(c);
            }
        }
        Collections.reverse(all); // newest first, like Stripe
        return ListPage.of("/v1/customers", all, call.params());
    }
}
