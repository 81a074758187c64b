package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.allowOnly;
import static dev.ledger.ops.stripe.FormParams.optMap;
import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.FormParams.requireString;
import static dev.ledger.ops.stripe.Wire.ordered;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Billing meters ({@code /v1/billing/meters}): create, retrieve, update, deactivate, reactivate, list. At most one
 * active meter per {@code event_name}; {@link MeterEvents} find theirs through {@link #activeMeter}.
 */
final class BillingMeters implements StripeResource {
    private static final Set<String> CREATE_PARAMS = Set.of("display_name", "event_name", "default_aggregation",
            "customer_mapping", "value_settings", "event_time_window", "expand");
    private static final Set<String> LIST_PARAMS = Set.of("status", "limit", "starting_after", "ending_before",
            "expand");

    /** One meter; what meter events need of it is readable, the rest is its own. */
    static final class Meter {
        private String id;
        private String displayName;
        private String eventName;
        private String formula;
        private String customerKey;
        private String valueKey;
        private String eventTimeWindow;
        private String status;
        private long created;
        private long updated;
        private Long deactivatedAt;

        String id() {
            return id;
        }

        String eventName() {
            return eventName;
        }

        /** {@code sum}, {@code count} or {@code last}. */
        String formula() {
            return formula;
        }

        /** The payload key naming the customer. */
        String customerKey() {
            return customerKey;
        }

        /** The payload key holding the value. */
        String valueKey() {
            return valueKey;
        }

        private boolean active() {
            return status.equals("active");
        }

        private Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("object", "billing.meter");
            m.put("created", created);
            m.put("customer_mapping", ordered("event_payload_key", customerKey, "type", "by_id"));
            m.put("default_aggregation", ordered("formula", formula));
            m.put("display_name", displayName);
            m.put("event_name", eventName);
            m.put("event_time_window", eventTimeWindow);
            m.put("livemode", false);
            m.put("status", status);
            m.put("status_transitions", ordered("deactivated_at", deactivatedAt));
            m.put("updated", updated);
            m.put("value_settings", ordered("event_payload_key", valueKey));
            return m;
        }
    }

    private final Map<String, Meter> meters = new LinkedHashMap<>();

    @Override
    public void routes(Router router) {
        router.post("/v1/billing/meters", this::create);
        router.get("/v1/billing/meters", this::list);
        router.get("/v1/billing/meters/{meter}", call -> meter(call.pathParam("meter")).toJson());
        router.post("/v1/billing/meters/{meter}", this::update);
        router.post("/v1/billing/meters/{meter}/deactivate", this::deactivate);
        router.post("/v1/billing/meters/{meter}/reactivate", this::reactivate);
    }

    /** The meter, or a 404 naming it. */
    Meter meter(String id) {
        Meter m = meters.get(id);
        if (m == null) {
            throw StripeApiException.noSuch("billing.meter", id);
        }
        return m;
    }

    /** Whether a meter for {@code eventName} exists but is inactive (its events are {@code archived_meter}). */
    boolean onlyInactiveMeter(String eventName) {
        return activeMeter(eventName) == null
                && meters.values().stream().anyMatch(m -> m.eventName.equals(eventName));
    }

    /** The id of the newest meter for {@code eventName}, active or not, or null when none has that name. */
    String meterNamed(String eventName) {
        String id = null;
        for (Meter m : meters.values()) {
            if (m.eventName.equals(eventName)) {
                id = m.id;
            }
        }
        return id;
    }

    /** The active meter for {@code eventName}, or null. */
    Meter activeMeter(String eventName) {
        for (Meter m : meters.values()) {
            if (m.active() && m.eventName.equals(eventName)) {
                return m;
            }
        }
        return null;
    }

    private Map<String, Object> create(ApiCall call) {
        Map<String, Object> params = call.params();
        allowOnly(params, CREATE_PARAMS, null);
        String displayName = requireString(params, "display_name");
        String eventName = requireString(params, "event_name");
        if (eventName.length() > 100) {
            throw StripeApiException.invalid("invalid_string_length", "event_name",
                    "Invalid event_name: must be at most 100 characters.");
        }
        Map<String, Object> aggregation = optMap(params, "default_aggregation");
        if (aggregation == null) {
            throw StripeApiException.missingParam("default_aggregation");
        }
        allowOnly(aggregation, Set.of("formula"), "default_aggregation");
        String formula = requireString(aggregation, "formula", "default_aggregation[formula]");
        if (!Set.of("sum", "count", "last").contains(formula)) {
            throw StripeApiException.invalid(null, "default_aggregation[formula]",
                    "Invalid default_aggregation[formula]: must be one of count, last, or sum");
        }
        String customerKey = "stripe_customer_id";
        Map<String, Object> mapping = optMap(params, "customer_mapping");
        if (mapping != null) {
            allowOnly(mapping, Set.of("event_payload_key", "type"), "customer_mapping");
            customerKey = requireString(mapping, "event_payload_key", "customer_mapping[event_payload_key]");
            String type = requireString(mapping, "type", "customer_mapping[type]");
            if (!type.equals("by_id")) {
                throw StripeApiException.invalid(null, "customer_mapping[type]",
                        "Invalid customer_mapping[type]: must be one of by_id");
            }
        }
        String valueKey = "value";
        Map<String, Object> valueSettings = optMap(params, "value_settings");
        if (valueSettings != null) {
            allowOnly(valueSettings, Set.of("event_payload_key"), "value_settings");
            valueKey = requireString(valueSettings, "event_payload_key", "value_settings[event_payload_key]");
        }
        String window = optString(params, "event_time_window");
        if (window != null && !window.equals("day") && !window.equals("hour")) {
            throw StripeApiException.invalid(null, "event_time_window",
                    "Invalid event_time_window: must be one of day or hour");
        }
        requireNoActiveMeter(eventName);
        Meter m = new Meter();
        m.id = Wire.newId("mtr_test_", 24);
        m.displayName = displayName;
        m.eventName = eventName;
        m.formula = formula;
        m.customerKey = customerKey;
        m.valueKey = valueKey;
        m.eventTimeWindow = window;
        m.status = "active";
        m.created = call.nowSeconds();
        m.updated = call.nowSeconds();
        meters.put(m.id, m);
        return m.toJson();
    }

    private void requireNoActiveMeter(String eventName) {
        if (activeMeter(eventName) != null) {
            throw StripeApiException.invalid("resource_already_exists", "event_name",
                    "An active meter with event_name `" + eventName + "` already exists.");
        }
    }

    private Map<String, Object> update(ApiCall call) {
        Meter m = meter(call.pathParam("meter"));
        allowOnly(call.params(), Set.of("display_name", "expand"), null);
        String displayName = optString(call.params(), "display_name");
        if (displayName != null && !displayName.isEmpty()) {
            m.displayName = displayName;
            m.updated = call.nowSeconds();
        }
        return m.toJson();
    }

    private Map<String, Object> deactivate(ApiCall call) {
        Meter m = meter(call.pathParam("meter"));
        allowOnly(call.params(), Set.of("expand"), null);
        if (m.active()) {
            m.status = "inactive";
            m.deactivatedAt = call.nowSeconds();
            m.updated = call.nowSeconds();
        }
        return m.toJson();
    }

    private Map<String, Object> reactivate(ApiCall call) {
        Meter m = meter(call.pathParam("meter"));
        allowOnly(call.params(), Set.of("expand"), null);
        if (!m.active()) {
            requireNoActiveMeter(m.eventName);
            m.status = "active";
            m.deactivatedAt = null;
            m.updated = call.nowSeconds();
        }
        return m.toJson();
    }

    private Map<String, Object> list(ApiCall call) {
        allowOnly(call.params(), LIST_PARAMS, null);
        String status = optString(call.params(), "status");
        if (status != null && !status.equals("active") && !status.equals("inactive")) {
            throw StripeApiException.invalid(null, "status", "Invalid status: must be one of active or inactive");
        }
        List<Map<String, Object>> all = new ArrayList<>();
        for (Meter m : meters.values()) {
            if (status == null || status.equals(m.status)) {
                all.add(m.toJson());
            }
        }
        Collections.reverse(all); // newest first, like Stripe
        return ListPage.of("/v1/billing/meters", all, call.params());
    }
}
