package dev.ledger.api.webhook;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.chain.Receipt;
import dev.ledger.api.chain.RequestDigest;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.IdempotencyKeys;
import dev.ledger.core.tenant.TenantCommand;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * What becomes of a Stripe event whose signature held: recorded once, as a {@code StripeEventRecorded} entry in the
 * chain of the tenant linked to its customer (the event id is the write's idempotency key, so a redelivery answers the
 * first receipt), or kept in {@code stripe_event_held} with the reason when no single tenant owns it. Nothing is
 * dropped: a held event stays visible ({@code GET /v1/webhooks/stripe/held}) until an operator acts on it.
 */
@Component
public class StripeEventIntake {

    /** Why an event is held instead of recorded. */
    public static final String UNKNOWN_CUSTOMER = "unknown_customer";
    public static final String AMBIGUOUS_CUSTOMER = "ambiguous_customer";
    public static final String NO_CUSTOMER = "no_customer";
    public static final String ENTRY_TOO_LARGE = "entry_too_large";
    /** A thin event (API v2, {@code object: v2.core.event}): it names its object instead of carrying it. */
    public static final String THIN_EVENT = "thin_event";

    /** A recorded event (its receipt; replayed when it was recorded before) or a held one (the reason). */
    public record Outcome(Receipt receipt, boolean replayed, String heldReason) {
    }

    /** The members of a Stripe event the ledger relies on, checked ({@code customer}: null when it names none). */
    record StripeEvent(String id, String type, long created, boolean livemode, String objectType, String objectId,
                       String customer, JsonNode data, boolean thin) {
    }

    private final LedgerWriter writer;
    private final JdbcTemplate jdbc;
    private final ObjectMapper json;
    private final Clock clock;

    public StripeEventIntake(LedgerWriter writer, JdbcTemplate jdbc, ObjectMapper json, Clock clock) {
        this.writer = writer;
        this.jdbc = jdbc;
        this.json = json;
        this.clock = clock;
    }

    /** A body read as a Stripe event: the event, or why it is not one. */
    record Parsed(StripeEvent event, String invalid, boolean notJson) {
        Parsed(StripeEvent event, String invalid) {
            this(event, invalid, false);
        }
    }

    /** The members the ledger relies on, checked; {@code invalid} names the first one that is not as Stripe sends it. */
    Parsed parse(byte[] body) {
        JsonNode event;
        try {
            event = json.readTree(body);
        } catch (java.io.IOException e) {
            return new Parsed(null, "the body is not valid JSON", true);
        }
        if (event == null || !event.isObject()) {
            return new Parsed(null, "the body is not a JSON object");
        }
        String id = text(event, "id");
        if (id == null || !id.matches("evt_[A-Za-z0-9_]{1,250}")) {
            return new Parsed(null, "id must be a Stripe event id (evt_…)");
        }
        String type = text(event, "type");
        if (type == null || !type.matches("[a-z0-9_.]{1,255}")) {
            return new Parsed(null, "type must be a Stripe event type");
        }
        if ("v2.core.event".equals(text(event, "object"))) {
            // a thin event: created is an RFC 3339 time, and there is no data.object (held, so Stripe stops retrying it)
            Instant at = instant(text(event, "created"));
            if (at == null) {
                return new Parsed(null, "created must be an RFC 3339 time");
            }
            JsonNode related = event.path("related_object");
            return new Parsed(new StripeEvent(id, type, at.getEpochSecond(), event.path("livemode").asBoolean(false),
                    text(related, "type"), text(related, "id"), null, null, true), null);
        }
        if (!"event".equals(text(event, "object"))) {
            return new Parsed(null, "object must be \"event\" (or \"v2.core.event\")");
        }
        JsonNode created = event.get("created");
        if (created == null || !created.canConvertToExactIntegral() || created.asLong() < 0) {
            return new Parsed(null, "created must be Unix seconds");
        }
        JsonNode data = event.get("data");
        JsonNode object = data == null ? null : data.get("object");
        if (object == null || !object.isObject()) {
            return new Parsed(null, "data.object must be an object");
        }
        String objectType = text(object, "object");
        String objectId = text(object, "id");
        String customer = "customer".equals(objectType) ? objectId : customerOf(object.get("customer"));
        return new Parsed(new StripeEvent(id, type, created.asLong(), event.path("livemode").asBoolean(false), objectType,
                objectId, customer, data, false), null);
    }

    /**
     * Records the held events of {@code customer} (those that waited for a tenant to own it) in that tenant's chain, in
     * the order they were received, and marks each released; answers how many. A tenant linked to the customer later
     * calls it, and so does every later event of the customer, so a failure here is retried by the next one.
     */
    public int releaseHeld(String customer) {
        List<Map<String, Object>> waiting = jdbc.queryForList("select event_id, event from stripe_event_held where customer_id = ? "
                + "and reason = ? and released_at is null order by received_at, event_id", customer, UNKNOWN_CUSTOMER);
        int released = 0;
        for (Map<String, Object> row : waiting) {
            Parsed parsed = parse((byte[]) row.get("event"));
            if (parsed.event() == null) {
                continue; // held rows were verified events; one that no longer reads stays held and listed
            }
            Outcome o = record(parsed.event(), (byte[]) row.get("event"), false);
            if (o.receipt() != null) {
                jdbc.update("update stripe_event_held set released_tenant = ?, released_sequence = ?, released_at = ? "
                        + "where event_id = ? and released_at is null", o.receipt().tenantId(), o.receipt().sequence(),
                        Timestamp.from(clock.instant()), parsed.event().id());
                released++;
            }
        }
        return released;
    }

    /** Records the event in its tenant's chain, or holds it; {@code body} is kept as received when held. */
    Outcome accept(StripeEvent event, byte[] body) {
        return record(event, body, true, "stripe");
    }

    /**
     * The same for an event a service read from Stripe's API because its webhook never came ({@code actor}: who
     * submitted it). The event id makes it one entry whichever way it came first.
     */
    Outcome recover(StripeEvent event, byte[] body, String actor) {
        return record(event, body, true, actor);
    }

    private Outcome record(StripeEvent event, byte[] body, boolean releaseEarlier) {
        return record(event, body, releaseEarlier, "stripe");
    }

    private Outcome record(StripeEvent event, byte[] body, boolean releaseEarlier, String actor) {
        if (event.thin()) {
            return hold(event, body, THIN_EVENT);
        }
        if (event.customer() == null) {
            return hold(event, body, NO_CUSTOMER);
        }
        List<String> tenants = jdbc.queryForList("select tenant_id from tenant where stripe_customer_id = ? order by tenant_id",
                String.class, event.customer());
        if (tenants.isEmpty()) {
            return hold(event, body, UNKNOWN_CUSTOMER);
        }
        if (tenants.size() > 1) {
            return hold(event, body, AMBIGUOUS_CUSTOMER);
        }
        if (releaseEarlier) {
            releaseHeld(event.customer()); // events that waited for this tenant come first, in the order received
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> data = json.convertValue(event.data(), Map.class);
        TenantCommand.RecordStripeEvent command = new TenantCommand.RecordStripeEvent(event.id(), event.type(),
                Instant.ofEpochSecond(event.created()).toString(), event.livemode(), event.objectType(), event.objectId(), data);
        try {
            LedgerWriter.Written written = writer.append(tenants.get(0), new LedgerWriter.Write(command,
                    IdempotencyKeys.server("stripe-event", event.id()), RequestDigest.of(command), actor, null, null));
            return new Outcome(written.receipt(), written.replayed(), null);
        } catch (ApiProblem p) {
            if (p.code().equals(ENTRY_TOO_LARGE)) {
                return hold(event, body, ENTRY_TOO_LARGE);
            }
            throw p;
        }
    }

    /** The events still held, oldest first, without their bodies. */
    public List<Map<String, Object>> held(int limit) {
        return jdbc.queryForList("select event_id, event_type, customer_id, reason, received_at, length(event) as bytes "
                + "from stripe_event_held where released_at is null order by received_at, event_id limit ?", limit);
    }

    private Outcome hold(StripeEvent event, byte[] body, String reason) {
        // once per event id: a redelivery of a held event changes nothing
        jdbc.update("insert into stripe_event_held (event_id, event_type, customer_id, reason, event, received_at) "
                        + "values (?, ?, ?, ?, ?, ?) on conflict (event_id) do nothing",
                event.id(), event.type(), event.customer(), reason, body, Timestamp.from(clock.instant()));
        String stored = jdbc.queryForObject("select reason from stripe_event_held where event_id = ?", String.class, event.id());
        return new Outcome(null, false, stored);
    }


    private static String customerOf(JsonNode customer) {
        if (customer == null) {
            return null;
        }
        if (customer.isTextual()) {
            return customer.asText();
        }
        return customer.isObject() ? text(customer, "id") : null; // an expanded customer
    }

    private static Instant instant(String s) {
        if (s == null) {
            return null;
        }
        try {
            return java.time.OffsetDateTime.parse(s).toInstant();
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    private static String text(JsonNode node, String member) {
        JsonNode v = node.get(member);
        return v != null && v.isTextual() ? v.asText() : null;
    }
}
