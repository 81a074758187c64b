package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.allowOnly;
import static dev.ledger.ops.stripe.FormParams.optLong;
import static dev.ledger.ops.stripe.FormParams.optMap;
import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.FormParams.requireLong;
import static dev.ledger.ops.stripe.FormParams.requireString;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The emulator's in-memory Stripe account: customers, billing meters, meter events (v1, and v2 streams with their
 * sessions; one identifier store for both) and stored idempotent responses. Every public-facing operation goes
 * through {@link #handle} or {@link #handleV2}, both {@code synchronized}, so the whole state is guarded by this
 * object's monitor (correctness over cleverness).
 */
final class StripeState {
    static final long IDEMPOTENCY_WINDOW_SECONDS = 24 * 3600;
    static final long IDENTIFIER_WINDOW_SECONDS = 24 * 3600;
    static final long MAX_PAST_SECONDS = 35L * 24 * 3600;
    static final long MAX_FUTURE_SECONDS = 5 * 60;

    private static final Pattern WHOLE_NUMBER = Pattern.compile("-?\\d{1,18}");
    private static final String ALPHANUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /** The outcome of one API call: status, serialized JSON body, and whether it is an idempotent replay. */
    record Result(int status, byte[] body, boolean replayed) {
    }

    private record StoredResponse(String endpoint, String fingerprint, int status, byte[] body, long created) {
    }

    private record Event(String identifier, String eventName, String meterId, String customer, Long value,
                         long timestamp, long created) {
    }

    /** Why a meter event was not recorded: the error report code (v2) and the error v1 answers with. */
    private record Rejection(String reportCode, StripeApiException error) {
    }

    private static final String DUPLICATE = "duplicate_identifier";

    private static final class Meter {
        String id;
        String displayName;
        String eventName;
        String formula;
        String customerKey;
        String valueKey;
        String eventTimeWindow;
        String status;
        long created;
        long updated;
        Long deactivatedAt;
        final List<Event> events = new ArrayList<>();

        Map<String, Object> toJson() {
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

    private final Clock clock;
    private final ObjectMapper json;
    private final SecureRandom random = new SecureRandom();

    private final Map<String, Map<String, Object>> customers = new LinkedHashMap<>();
    private final Set<String> deletedCustomers = new java.util.HashSet<>();
    private final Map<String, Meter> meters = new LinkedHashMap<>();
    /** identifier → created (emulated epoch seconds), insertion ordered so expiry can prune from the head. */
    private final LinkedHashMap<String, Long> identifiers = new LinkedHashMap<>();
    private final LinkedHashMap<String, StoredResponse> idempotent = new LinkedHashMap<>();
    private final Map<String, Long> totals = new HashMap<>();
    private long acceptedEvents;

    StripeState(Clock clock, ObjectMapper json) {
        this.clock = clock;
        this.json = json;
    }

    // ------------------------------------------------------------------ introspection

    synchronized long meterEventTotal(String customerId, String eventName) {
        return totals.getOrDefault(customerId + '\u0000' + eventName, 0L);
    }

    synchronized long acceptedMeterEvents() {
        return acceptedEvents;
    }

    // ------------------------------------------------------------------ dispatch

    /**
     * Executes one authenticated API call. POSTs carrying an {@code Idempotency-Key} that was seen within 24 h
     * (emulated time) replay the stored response; only successful responses are stored (Stripe does not save
     * a result when the request fails validation).
     */
    synchronized Result handle(String method, String rawPath, Map<String, Object> params, String apiKey,
                               String idempotencyKey) {
        long now = clock.instant().getEpochSecond();
        prune(now);
        try {
            String storeKey = null;
            String endpoint = method + " " + rawPath;
            String fingerprint = null;
            if ("POST".equals(method) && idempotencyKey != null && !idempotencyKey.isEmpty()) {
                if (idempotencyKey.length() > 255) {
                    throw StripeApiException.invalid(null, null,
                            "Idempotency keys must be at most 255 characters long.");
                }
                storeKey = apiKey + '\u0000' + idempotencyKey;
                fingerprint = FormParams.canonical(params);
                StoredResponse stored = idempotent.get(storeKey);
                if (stored != null) {
                    if (!stored.endpoint().equals(endpoint)) {
                        throw new StripeApiException(400, "idempotency_error", null, null,
                                "Keys for idempotent requests can only be used for the same endpoint they were "
                                        + "first used for ('" + stored.endpoint() + "' vs '" + endpoint
                                        + "'). Try using a key other than '" + idempotencyKey
                                        + "' if you meant to execute a different request.");
                    }
                    if (!stored.fingerprint().equals(fingerprint)) {
                        throw new StripeApiException(400, "idempotency_error", null, null,
                                "Keys for idempotent requests can only be used with the same parameters they "
                                        + "were first used with. Try using a key other than '" + idempotencyKey
                                        + "' if you meant to execute a different request.");
                    }
                    return new Result(stored.status(), stored.body(), true);
                }
            }
            Object body = route(method, rawPath, params, now);
            byte[] bytes = json.writeValueAsBytes(body);
            if (storeKey != null) {
                idempotent.put(storeKey, new StoredResponse(endpoint, fingerprint, 200, bytes, now));
            }
            return new Result(200, bytes, false);
        } catch (StripeApiException e) {
            return new Result(e.status(), serialize(e.body()), false);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    byte[] serialize(Object body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void prune(long now) {
        pruneHead(identifiers.values().iterator(), c -> now - c >= IDENTIFIER_WINDOW_SECONDS);
        pruneHead(idempotent.values().iterator(), s -> now - s.created() >= IDEMPOTENCY_WINDOW_SECONDS);
    }

    private static <T> void pruneHead(Iterator<T> it, java.util.function.Predicate<T> expired) {
        while (it.hasNext()) {
            if (!expired.test(it.next())) {
                return;
            }
            it.remove();
        }
    }

    private Object route(String method, String rawPath, Map<String, Object> params, long now) {
        List<String> seg = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                seg.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
            }
        }
        int n = seg.size();
        if (n >= 2 && seg.get(0).equals("v1")) {
            if (seg.get(1).equals("customers")) {
                if (n == 2 && method.equals("POST")) {
                    return createCustomer(params, now);
                }
                if (n == 2 && method.equals("GET")) {
                    return listCustomers(params);
                }
                if (n == 3 && method.equals("GET")) {
                    return retrieveCustomer(seg.get(2));
                }
                if (n == 3 && method.equals("POST")) {
                    return updateCustomer(seg.get(2), params);
                }
                if (n == 3 && method.equals("DELETE")) {
                    return deleteCustomer(seg.get(2));
                }
            } else if (seg.get(1).equals("billing") && n >= 3) {
                String kind = seg.get(2);
                if (kind.equals("meter_events") && n == 3 && method.equals("POST")) {
                    return createMeterEvent(params, now);
                }
                if (kind.equals("meters")) {
                    if (n == 3 && method.equals("POST")) {
                        return createMeter(params, now);
                    }
                    if (n == 3 && method.equals("GET")) {
                        return listMeters(params);
                    }
                    if (n == 4 && method.equals("GET")) {
                        return meter(seg.get(3)).toJson();
                    }
                    if (n == 4 && method.equals("POST")) {
                        return updateMeter(seg.get(3), params, now);
                    }
                    if (n == 5 && method.equals("POST") && seg.get(4).equals("deactivate")) {
                        return deactivateMeter(seg.get(3), params, now);
                    }
                    if (n == 5 && method.equals("POST") && seg.get(4).equals("reactivate")) {
                        return reactivateMeter(seg.get(3), params, now);
                    }
                    if (n == 5 && method.equals("GET") && seg.get(4).equals("event_summaries")) {
                        return eventSummaries(seg.get(3), params);
                    }
                }
            }
        }
        throw new StripeApiException(404, "invalid_request_error", null, null,
                "Unrecognized request URL (" + method + ": " + rawPath
                        + "). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.");
    }

    // ------------------------------------------------------------------ customers

    private Map<String, Object> createCustomer(Map<String, Object> params, long now) {
        Map<String, Object> c = new LinkedHashMap<>();
        String id = newId("cus_", 14);
        c.put("id", id);
        c.put("object", "customer");
        c.put("address", null);
        c.put("balance", 0L);
        c.put("created", now);
        c.put("currency", null);
        c.put("default_source", null);
        c.put("delinquent", false);
        c.put("description", optString(params, "description"));
        c.put("discount", null);
        c.put("email", optString(params, "email"));
        c.put("invoice_prefix", newId("", 8).toUpperCase());
        Map<String, Object> invoiceSettings = new LinkedHashMap<>();
        invoiceSettings.put("custom_fields", null);
        invoiceSettings.put("default_payment_method", null);
        invoiceSettings.put("footer", null);
        invoiceSettings.put("rendering_options", null);
        c.put("invoice_settings", invoiceSettings);
        c.put("livemode", false);
        Map<String, String> metadata = new LinkedHashMap<>();
        mergeMetadata(metadata, optMap(params, "metadata"));
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

    private Map<String, Object> retrieveCustomer(String id) {
        if (deletedCustomers.contains(id)) {
            return deletedStub(id);
        }
        return customer(id);
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> updateCustomer(String id, Map<String, Object> params) {
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
            mergeMetadata(current, metadata);
        }
        return c;
    }

    private Map<String, Object> deleteCustomer(String id) {
        customer(id);
        customers.remove(id);
        deletedCustomers.add(id);
        return deletedStub(id);
    }

    private static Map<String, Object> deletedStub(String id) {
        return ordered("id", id, "object", "customer", "deleted", true);
    }

    private Map<String, Object> listCustomers(Map<String, Object> params) {
        String email = optString(params, "email");
        List<Map<String, Object>> all = new ArrayList<>();
        for (Map<String, Object> c : customers.values()) {
            if (email == null || email.equals(c.get("email"))) {
                all.add(c);
            }
        }
        Collections.reverse(all); // newest first, like Stripe
        return page("/v1/customers", all, params);
    }

    /** Stripe metadata rules: string values, ≤50 keys, key ≤40 chars, value ≤500 chars; "" unsets a key. */
    private static void mergeMetadata(Map<String, String> target, Map<String, Object> update) {
        if (update == null) {
            return;
        }
        for (Map.Entry<String, Object> e : update.entrySet()) {
            String key = e.getKey();
            String param = "metadata[" + key + "]";
            if (!(e.getValue() instanceof String value)) {
                throw StripeApiException.invalid("parameter_invalid_string", param,
                        "Invalid string: " + param + " must be a string.");
            }
            if (key.length() > 40) {
                throw StripeApiException.invalid(null, param,
                        "Metadata keys can have up to 40 characters; '" + key + "' has " + key.length() + ".");
            }
            if (value.length() > 500) {
                throw StripeApiException.invalid(null, param, "Metadata values can have up to 500 characters.");
            }
            if (value.isEmpty()) {
                target.remove(key);
            } else {
                target.put(key, value);
            }
        }
        if (target.size() > 50) {
            throw StripeApiException.invalid(null, "metadata", "You can specify up to 50 metadata keys.");
        }
    }

    // ------------------------------------------------------------------ meters

    private static final Set<String> METER_CREATE_PARAMS = Set.of("display_name", "event_name",
            "default_aggregation", "customer_mapping", "value_settings", "event_time_window", "expand");

    private Map<String, Object> createMeter(Map<String, Object> params, long now) {
        allowOnly(params, METER_CREATE_PARAMS, null);
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
        m.id = newId("mtr_test_", 24);
        m.displayName = displayName;
        m.eventName = eventName;
        m.formula = formula;
        m.customerKey = customerKey;
        m.valueKey = valueKey;
        m.eventTimeWindow = window;
        m.status = "active";
        m.created = now;
        m.updated = now;
        meters.put(m.id, m);
        return m.toJson();
    }

    private void requireNoActiveMeter(String eventName) {
        if (activeMeter(eventName) != null) {
            throw StripeApiException.invalid("resource_already_exists", "event_name",
                    "An active meter with event_name `" + eventName + "` already exists.");
        }
    }

    private Meter activeMeter(String eventName) {
        for (Meter m : meters.values()) {
            if (m.status.equals("active") && m.eventName.equals(eventName)) {
                return m;
            }
        }
        return null;
    }

    private Meter meter(String id) {
        Meter m = meters.get(id);
        if (m == null) {
            throw StripeApiException.noSuch("billing.meter", id);
        }
        return m;
    }

    private Map<String, Object> updateMeter(String id, Map<String, Object> params, long now) {
        Meter m = meter(id);
        allowOnly(params, Set.of("display_name", "expand"), null);
        String displayName = optString(params, "display_name");
        if (displayName != null && !displayName.isEmpty()) {
            m.displayName = displayName;
            m.updated = now;
        }
        return m.toJson();
    }

    private Map<String, Object> deactivateMeter(String id, Map<String, Object> params, long now) {
        Meter m = meter(id);
        allowOnly(params, Set.of("expand"), null);
        if (m.status.equals("active")) {
            m.status = "inactive";
            m.deactivatedAt = now;
            m.updated = now;
        }
        return m.toJson();
    }

    private Map<String, Object> reactivateMeter(String id, Map<String, Object> params, long now) {
        Meter m = meter(id);
        allowOnly(params, Set.of("expand"), null);
        if (m.status.equals("inactive")) {
            requireNoActiveMeter(m.eventName);
            m.status = "active";
            m.deactivatedAt = null;
            m.updated = now;
        }
        return m.toJson();
    }

    private Map<String, Object> listMeters(Map<String, Object> params) {
        allowOnly(params, Set.of("status", "limit", "starting_after", "ending_before", "expand"), null);
        String status = optString(params, "status");
        if (status != null && !status.equals("active") && !status.equals("inactive")) {
            throw StripeApiException.invalid(null, "status", "Invalid status: must be one of active or inactive");
        }
        List<Map<String, Object>> all = new ArrayList<>();
        for (Meter m : meters.values()) {
            if (status == null || status.equals(m.status)) {
                all.add(m.toJson());
            }
        }
        Collections.reverse(all);
        return page("/v1/billing/meters", all, params);
    }

    // ------------------------------------------------------------------ meter events

    private static final Set<String> METER_EVENT_PARAMS = Set.of("event_name", "payload", "identifier",
            "timestamp", "expand");

    private Map<String, Object> createMeterEvent(Map<String, Object> params, long now) {
        allowOnly(params, METER_EVENT_PARAMS, null);
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
        } else if (identifier.length() > 100) {
            throw StripeApiException.invalid("invalid_string_length", "identifier",
                    "Invalid identifier: must be at most 100 characters.");
        }
        Long ts = optLong(params, "timestamp");
        long timestamp = ts == null ? now : ts;
        Rejection rejected = recordMeterEvent(identifier, eventName, payloadStrings, timestamp, now);
        if (rejected != null) {
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
    private Rejection recordMeterEvent(String identifier, String eventName, Map<String, String> payloadStrings,
                                  long timestamp, long now) {
        if (timestamp < now - MAX_PAST_SECONDS) {
            return new Rejection("timestamp_too_far_in_past", StripeApiException.invalid(null, "timestamp",
                    "Invalid timestamp: must be within the past 35 days and no more than 5 minutes in the "
                            + "future. The timestamp " + timestamp + " is more than 35 days before the current "
                            + "time " + now + "."));
        }
        if (timestamp > now + MAX_FUTURE_SECONDS) {
            return new Rejection("timestamp_in_future", StripeApiException.invalid(null, "timestamp",
                    "Invalid timestamp: must be within the past 35 days and no more than 5 minutes in the "
                            + "future. The timestamp " + timestamp + " is more than 5 minutes in the future of "
                            + "the current time " + now + "."));
        }
        Meter meter = activeMeter(eventName);
        if (meter == null) {
            return new Rejection("no_meter", StripeApiException.invalid(null, "event_name",
                    "No active meter found for event_name `" + eventName + "`."));
        }
        String customerParam = "payload[" + meter.customerKey + "]";
        String customerId = payloadStrings.get(meter.customerKey);
        if (customerId == null || customerId.isEmpty()) {
            return new Rejection("meter_event_no_customer_defined", StripeApiException.missingParam(customerParam));
        }
        if (!customers.containsKey(customerId)) {
            return new Rejection("meter_event_customer_not_found", StripeApiException.invalid("resource_missing",
                    customerParam, "No such customer: '" + customerId + "'"));
        }
        String valueParam = "payload[" + meter.valueKey + "]";
        String rawValue = payloadStrings.get(meter.valueKey);
        Long value = null;
        if (rawValue == null || rawValue.isEmpty()) {
            if (!meter.formula.equals("count")) {
                return new Rejection("meter_event_value_not_found", StripeApiException.missingParam(valueParam));
            }
        } else {
            if (!WHOLE_NUMBER.matcher(rawValue).matches()) {
                return new Rejection("meter_event_invalid_value", StripeApiException.invalid(null, valueParam,
                        "Invalid " + valueParam + ": '" + rawValue + "'. This emulator accepts only whole-number "
                                + "meter event values."));
            }
            value = Long.parseLong(rawValue);
        }
        Long seen = identifiers.get(identifier);
        if (seen != null && now - seen < IDENTIFIER_WINDOW_SECONDS) {
            return new Rejection(DUPLICATE, StripeApiException.invalid("resource_already_exists", "identifier",
                    "An event already exists with identifier " + identifier + "."));
        }
        Event event = new Event(identifier, eventName, meter.id, customerId, value, timestamp, now);
        meter.events.add(event);
        identifiers.remove(identifier); // re-insert at the tail so head-pruning stays ordered
        identifiers.put(identifier, now);
        if (value != null) {
            totals.merge(customerId + '\u0000' + eventName, value, Long::sum);
        }
        acceptedEvents++;
        return null;
    }

    // ------------------------------------------------------------------ v2 meter event streams

    static final long SESSION_MILLIS = 15 * 60 * 1000L;
    static final int MAX_STREAM_EVENTS = 100;
    private static final Set<String> STREAM_EVENT_PARAMS = Set.of("event_name", "identifier", "payload", "timestamp");
    private static final DateTimeFormatter V2_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private record Session(String id, long createdMillis, long expiresAtMillis) {
    }

    private record StreamEvent(String identifier, String eventName, Map<String, String> payload, long timestamp) {
    }

    /** Session token → session, oldest first; kept a day past expiry so an old token answers "expired". */
    private final LinkedHashMap<String, Session> sessions = new LinkedHashMap<>();
    private final List<MeterErrorReport> errorReports = new ArrayList<>();
    private long sessionsCreated;
    private long streamEventsReceived;
    private long streamDuplicates;
    private long sessionsExpiredAnswers;

    /**
     * Executes one authenticated v2 call ({@code credential} is the Bearer value: an API key, or a session token for
     * the stream). v2 bodies are JSON and its errors use the v2 shape. An Idempotency-Key is not replayed here: the
     * session endpoint makes a fresh session anyway and the stream is idempotent through its event identifiers.
     */
    synchronized Result handleV2(String method, String rawPath, Map<String, Object> body, String credential) {
        long nowMillis = clock.instant().toEpochMilli();
        prune(Math.floorDiv(nowMillis, 1000));
        pruneHead(sessions.values().iterator(),
                s -> nowMillis - s.expiresAtMillis() >= IDENTIFIER_WINDOW_SECONDS * 1000);
        try {
            Object answer;
            if ("POST".equals(method) && rawPath.equals("/v2/billing/meter_event_session")) {
                answer = createSession(body, credential, nowMillis);
            } else if ("POST".equals(method) && rawPath.equals("/v2/billing/meter_event_stream")) {
                answer = streamEvents(body, credential, nowMillis);
            } else {
                throw new StripeApiException(404, "invalid_request_error", "not_found", null,
                        "Unrecognized request URL (" + method + ": " + rawPath + ").");
            }
            return new Result(200, json.writeValueAsBytes(answer), false);
        } catch (StripeApiException e) {
            return new Result(e.status(), serialize(e.bodyV2()), false);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Map<String, Object> createSession(Map<String, Object> body, String credential, long nowMillis) {
        allowOnly(body, Set.of(), null);
        if (sessions.containsKey(credential)) {
            throw new StripeApiException(401, "invalid_request_error", "unauthorized", null,
                    "A meter event session token only authenticates the meter event stream; create sessions "
                            + "with a secret API key.");
        }
        String token = newId("mes_tok_test_", 40);
        Session session = new Session(newId("mes_test_", 24), nowMillis, nowMillis + SESSION_MILLIS);
        sessions.put(token, session);
        sessionsCreated++;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", session.id());
        m.put("object", "v2.billing.meter_event_session");
        m.put("authentication_token", token);
        m.put("created", V2_TIME.format(Instant.ofEpochMilli(session.createdMillis())));
        m.put("expires_at", V2_TIME.format(Instant.ofEpochMilli(session.expiresAtMillis())));
        m.put("livemode", false);
        return m;
    }

    /**
     * Takes 1..100 events. The request is checked whole before anything is recorded (a malformed one changes
     * nothing); each event is then validated as Stripe does after accepting: a duplicate identifier is ignored, any
     * other refusal becomes a {@link MeterErrorReport}, and the answer is {@code {}} either way.
     */
    private Map<String, Object> streamEvents(Map<String, Object> body, String token, long nowMillis) {
        Session session = sessions.get(token);
        if (session == null) {
            throw new StripeApiException(401, "invalid_request_error", "unauthorized", null,
                    "Invalid meter event session token. Create a session with POST /v2/billing/meter_event_session.");
        }
        if (nowMillis >= session.expiresAtMillis()) {
            sessionsExpiredAnswers++;
            throw StripeApiException.sessionExpired();
        }
        allowOnly(body, Set.of("events"), null);
        Object raw = body.get("events");
        if (raw == null) {
            throw StripeApiException.missingParam("events");
        }
        if (!(raw instanceof List<?> list) || list.isEmpty() || list.size() > MAX_STREAM_EVENTS) {
            throw StripeApiException.invalid("invalid_parameter", "events",
                    "Invalid events: must be an array of 1 to " + MAX_STREAM_EVENTS + " events.");
        }
        long now = Math.floorDiv(nowMillis, 1000);
        List<StreamEvent> events = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            events.add(streamEvent(list.get(i), "events[" + i + "]", now));
        }
        streamEventsReceived += events.size();
        for (StreamEvent e : events) {
            Rejection rejected = recordMeterEvent(e.identifier(), e.eventName(), e.payload(), e.timestamp(), now);
            if (rejected == null) {
                continue;
            }
            if (rejected.reportCode().equals(DUPLICATE)) {
                streamDuplicates++;
            } else {
                errorReports.add(new MeterErrorReport(e.identifier(), e.eventName(), rejected.reportCode(),
                        rejected.error().getMessage()));
            }
        }
        return Map.of();
    }

    @SuppressWarnings("unchecked")
    private static StreamEvent streamEvent(Object raw, String at, long now) {
        if (!(raw instanceof Map<?, ?> map)) {
            throw StripeApiException.invalid("invalid_parameter", at, "Invalid " + at + ": must be an object.");
        }
        Map<String, Object> event = (Map<String, Object>) map;
        allowOnly(event, STREAM_EVENT_PARAMS, at);
        String eventName = requireString(event, "event_name", at + "[event_name]");
        String identifier = optString(event, "identifier", at + "[identifier]");
        if (identifier == null || identifier.isEmpty()) {
            identifier = UUID.randomUUID().toString();
        } else if (identifier.length() > 100) {
            throw StripeApiException.invalid("invalid_string_length", at + "[identifier]",
                    "Invalid " + at + "[identifier]: must be at most 100 characters.");
        }
        if (!(event.get("payload") instanceof Map<?, ?> payload) || payload.isEmpty()) {
            throw StripeApiException.missingParam(at + "[payload]");
        }
        Map<String, String> payloadStrings = new LinkedHashMap<>();
        for (Map.Entry<?, ?> p : payload.entrySet()) {
            if (!(p.getValue() instanceof String value)) {
                throw StripeApiException.invalid("parameter_invalid_string", at + "[payload][" + p.getKey() + "]",
                        "Invalid " + at + "[payload][" + p.getKey() + "]: must be a string.");
            }
            payloadStrings.put(String.valueOf(p.getKey()), value);
        }
        String time = optString(event, "timestamp", at + "[timestamp]");
        long timestamp = now;
        if (time != null) {
            try {
                timestamp = OffsetDateTime.parse(time).toEpochSecond();
            } catch (DateTimeParseException e) {
                throw StripeApiException.invalid("invalid_parameter", at + "[timestamp]",
                        "Invalid " + at + "[timestamp]: must be an RFC 3339 timestamp.");
            }
        }
        return new StreamEvent(identifier, eventName, payloadStrings, timestamp);
    }

    synchronized long sessionsCreated() {
        return sessionsCreated;
    }

    synchronized long streamEventsReceived() {
        return streamEventsReceived;
    }

    synchronized long streamDuplicates() {
        return streamDuplicates;
    }

    synchronized long sessionsExpiredAnswers() {
        return sessionsExpiredAnswers;
    }

    synchronized List<MeterErrorReport> errorReports() {
        return List.copyOf(errorReports);
    }

    // ------------------------------------------------------------------ summaries

    private static final Set<String> SUMMARY_PARAMS = Set.of("customer", "start_time", "end_time",
            "value_grouping_window", "limit", "starting_after", "ending_before", "expand");

    private Map<String, Object> eventSummaries(String meterId, Map<String, Object> params) {
        Meter meter = meter(meterId);
        allowOnly(params, SUMMARY_PARAMS, null);
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
        if (!customers.containsKey(customer)) {
            throw StripeApiException.invalid("resource_missing", "customer", "No such customer: '" + customer + "'");
        }
        List<Map<String, Object>> all = new ArrayList<>();
        if (step == 0) {
            all.add(summary(meter, customer, start, end));
        } else {
            if ((end - start) / step > 10_000) {
                throw StripeApiException.invalid(null, "end_time", "The requested time range is too large.");
            }
            for (long s = start; s < end; s += step) {
                all.add(summary(meter, customer, s, Math.min(s + step, end)));
            }
            Collections.reverse(all); // newest window first, like Stripe lists
        }
        return page("/v1/billing/meters/" + meter.id + "/event_summaries", all, params);
    }

    private static void requireAligned(String param, long value, long unit, String window) {
        if (value % unit != 0) {
            String boundary = unit == 60 ? "minute" : window.equals("hour") ? "hour" : "day (00:00 UTC)";
            throw StripeApiException.invalid(null, param,
                    param + " must be aligned with " + boundary + " boundaries.");
        }
    }

    private Map<String, Object> summary(Meter meter, String customer, long start, long end) {
        long aggregated = 0;
        Event last = null;
        for (Event e : meter.events) {
            if (!e.customer().equals(customer) || e.timestamp() < start || e.timestamp() >= end) {
                continue;
            }
            switch (meter.formula) {
                case "count" -> aggregated++;
                case "sum" -> aggregated += e.value();
                default -> {
                    if (last == null || e.timestamp() >= last.timestamp()) {
                        last = e;
                    }
                }
            }
        }
        if (meter.formula.equals("last")) {
            aggregated = last == null ? 0 : last.value();
        }
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("id", "mtrusg_test_" + digest(meter.id + "|" + customer + "|" + start + "|" + end));
        s.put("object", "billing.meter_event_summary");
        s.put("aggregated_value", aggregated);
        s.put("end_time", end);
        s.put("livemode", false);
        s.put("meter", meter.id);
        s.put("start_time", start);
        return s;
    }

    // ------------------------------------------------------------------ helpers

    /** Stripe list pagination over {@code all} (already in list order): limit 1..100 (default 10), cursors. */
    private static Map<String, Object> page(String url, List<Map<String, Object>> all, Map<String, Object> params) {
        Long limitParam = optLong(params, "limit");
        long limit = limitParam == null ? 10 : limitParam;
        if (limit < 1 || limit > 100) {
            throw StripeApiException.invalid(null, "limit",
                    "Invalid limit: must be between 1 and 100, got " + limit + ".");
        }
        String after = optString(params, "starting_after");
        String before = optString(params, "ending_before");
        List<Map<String, Object>> data;
        boolean hasMore;
        if (before != null && !before.isEmpty()) {
            int idx = indexOf(all, before, "ending_before");
            int from = (int) Math.max(0, idx - limit);
            data = all.subList(from, idx);
            hasMore = from > 0;
        } else {
            int from = after == null || after.isEmpty() ? 0 : indexOf(all, after, "starting_after") + 1;
            int to = (int) Math.min(all.size(), from + limit);
            data = all.subList(from, to);
            hasMore = to < all.size();
        }
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("object", "list");
        list.put("data", new ArrayList<>(data));
        list.put("has_more", hasMore);
        list.put("url", url);
        return list;
    }

    private static int indexOf(List<Map<String, Object>> all, String id, String param) {
        for (int i = 0; i < all.size(); i++) {
            if (id.equals(all.get(i).get("id"))) {
                return i;
            }
        }
        throw StripeApiException.invalid("resource_missing", param, "No such object: '" + id + "'");
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private String newId(String prefix, int len) {
        StringBuilder sb = new StringBuilder(prefix);
        for (int i = 0; i < len; i++) {
            sb.append(ALPHANUM.charAt(random.nextInt(ALPHANUM.length())));
        }
        return sb.toString();
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
