package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.ParamSchema.hash;
import static dev.ledger.ops.stripe.ParamSchema.integer;
import static dev.ledger.ops.stripe.ParamSchema.string;
import static dev.ledger.ops.stripe.Wire.ordered;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Test clocks ({@code /v1/test_helpers/test_clocks}): create at a {@code frozen_time}, retrieve, list, delete, and
 * {@code advance} to a later {@code frozen_time}. Objects attached to a clock (customers, and through them
 * subscriptions and invoices) live at the clock's time, not the emulator's. An advance runs everything due up to the
 * new time (period ends, invoice finalisation, payments) before it answers {@code advancing}; from the next call on
 * the clock reads {@code ready}, as Stripe's does once it has caught up.
 */
final class TestClocks implements StripeResource {
    static final long DELETES_AFTER_SECONDS = 30L * 24 * 3600;
    private static final ParamSchema CREATE = hash("frozen_time!", integer(), "name", string(300)).withExpand();
    private static final ParamSchema ADVANCE = hash("frozen_time!", integer()).withExpand();
    private static final ParamSchema LIST = hash("limit", integer(), "starting_after", string(),
            "ending_before", string()).withExpand();
    private static final ParamSchema NONE = hash().withExpand();

    /** Told of every advance: what is due between {@code from} (exclusive) and {@code to} (inclusive) happens now. */
    interface Follower {
        void advanced(String clockId, long from, long to);
    }

    private static final class Clock {
        private String id;
        private String name;
        private long created;
        private long frozenTime;
        private Long advancingTo;

        private Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", id);
            m.put("object", "test_helpers.test_clock");
            m.put("created", created);
            m.put("deletes_after", created + DELETES_AFTER_SECONDS);
            m.put("frozen_time", frozenTime);
            m.put("livemode", false);
            m.put("name", name);
            m.put("status", advancingTo == null ? "ready" : "advancing");
            m.put("status_details", advancingTo == null ? Map.of()
                    : ordered("advancing", ordered("target_frozen_time", advancingTo)));
            return m;
        }
    }

    private final Map<String, Clock> clocks = new LinkedHashMap<>();
    private final List<Follower> followers = new ArrayList<>();

    @Override
    public void routes(Router router) {
        router.post("/v1/test_helpers/test_clocks", this::create);
        router.get("/v1/test_helpers/test_clocks", this::list);
        router.get("/v1/test_helpers/test_clocks/{test_clock}", call -> {
            NONE.check(call.params());
            return clock(call.pathParam("test_clock")).toJson();
        });
        router.delete("/v1/test_helpers/test_clocks/{test_clock}", this::delete);
        router.post("/v1/test_helpers/test_clocks/{test_clock}/advance", this::advance);
    }

    /** An advance is over by the next call. */
    @Override
    public void expire(Instant now) {
        clocks.values().forEach(c -> c.advancingTo = null);
    }

    void follow(Follower follower) {
        followers.add(follower);
    }

    /** Whether {@code id} is a live test clock. */
    boolean exists(String id) {
        return clocks.containsKey(id);
    }

    /** The clock's frozen time, epoch seconds. */
    long frozenTime(String id) {
        return clock(id).frozenTime;
    }

    /** The test clock as Stripe renders it (for {@code expand[]=test_clock}). */
    Map<String, Object> render(String id) {
        return clock(id).toJson();
    }

    private Clock clock(String id) {
        Clock c = clocks.get(id);
        if (c == null) {
            throw StripeApiException.noSuch("test_helpers.test_clock", id);
        }
        return c;
    }

    private Map<String, Object> create(ApiCall call) {
        CREATE.check(call.params());
        Clock c = new Clock();
        c.id = Wire.newId("clock_", 24);
        c.name = FormParams.optString(call.params(), "name");
        c.created = call.nowSeconds();
        c.frozenTime = FormParams.requireLong(call.params(), "frozen_time");
        clocks.put(c.id, c);
        return c.toJson();
    }

    private Map<String, Object> advance(ApiCall call) {
        ADVANCE.check(call.params());
        Clock c = clock(call.pathParam("test_clock"));
        long to = FormParams.requireLong(call.params(), "frozen_time");
        if (to <= c.frozenTime) {
            throw StripeApiException.invalid(null, "frozen_time",
                    "The clock's frozen_time can only move forward: " + to + " is not after " + c.frozenTime + ".");
        }
        long from = c.frozenTime;
        c.frozenTime = to;
        for (Follower f : followers) {
            f.advanced(c.id, from, to);
        }
        c.advancingTo = to;
        return c.toJson();
    }

    private Map<String, Object> delete(ApiCall call) {
        NONE.check(call.params());
        Clock c = clock(call.pathParam("test_clock"));
        clocks.remove(c.id);
        return ordered("id", c.id, "object", "test_helpers.test_clock", "deleted", true);
    }

    private Map<String, Object> list(ApiCall call) {
        LIST.check(call.params());
        List<Map<String, Object>> all = new ArrayList<>();
        clocks.values().forEach(c -> all.add(c.toJson()));
        Collections.reverse(all);
        return ListPage.of("/v1/test_helpers/test_clocks", all, call.params());
    }
}
