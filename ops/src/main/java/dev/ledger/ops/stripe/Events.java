package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.ParamSchema.array;
import static dev.ledger.ops.stripe.ParamSchema.hash;
import static dev.ledger.ops.stripe.ParamSchema.integer;
import static dev.ledger.ops.stripe.ParamSchema.range;
import static dev.ledger.ops.stripe.ParamSchema.string;
import static dev.ledger.ops.stripe.Wire.ordered;

import com.fasterxml.jackson.core.type.TypeReference;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Events ({@code GET /v1/events}, {@code GET /v1/events/{id}}): what resources announce ({@code invoice.created},
 * {@code customer.subscription.updated}, …), each carrying a snapshot of its object as it was then and the
 * {@code api_version} stripe-java expects. Every event also waits here for {@link WebhookDelivery} to send it.
 */
final class Events implements StripeResource {
    /** The API version stripe-java 33 pins; events of another version do not deserialize there. */
    static final String API_VERSION = "2026-07-29.dahlia";
    private static final ParamSchema LIST = hash("created", range(), "delivery_success", ParamSchema.bool(),
            "ending_before", string(), "limit", integer(), "starting_after", string(), "type", string(),
            "types", array(string())).withExpand();
    private static final ParamSchema NONE = hash().withExpand();

    private final Map<String, Map<String, Object>> events = new LinkedHashMap<>();
    private final List<String> undelivered = new ArrayList<>();

    @Override
    public void routes(Router router) {
        router.get("/v1/events", this::list);
        router.get("/v1/events/{id}", call -> {
            NONE.check(call.params());
            Map<String, Object> e = events.get(call.pathParam("id"));
            if (e == null) {
                throw StripeApiException.noSuch("event", call.pathParam("id"));
            }
            return e;
        });
    }

    /** Records that {@code type} happened to {@code object} at {@code created} (the object's own time). */
    void emit(String type, Map<String, Object> object, long created, Map<String, Object> previous) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("object", snapshot(object));
        if (previous != null && !previous.isEmpty()) {
            data.put("previous_attributes", snapshot(previous));
        }
        String id = Wire.newId("evt_", 24);
        events.put(id, ordered("id", id, "object", "event", "api_version", API_VERSION, "created", created,
                "data", data, "livemode", false, "pending_webhooks", 0L,
                "request", ordered("id", null, "idempotency_key", null), "type", type));
        undelivered.add(id);
    }

    /** Events not yet handed to webhook delivery, oldest first; handing them over empties the queue. */
    List<Map<String, Object>> takeUndelivered() {
        List<Map<String, Object>> out = new ArrayList<>();
        undelivered.forEach(id -> out.add(events.get(id)));
        undelivered.clear();
        return out;
    }

    /** All events, oldest first. */
    List<Map<String, Object>> all() {
        return new ArrayList<>(events.values());
    }

    private static Map<String, Object> snapshot(Map<String, Object> object) {
        return Wire.json().convertValue(object, new TypeReference<LinkedHashMap<String, Object>>() { });
    }

    private Map<String, Object> list(ApiCall call) {
        LIST.check(call.params());
        String type = optString(call.params(), "type");
        Object types = call.params().get("types");
        Created created = Created.of(call.params());
        List<Map<String, Object>> all = new ArrayList<>();
        for (Map<String, Object> e : events.values()) {
            String t = (String) e.get("type");
            boolean typeMatches = type == null || (type.endsWith(".*")
                    ? t.startsWith(type.substring(0, type.length() - 1)) : type.equals(t));
            if (types instanceof Map<?, ?> m) {
                typeMatches &= m.containsValue(t);
            }
            if (typeMatches && created.contains((Long) e.get("created"))) {
                all.add(e);
            }
        }
        Collections.reverse(all);
        return ListPage.of("/v1/events", all, call.params());
    }
}
