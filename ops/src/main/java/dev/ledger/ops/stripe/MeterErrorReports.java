package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.Wire.ordered;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Meter events Stripe accepted and then refused when it processed them, and the v2 events that report them:
 * {@code v1.billing.meter.error_report_triggered} (the meter exists; {@code related_object} is the meter) and
 * {@code v1.billing.meter.no_meter_found} (no meter has the event's name), served by {@code GET /v2/core/events}
 * (filters {@code types}, {@code object_id}, {@code created[gt|gte|lt|lte]}, {@code limit}) and
 * {@code GET /v2/core/events/{id}}. Stripe reports a validation window's errors together; the emulator reports the
 * errors of one call together, one event per meter, with every refused event among the samples (Stripe keeps only a
 * sample: a consumer counts by {@code error_count}).
 */
final class MeterErrorReports implements StripeResource {
    static final String ERROR_REPORT_TRIGGERED = "v1.billing.meter.error_report_triggered";
    static final String NO_METER_FOUND = "v1.billing.meter.no_meter_found";
    static final int MAX_LIMIT = 100;
    private static final Set<String> LIST_PARAMS = Set.of("types", "object_id", "created", "limit", "page");
    private static final DateTimeFormatter V2_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    /** One refused event, with the meter it was for (null when no meter has its event name). */
    record Refused(MeterErrorReport report, String meterId) {
    }

    private final List<MeterErrorReport> reports = new ArrayList<>();
    /** v2 event id → event, oldest first. */
    private final Map<String, Map<String, Object>> events = new LinkedHashMap<>();
    private final Map<String, Long> createdMillis = new LinkedHashMap<>();
    /** Page token → the filters of the list it continues and where; a token stands for its filters, as Stripe's. */
    private final Map<String, Filter> pages = new LinkedHashMap<>();

    private record Filter(List<String> types, String objectId, long gt, long lt, int limit, int skip) {
    }

    @Override
    public void routes(Router router) {
        router.get("/v2/core/events", this::list);
        router.get("/v2/core/events/{id}", call -> {
            FormParams.allowOnly(call.params(), Set.of(), null);
            Map<String, Object> e = events.get(call.pathParam("id"));
            if (e == null) {
                throw new StripeApiException(404, "invalid_request_error", "not_found", null,
                        "No such event: '" + call.pathParam("id") + "'");
            }
            return e;
        });
    }

    /** Every refused event so far, oldest first. */
    List<MeterErrorReport> reports() {
        return List.copyOf(reports);
    }

    /** Files the refusals of one call and reports them: one v2 event per meter (or per unknown event name). */
    void file(List<Refused> refused, Instant now) {
        if (refused.isEmpty()) {
            return;
        }
        Map<String, List<Refused>> byMeter = new LinkedHashMap<>();
        for (Refused r : refused) {
            reports.add(r.report());
            byMeter.computeIfAbsent(r.meterId() == null ? "\u0000" + r.report().eventName() : r.meterId(),
                    k -> new ArrayList<>()).add(r);
        }
        byMeter.values().forEach(group -> report(group, now));
    }

    private void report(List<Refused> group, Instant now) {
        String meterId = group.get(0).meterId();
        Map<String, List<MeterErrorReport>> byCode = new LinkedHashMap<>();
        group.forEach(r -> byCode.computeIfAbsent(r.report().code(), k -> new ArrayList<>()).add(r.report()));
        List<Map<String, Object>> types = new ArrayList<>();
        byCode.forEach((code, reps) -> {
            List<Map<String, Object>> samples = new ArrayList<>();
            reps.forEach(r -> samples.add(ordered("error_message", r.message(),
                    "request", ordered("identifier", r.identifier()))));
            types.add(ordered("code", code, "error_count", (long) reps.size(), "sample_errors", samples));
        });
        String time = V2_TIME.format(now);
        int n = group.size();
        Map<String, Object> data = ordered("developer_message_summary",
                n == 1 ? "There is 1 invalid event" : "There are " + n + " invalid events",
                "reason", ordered("error_count", (long) n, "error_types", types),
                "validation_end", time, "validation_start", time);
        String id = Wire.newId("evt_test_", 48);
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("id", id);
        event.put("object", "v2.core.event");
        event.put("created", time);
        event.put("data", data);
        event.put("livemode", false);
        if (meterId != null) { // v2 omits what an event does not have (context, reason, related_object)
            event.put("related_object", ordered("id", meterId, "type", "billing.meter", "url",
                    "/v1/billing/meters/" + meterId));
        }
        event.put("type", meterId == null ? NO_METER_FOUND : ERROR_REPORT_TRIGGERED);
        events.put(id, event);
        createdMillis.put(id, now.toEpochMilli());
    }

    private Map<String, Object> list(ApiCall call) {
        Map<String, Object> params = call.params();
        FormParams.allowOnly(params, LIST_PARAMS, null);
        Filter f;
        if (params.get("page") != null) {
            f = pages.get(String.valueOf(params.get("page")));
            if (f == null || params.size() > 1) {
                throw StripeApiException.invalid("invalid_parameter", "page",
                        "Invalid page: pass only a page token from next_page_url.");
            }
        } else {
            f = filter(params);
        }
        List<Map<String, Object>> matching = new ArrayList<>();
        for (Map.Entry<String, Map<String, Object>> e : events.entrySet()) {
            Map<String, Object> event = e.getValue();
            long at = createdMillis.get(e.getKey());
            Object related = event.get("related_object");
            if ((f.types().isEmpty() || f.types().contains((String) event.get("type"))) && at > f.gt() && at < f.lt()
                    && (f.objectId() == null || related instanceof Map<?, ?> r && f.objectId().equals(r.get("id")))) {
                matching.add(event);
            }
        }
        Collections.reverse(matching); // newest first, as Stripe lists
        int end = Math.min(matching.size(), f.skip() + f.limit());
        Map<String, Object> page = new LinkedHashMap<>();
        page.put("data", f.skip() >= matching.size() ? List.of() : new ArrayList<>(matching.subList(f.skip(), end)));
        String next = null;
        if (end < matching.size()) {
            next = Wire.newId("page_", 24);
            pages.put(next, new Filter(f.types(), f.objectId(), f.gt(), f.lt(), f.limit(), end));
        }
        page.put("next_page_url", next == null ? null : "/v2/core/events?page=" + next);
        page.put("previous_page_url", null);
        return page;
    }

    @SuppressWarnings("unchecked")
    private static Filter filter(Map<String, Object> params) {
        List<String> types = new ArrayList<>();
        Object rawTypes = params.get("types");
        if (rawTypes instanceof String s) {
            types.add(s);
        } else if (rawTypes instanceof List<?> l) {
            l.forEach(t -> types.add(String.valueOf(t)));
        } else if (rawTypes instanceof Map<?, ?> m) {
            m.values().forEach(t -> types.add(String.valueOf(t)));
        }
        String objectId = params.get("object_id") instanceof String s ? s : null;
        long gt = Long.MIN_VALUE;
        long lt = Long.MAX_VALUE;
        if (params.get("created") instanceof Map<?, ?> created) {
            FormParams.allowOnly((Map<String, Object>) created, Set.of("gt", "gte", "lt", "lte"), "created");
            for (Map.Entry<?, ?> e : created.entrySet()) {
                long at = v2Time("created[" + e.getKey() + "]", e.getValue());
                switch (String.valueOf(e.getKey())) {
                    case "gt" -> gt = Math.max(gt, at);
                    case "gte" -> gt = Math.max(gt, at - 1);
                    case "lt" -> lt = Math.min(lt, at);
                    default -> lt = Math.min(lt, at + 1);
                }
            }
        } else if (params.containsKey("created")) {
            throw StripeApiException.invalid("invalid_parameter", "created", "Invalid created: must be an object.");
        }
        int limit = 20;
        if (params.get("limit") != null) {
            try {
                limit = Integer.parseInt(String.valueOf(params.get("limit")));
            } catch (NumberFormatException e) {
                limit = -1;
            }
            if (limit < 1 || limit > MAX_LIMIT) {
                throw StripeApiException.invalid("invalid_parameter", "limit",
                        "Invalid limit: must be an integer between 1 and " + MAX_LIMIT + ".");
            }
        }
        return new Filter(List.copyOf(types), objectId, gt, lt, limit, 0);
    }

    private static long v2Time(String param, Object value) {
        try {
            return OffsetDateTime.parse(String.valueOf(value)).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            throw StripeApiException.invalid("invalid_parameter", param,
                    "Invalid " + param + ": must be an RFC 3339 timestamp.");
        }
    }
}
