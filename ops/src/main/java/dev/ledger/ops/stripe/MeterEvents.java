package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.allowOnly;
import static dev.ledger.ops.stripe.FormParams.optLong;
import static dev.ledger.ops.stripe.FormParams.optMap;
import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.FormParams.requireString;
import static dev.ledger.ops.stripe.Wire.ordered;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Meter events: {@code POST /v1/billing/meter_events}, and the account's one store of recorded events and of
 * identifiers seen within 24 h, shared with the v2 stream ({@link MeterEventStreams}) so both count alike in
 * summaries and totals.
 */
final class MeterEvents implements StripeResource {
    static final String CREATE_PATH = "/v1/billing/meter_events";
    static final long IDENTIFIER_WINDOW_SECONDS = 24 * 3600;
    static final long MAX_PAST_SECONDS = 35L * 24 * 3600;
    static final long MAX_FUTURE_SECONDS = 5 * 60;
    static final int MAX_IDENTIFIER_LENGTH = 100;

    private static final Pattern WHOLE_NUMBER = Pattern.compile("-?\\d{1,18}");
    private static final Set<String> CREATE_PARAMS = Set.of("event_name", "payload", "identifier", "timestamp",
            "expand");
    private static final String DUPLICATE = "duplicate_identifier";
    private static final String CUSTOMER_NOT_FOUND = "meter_event_customer_not_found";

    /** A recorded event; {@code value} is null for a count meter's event without one. */
    record Event(String identifier, String eventName, String meterId, String customer, Long value, long timestamp,
                 long created) {
    }

    /**
     * Why an event was not recorded: the error report's code, the error v1 answers with, and the meter it was for
     * (null when no meter has its event name).
     */
    record Rejection(String reportCode, StripeApiException error, String meterId) {
        boolean duplicate() {
            return reportCode.equals(DUPLICATE);
        }

        /**
         * Whether v1 accepts the event and reports the refusal later, as Stripe does for a customer it does not know:
         * the request succeeds and a {@code v1.billing.meter.error_report_triggered} event follows.
         */
        boolean reportedLater() {
            return reportCode.equals(CUSTOMER_NOT_FOUND);
        }

        MeterErrorReports.Refused refused(String identifier, String eventName) {
            return new MeterErrorReports.Refused(new MeterErrorReport(identifier, eventName, reportCode,
                    error.getMessage()), meterId);
        }
    }

    private final Customers customers;
    private final BillingMeters meters;
    private final MeterErrorReports reports;
    /** meter id → its events, oldest first. */
    private final Map<String, List<Event>> events = new HashMap<>();
    /** identifier → created (emulated epoch seconds), insertion ordered so expiry can prune from the head. */
    private final LinkedHashMap<String, Long> identifiers = new LinkedHashMap<>();
    private final Map<String, Long> totals = new HashMap<>();
    private long accepted;
    private long cancelled;
    private static final DateTimeFormatter V2_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    MeterEvents(Customers customers, BillingMeters meters, MeterErrorReports reports) {
        this.customers = customers;
        this.meters = meters;
        this.reports = reports;
    }

    @Override
    public void routes(Router router) {
        router.post(CREATE_PATH, this::create).answersCanBeLost();
        router.post("/v1/billing/meter_event_adjustments", call -> {
            Cancel c = cancelParams(call.params());
            cancel(c.eventName(), c.identifier(), call.nowSeconds());
            return ordered("object", "billing.meter_event_adjustment", "cancel", ordered("identifier", c.identifier()),
                    "event_name", c.eventName(), "livemode", false, "status", "pending", "type", "cancel");
        });
        router.post("/v2/billing/meter_event_adjustments", call -> {
            Cancel c = cancelParams(call.params());
            cancel(c.eventName(), c.identifier(), call.nowSeconds());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", Wire.newId("mtradj_test_", 24));
            m.put("object", "v2.billing.meter_event_adjustment");
            m.put("cancel", ordered("identifier", c.identifier()));
            m.put("created", V2_TIME.format(call.now()));
            m.put("event_name", c.eventName());
            m.put("livemode", false);
            m.put("status", "pending");
            m.put("type", "cancel");
            return m;
        });
    }

    private record Cancel(String eventName, String identifier) {
    }

    /** {@code event_name}, {@code type=cancel} and {@code cancel[identifier]}, refused as Stripe refuses them. */
    private static Cancel cancelParams(Map<String, Object> params) {
        allowOnly(params, Set.of("event_name", "type", "cancel", "expand"), null);
        String eventName = requireString(params, "event_name");
        String type = optString(params, "type");
        if (type != null && !type.equals("cancel")) {
            throw StripeApiException.invalid(null, "type", "Invalid type: must be one of cancel");
        }
        Map<String, Object> cancel = optMap(params, "cancel");
        if (cancel == null) {
            throw StripeApiException.missingParam("cancel");
        }
        allowOnly(cancel, Set.of("identifier"), "cancel");
        return new Cancel(eventName, requireString(cancel, "identifier", "cancel[identifier]"));
    }

    /**
     * Cancels a recorded event: it leaves summaries, totals and invoices. Stripe cancels only events it received in
     * the last 24 hours; an older or unknown one is refused here, so the caller learns it at once.
     */
    private void cancel(String eventName, String identifier, long now) {
        BillingMeters.Meter meter = meters.activeMeter(eventName);
        List<Event> recorded = meter == null ? List.of() : events.getOrDefault(meter.id(), List.of());
        for (Iterator<Event> it = recorded.iterator(); it.hasNext(); ) {
            Event e = it.next();
            if (!e.identifier().equals(identifier)) {
                continue;
            }
            if (now - e.created() >= IDENTIFIER_WINDOW_SECONDS) {
                throw StripeApiException.invalid(null, "cancel[identifier]", "The meter event " + identifier
                        + " was received more than 24 hours ago: only events of the last 24 hours can be cancelled.");
            }
            it.remove();
            if (e.value() != null) {
                totals.merge(e.customer() + '\u0000' + eventName, -e.value(), Long::sum);
            }
            cancelled++;
            return;
        }
        throw StripeApiException.invalid("resource_missing", "cancel[identifier]",
                "No meter event with identifier " + identifier + " for event_name `" + eventName
                        + "` was received in the last 24 hours.");
    }

    /** Events cancelled by a meter event adjustment. */
    long cancelled() {
        return cancelled;
    }

    @Override
    public void expire(Instant now) {
        long nowSeconds = now.getEpochSecond();
        Iterator<Long> it = identifiers.values().iterator();
        while (it.hasNext() && nowSeconds - it.next() >= IDENTIFIER_WINDOW_SECONDS) {
            it.remove();
        }
    }

    /** Events recorded for the meter, oldest first. */
    List<Event> recorded(String meterId) {
        return events.getOrDefault(meterId, List.of());
    }

    /**
     * The customer's recorded events of {@code meter} with a timestamp in {@code [start, end)}, aggregated by the
     * meter's formula: what a meter event summary and an invoice line of a metered price both show.
     */
    long aggregate(BillingMeters.Meter meter, String customer, long start, long end) {
        long aggregated = 0;
        Event last = null;
        for (Event e : recorded(meter.id())) {
            if (!e.customer().equals(customer) || e.timestamp() < start || e.timestamp() >= end) {
                continue;
            }
            switch (meter.formula()) {
                case "count" -> aggregated++;
                case "sum" -> aggregated = Math.addExact(aggregated, e.value());
                default -> {
                    if (last == null || e.timestamp() >= last.timestamp()) {
                        last = e;
                    }
                }
            }
        }
        if (meter.formula().equals("last")) {
            aggregated = last == null ? 0 : last.value();
        }
        return aggregated;
    }

    /** Sum of the values of recorded events for this customer and event name. */
    long total(String customerId, String eventName) {
        return totals.getOrDefault(customerId + '\u0000' + eventName, 0L);
    }

    /** Events recorded, v1 and v2 together; duplicates and refused events are not. */
    long accepted() {
        return accepted;
    }

    private Map<String, Object> create(ApiCall call) {
        Map<String, Object> params = call.params();
        long now = call.nowSeconds();
        allowOnly(params, CREATE_PARAMS, null);
        String eventName = requireString(params, "event_name");
        Map<String, Object> payload = optMap(params, "payload");
        if (payload == null || payload.isEmpty()) {
            throw StripeApiException.missingParam("payload");
        }
        Map<String, String> payloadStrings = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : payload.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw StripeApiException.invalid("parameter_invalid_string", "payload[" + e.getKey() + "]",
                        "Invalid string: payload[" + e.getKey() + "] must be a string, not a hash.");
            }
            payloadStrings.put(e.getKey(), s);
        }
        String identifier = optString(params, "identifier");
        if (identifier == null || identifier.isEmpty()) {
            identifier = UUID.randomUUID().toString();
        } else if (identifier.length() > MAX_IDENTIFIER_LENGTH) {
            throw StripeApiException.invalid("invalid_string_length", "identifier",
                    "Invalid identifier: must be at most " + MAX_IDENTIFIER_LENGTH + " characters.");
        }
        Long ts = optLong(params, "timestamp");
        long timestamp = ts == null ? now : ts;
        Rejection rejected = record(identifier, eventName, payloadStrings, timestamp, now);
        if (rejected != null && rejected.reportedLater()) {
            reports.file(List.of(rejected.refused(identifier, eventName)), call.now());
        } else if (rejected != null) {
            throw rejected.error();
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("object", "billing.meter_event");
        body.put("created", now);
        body.put("event_name", eventName);
        body.put("identifier", identifier);
        body.put("livemode", false);
        body.put("payload", payloadStrings);
        body.put("timestamp", timestamp);
        return body;
    }

    /**
     * Validates one meter event against the account (timestamp range, active meter, customer, value, identifier not
     * seen within 24 h) and records it, or answers why not. v1 answers the rejection at once; the v2 stream, which
     * Stripe validates after accepting the request, ignores a duplicate and files anything else as an error report.
     */
    Rejection record(String identifier, String eventName, Map<String, String> payload, long timestamp, long now) {
        BillingMeters.Meter meter = meters.activeMeter(eventName);
        String meterId = meter == null ? null : meter.id();
        if (timestamp < now - MAX_PAST_SECONDS) {
            return new Rejection("timestamp_too_far_in_past", StripeApiException.invalid(null, "timestamp",
                    "Invalid timestamp: must be within the past 35 days and no more than 5 minutes in the "
                            + "future. The timestamp " + timestamp + " is more than 35 days before the current "
                            + "time " + now + "."), meterId);
        }
        if (timestamp > now + MAX_FUTURE_SECONDS) {
            return new Rejection("timestamp_in_future", StripeApiException.invalid(null, "timestamp",
                    "Invalid timestamp: must be within the past 35 days and no more than 5 minutes in the "
                            + "future. The timestamp " + timestamp + " is more than 5 minutes in the future of "
                            + "the current time " + now + "."), meterId);
        }
        if (meter == null) {
            // Stripe reports an event for an inactive meter as archived_meter, one whose name no meter has as no_meter
            return new Rejection(meters.onlyInactiveMeter(eventName) ? "archived_meter" : "no_meter",
                    StripeApiException.invalid(null, "event_name", "No active meter found for event_name `" + eventName
                            + "`."), meters.meterNamed(eventName));
        }
        String customerParam = "payload[" + meter.customerKey() + "]";
        String customerId = payload.get(meter.customerKey());
        if (customerId == null || customerId.isEmpty()) {
            return new Rejection("meter_event_no_customer_defined", StripeApiException.missingParam(customerParam),
                    meterId);
        }
        if (!customers.exists(customerId)) {
            return new Rejection(CUSTOMER_NOT_FOUND, StripeApiException.invalid("resource_missing",
                    customerParam, "No such customer: '" + customerId + "'"), meterId);
        }
        String valueParam = "payload[" + meter.valueKey() + "]";
        String rawValue = payload.get(meter.valueKey());
        Long value = null;
        if (rawValue == null || rawValue.isEmpty()) {
            if (!meter.formula().equals("count")) {
                return new Rejection("meter_event_value_not_found", StripeApiException.missingParam(valueParam),
                        meterId);
            }
        } else {
            if (!WHOLE_NUMBER.matcher(rawValue).matches()) {
                return new Rejection("meter_event_invalid_value", StripeApiException.invalid(null, valueParam,
                        "Invalid " + valueParam + ": '" + rawValue + "'. This emulator accepts only whole-number "
                                + "meter event values."), meterId);
            }
            value = Long.parseLong(rawValue);
        }
        Long seen = identifiers.get(identifier);
        if (seen != null && now - seen < IDENTIFIER_WINDOW_SECONDS) {
            return new Rejection(DUPLICATE, StripeApiException.invalid("resource_already_exists", "identifier",
                    "An event already exists with identifier " + identifier + "."), meterId);
        }
        events.computeIfAbsent(meter.id(), k -> new ArrayList<>())
                .add(new Event(identifier, eventName, meter.id(), customerId, value, timestamp, now));
        identifiers.remove(identifier); // re-insert at the tail so head-pruning stays ordered
        identifiers.put(identifier, now);
        if (value != null) {
            totals.merge(customerId + '\u0000' + eventName, value, Long::sum);
        }
        accepted++;
        return null;
    }
}
