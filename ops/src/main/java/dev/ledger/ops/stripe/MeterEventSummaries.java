package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.allowOnly;
import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.FormParams.requireLong;
import static dev.ledger.ops.stripe.FormParams.requireString;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Meter event summaries ({@code GET /v1/billing/meters/{meter}/event_summaries}): a customer's recorded events
 * aggregated by the meter's formula over {@code [start_time, end_time)}, whole or by hour or day, newest first.
 */
final class MeterEventSummaries implements StripeResource {
    private static final Set<String> PARAMS = Set.of("customer", "start_time", "end_time", "value_grouping_window",
            "limit", "starting_after", "ending_before", "expand");
    private static final int MAX_WINDOWS = 10_000;

    private final Customers customers;
    private final BillingMeters meters;
    private final MeterEvents events;

    MeterEventSummaries(Customers customers, BillingMeters meters, MeterEvents events) {
        this.customers = customers;
        this.meters = meters;
        this.events = events;
    }

    @Override
    public void routes(Router router) {
        router.get("/v1/billing/meters/{meter}/event_summaries", this::list);
    }

    private Map<String, Object> list(ApiCall call) {
        BillingMeters.Meter meter = meters.meter(call.pathParam("meter"));
        Map<String, Object> params = call.params();
        allowOnly(params, PARAMS, null);
        String customer = requireString(params, "customer");
        long start = requireLong(params, "start_time");
        long end = requireLong(params, "end_time");
        String window = optString(params, "value_grouping_window");
        long step;
        if (window == null || window.isEmpty()) {
            step = 0;
        } else if (window.equals("hour")) {
            step = 3600;
        } else if (window.equals("day")) {
            step = 86400;
        } else {
            throw StripeApiException.invalid(null, "value_grouping_window",
                    "Invalid value_grouping_window: must be one of day or hour");
        }
        requireAligned("start_time", start, step == 0 ? 60 : step, window);
        requireAligned("end_time", end, step == 0 ? 60 : step, window);
        if (end <= start) {
            throw StripeApiException.invalid(null, "end_time", "end_time must be after start_time.");
        }
        if (!customers.exists(customer)) {
            throw StripeApiException.invalid("resource_missing", "customer", "No such customer: '" + customer + "'");
        }
        List<Map<String, Object>> all = new ArrayList<>();
        if (step == 0) {
            all.add(summary(meter, customer, start, end));
        } else {
            if ((end - start) / step > MAX_WINDOWS) {
                throw StripeApiException.invalid(null, "end_time", "The requested time range is too large.");
            }
            for (long s = start; s < end; s += step) {
                all.add(summary(meter, customer, s, Math.min(s + step, end)));
            }
            Collections.reverse(all); // newest window first, like Stripe lists
        }
        return ListPage.of("/v1/billing/meters/" + meter.id() + "/event_summaries", all, params);
    }

    private static void requireAligned(String param, long value, long unit, String window) {
        if (value % unit != 0) {
            String boundary = unit == 60 ? "minute" : window.equals("hour") ? "hour" : "day (00:00 UTC)";
            throw StripeApiException.invalid(null, param,
                    param + " must be aligned with " + boundary + " boundaries.");
        }
    }

    private Map<String, Object> summary(BillingMeters.Meter meter, String customer, long start, long end) {
        long aggregated = events.aggregate(meter, customer, start, end);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("id", "mtrusg_test_" + digest(meter.id() + "|" + customer + "|" + start + "|" + end));
        s.put("object", "billing.meter_event_summary");
        s.put("aggregated_value", aggregated);
        s.put("end_time", end);
        s.put("livemode", false);
        s.put("meter", meter.id());
        s.put("start_time", start);
        return s;
    }

    private static String digest(String s) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
