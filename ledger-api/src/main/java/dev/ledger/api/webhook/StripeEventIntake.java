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

    /** A recorded event (its receipt; replayed when it was recorded before) or a held one (the reason). */
    public record Outcome(Receipt receipt, boolean replayed, String heldReason) {
    }

    /** The members of a Stripe event the ledger relies on, checked ({@code customer}: null when it names none). */
    record StripeEvent(String id, String type, long created, boolean livemode, String objectType, String objectId,
                       String customer, JsonNode data) {
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

    /** Records the event in its tenant's chain, or holds it; {@code body} is kept as received when held. */
    Outcome accept(StripeEvent event, byte[] body) {
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
        @SuppressWarnings("unchecked")
        Map<String, Object> data = json.convertValue(event.data(), Map.class);
        TenantCommand.RecordStripeEvent command = new TenantCommand.RecordStripeEvent(event.id(), event.type(),
                Instant.ofEpochSecond(event.created()).toString(), event.livemode(), event.objectType(), event.objectId(), data);
        try {
            LedgerWriter.Written written = writer.append(tenants.get(0), new LedgerWriter.Write(command,
                    IdempotencyKeys.server("stripe-event", event.id()), RequestDigest.of(command), "stripe", null, null));
            return new Outcome(written.receipt(), written.replayed(), null);
        } catch (ApiProblem p) {
            if (p.code().equals(ENTRY_TOO_LARGE)) {
                return hold(event, body, ENTRY_TOO_LARGE);
            }
            throw p;
        }
    }

    /** The held events, oldest first, without their bodies. */
    public List<Map<String, Object>> held(int limit) {
        return jdbc.queryForList("select event_id, event_type, customer_id, reason, received_at, length(event) as bytes "
                + "from stripe_event_held order by received_at, event_id limit ?", limit);
    }

    private Outcome hold(StripeEvent event, byte[] body, String reason) {
        // once per event id: a redelivery of a held event changes nothing
        jdbc.update("insert into stripe_event_held (event_id, event_type, customer_id, reason, event, received_at) "
                        + "values (?, ?, ?, ?, ?, ?) on conflict (event_id) do nothing",
                event.id(), event.type(), event.customer(), reason, body, Timestamp.from(clock.instant()));
        String stored = jdbc.queryForObject("select reason from stripe_event_held where event_id = ?", String.class, event.id());
        return new Outcome(null, false, stored);
    }

}
