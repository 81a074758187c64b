package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.allowOnly;
import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.FormParams.requireString;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * v2 meter event sessions ({@code POST /v2/billing/meter_event_session}, with a secret key) and the stream
 * ({@code POST /v2/billing/meter_event_stream}, with a session's token). A session lasts 15 minutes of the emulator's
 * clock. Stream events are recorded in {@link MeterEvents} after the request is accepted, as Stripe does: a
 * duplicate is ignored, any other refusal becomes a {@link MeterErrorReport}.
 */
final class MeterEventStreams implements StripeResource {
    static final String STREAM_PATH = "/v2/billing/meter_event_stream";
    static final long SESSION_MILLIS = 15 * 60 * 1000L;
    /** An expired token is remembered this long, so it answers "expired" rather than "invalid". */
    static final long EXPIRED_SESSION_KEPT_MILLIS = 24 * 3600 * 1000L;
    static final int MAX_STREAM_EVENTS = 100;
    private static final Set<String> EVENT_PARAMS = Set.of("event_name", "identifier", "payload", "timestamp");
    private static final DateTimeFormatter V2_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private record Session(String id, long createdMillis, long expiresAtMillis) {
    }

    private record StreamEvent(String identifier, String eventName, Map<String, String> payload, long timestamp) {
    }

    private final MeterEvents events;
    private final MeterErrorReports reports;
    /** Session token → session, oldest first. */
    private final LinkedHashMap<String, Session> sessions = new LinkedHashMap<>();
    private long sessionsCreated;
    private long eventsReceived;
    private long duplicates;
    private long expiredAnswers;

    MeterEventStreams(MeterEvents events, MeterErrorReports reports) {
        this.events = events;
        this.reports = reports;
    }

    @Override
    public void routes(Router router) {
        router.post("/v2/billing/meter_event_session", this::createSession);
        router.post(STREAM_PATH, this::stream).answersCanBeLost();
    }

    @Override
    public void expire(Instant now) {
        long nowMillis = now.toEpochMilli();
        Iterator<Session> it = sessions.values().iterator();
        while (it.hasNext() && nowMillis - it.next().expiresAtMillis() >= EXPIRED_SESSION_KEPT_MILLIS) {
            it.remove();
        }
    }

    long sessionsCreated() {
        return sessionsCreated;
    }

    long eventsReceived() {
        return eventsReceived;
    }

    long duplicates() {
        return duplicates;
    }

    /** Stream calls answered 401 because their session had expired. */
    long expiredAnswers() {
        return expiredAnswers;
    }

    private Map<String, Object> createSession(ApiCall call) {
        allowOnly(call.params(), Set.of(), null);
        if (sessions.containsKey(call.credential())) {
            throw new StripeApiException(401, "invalid_request_error", "unauthorized", null,
                    "A meter event session token only authenticates the meter event stream; create sessions "
                            + "with a secret API key.");
        }
        long nowMillis = call.nowMillis();
        String token = Wire.newId("mes_tok_test_", 40);
        Session session = new Session(Wire.newId("mes_test_", 24), nowMillis, nowMillis + SESSION_MILLIS);
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
     * nothing); each event is then validated as Stripe does after accepting, and the answer is {@code {}} either way.
     */
    private Map<String, Object> stream(ApiCall call) {
        Session session = sessions.get(call.credential());
        if (session == null) {
            throw new StripeApiException(401, "invalid_request_error", "unauthorized", null,
                    "Invalid meter event session token. Create a session with POST /v2/billing/meter_event_session.");
        }
        if (call.nowMillis() >= session.expiresAtMillis()) {
            expiredAnswers++;
            throw StripeApiException.sessionExpired();
        }
        Map<String, Object> body = call.params();
        allowOnly(body, Set.of("events"), null);
        Object raw = body.get("events");
        if (raw == null) {
            throw StripeApiException.missingParam("events");
        }
        if (!(raw instanceof List<?> list) || list.isEmpty() || list.size() > MAX_STREAM_EVENTS) {
            throw StripeApiException.invalid("invalid_parameter", "events",
                    "Invalid events: must be an array of 1 to " + MAX_STREAM_EVENTS + " events.");
        }
        long now = call.nowSeconds();
        List<StreamEvent> batch = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            batch.add(streamEvent(list.get(i), "events[" + i + "]", now));
        }
        eventsReceived += batch.size();
        List<MeterErrorReports.Refused> refused = new ArrayList<>();
        for (StreamEvent e : batch) {
            MeterEvents.Rejection rejected = events.record(e.identifier(), e.eventName(), e.payload(), e.timestamp(),
                    now);
            if (rejected == null) {
                continue;
            }
            if (rejected.duplicate()) {
                duplicates++;
            } else {
                refused.add(rejected.refused(e.identifier(), e.eventName()));
            }
        }
        reports.file(refused, call.now());
        return Map.of();
    }

    @SuppressWarnings("unchecked")
    private static StreamEvent streamEvent(Object raw, String at, long now) {
        if (!(raw instanceof Map<?, ?> map)) {
            throw StripeApiException.invalid("invalid_parameter", at, "Invalid " + at + ": must be an object.");
        }
        Map<String, Object> event = (Map<String, Object>) map;
        allowOnly(event, EVENT_PARAMS, at);
        String eventName = requireString(event, "event_name", at + "[event_name]");
        String identifier = optString(event, "identifier", at + "[identifier]");
        if (identifier == null || identifier.isEmpty()) {
            identifier = UUID.randomUUID().toString();
        } else if (identifier.length() > MeterEvents.MAX_IDENTIFIER_LENGTH) {
            throw StripeApiException.invalid("invalid_string_length", at + "[identifier]",
                    "Invalid " + at + "[identifier]: must be at most " + MeterEvents.MAX_IDENTIFIER_LENGTH
                            + " characters.");
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
}
