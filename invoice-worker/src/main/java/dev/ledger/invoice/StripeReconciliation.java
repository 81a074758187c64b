package dev.ledger.invoice;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.net.ApiResource;
import com.stripe.net.StripeResponse;
import dev.ledger.core.messages.LedgerJson;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reconciliation pass: Stripe retries a webhook for three days and in rare cases an event's webhook never comes,
 * so the worker does not trust delivery alone. Each pass lists Stripe's invoice events ({@code GET /v1/events},
 * {@code type=invoice.*}) created since its last complete pass less {@link #MARGIN} (at most Stripe's 30 days of
 * events back), and submits every one whose id is not in the chain yet to the ledger's {@code POST /v1/stripe-events}.
 * The ledger records it exactly as its webhook would have been (one entry per event id, whichever came first), so it
 * reaches the projection and dunning the usual way, through the chain. A pass that could not finish (Stripe or the
 * ledger did not answer) leaves its starting point where it was, and the next pass reads the same events again.
 */
final class StripeReconciliation {

    private static final Logger log = LoggerFactory.getLogger(StripeReconciliation.class);
    /** Events created shortly before a pass started may be listed only after it: read them again. */
    static final Duration MARGIN = Duration.ofHours(1);
    /** Stripe keeps events for 30 days. */
    static final Duration RETENTION = Duration.ofDays(30);
    private static final int PAGE = 100;

    private final DataSource database;
    private final StripeClient stripe;
    private final LedgerCalls ledger;
    private final Clock clock;
    private final MeterRegistry registry;
    private final AtomicLong lastComplete = new AtomicLong();

    StripeReconciliation(DataSource database, StripeClient stripe, LedgerCalls ledger, Clock clock, MeterRegistry registry) {
        this.database = database;
        this.stripe = stripe;
        this.ledger = ledger;
        this.clock = clock;
        this.registry = registry;
        Gauge.builder("invoice_worker_reconcile_last_complete_seconds", lastComplete, AtomicLong::get)
                .description("When the last complete reconciliation pass started (Unix seconds; 0: none since start)")
                .register(registry);
    }

    /** A client for the pass: stripe-java with its own retries off (the pass itself is retried). */
    static StripeClient client(String apiKey, String apiBase) {
        StripeClient.StripeClientBuilder builder = StripeClient.builder().setApiKey(apiKey).setMaxNetworkRetries(0)
                .setConnectTimeout(10_000).setReadTimeout(30_000);
        if (apiBase != null) {
            builder.setApiBase(apiBase);
        }
        return builder.build();
    }

    /** What one pass did. */
    record Report(boolean complete, int listed, int submitted, int recorded) {
    }

    /** One pass; answers what it did (also counted in {@code invoice_worker_reconciled_events_total}). */
    synchronized Report run() {
        Instant started = clock.instant();
        Instant from;
        try {
            from = from(started);
        } catch (SQLException e) {
            log.warn("reconciliation: could not read where it stands (SQL state {})", e.getSQLState());
            return new Report(false, 0, 0, 0);
        }
        List<JsonNode> listed = new ArrayList<>();
        try {
            String after = null;
            do {
                JsonNode page = page(from.getEpochSecond(), after);
                after = null;
                for (JsonNode event : page.path("data")) {
                    listed.add(event);
                    after = event.path("id").asText();
                }
                if (!page.path("has_more").asBoolean(false)) {
                    after = null;
                }
            } while (after != null);
        } catch (StripeException | IOException e) {
            count("unlisted");
            log.warn("reconciliation: Stripe's events could not be listed ({}); the next pass reads them again",
                    e instanceof StripeException se ? se.getStatusCode() + " " + se.getCode() : e.getClass().getSimpleName());
            return new Report(false, 0, 0, 0);
        }
        // oldest first, as they happened
        java.util.Collections.reverse(listed);
        Set<String> known;
        try {
            known = inChain(listed);
        } catch (SQLException e) {
            log.warn("reconciliation: could not read the projection's events (SQL state {})", e.getSQLState());
            return new Report(false, listed.size(), 0, 0);
        }
        int submitted = 0;
        int recorded = 0;
        for (JsonNode event : listed) {
            String id = event.path("id").asText();
            if (known.contains(id)) {
                continue;
            }
            byte[] json;
            try {
                json = LedgerJson.mapper().writeValueAsBytes(event);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            LedgerCalls.Answer answer = ledger.submitStripeEvent(json);
            submitted++;
            switch (answer.outcome()) {
                case DONE -> {
                    count(answer.result() == null ? "recorded" : answer.result());
                    if ("recorded".equals(answer.result())) {
                        recorded++;
                        log.info("reconciliation: Stripe event {} ({}) recovered, its webhook had not come",
                                id, event.path("type").asText());
                    }
                }
                case RETRY, STALE -> {
                    count("retry");
                    log.warn("reconciliation: the ledger did not take event {} ({} {}); the next pass tries again", id,
                            answer.status(), answer.code());
                    return new Report(false, listed.size(), submitted, recorded);
                }
                case REFUSED -> {
                    count("refused");
                    log.error("reconciliation: the ledger refused Stripe event {} ({} {}); check the worker's service key",
                            id, answer.status(), answer.code());
                    return new Report(false, listed.size(), submitted, recorded);
                }
            }
        }
        try {
            complete(started, from);
        } catch (SQLException e) {
            log.warn("reconciliation: pass done but not noted (SQL state {}); the next reads the same events", e.getSQLState());
            return new Report(false, listed.size(), submitted, recorded);
        }
        lastComplete.set(started.getEpochSecond());
        return new Report(true, listed.size(), submitted, recorded);
    }

    private void count(String outcome) {
        Counter.builder("invoice_worker_reconciled_events_total")
                .description("Stripe invoice events the reconciliation pass submitted (recorded: its webhook never came), "
                        + "or could not list or submit")
                .tag("outcome", outcome.toLowerCase(Locale.ROOT)).register(registry).increment();
    }

    /** Where this pass starts listing: the last complete pass's start less the margin, within Stripe's retention. */
    private Instant from(Instant now) throws SQLException {
        Instant floor = now.minus(RETENTION);
        try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select pass_started from invoice_worker_reconcile_pass"); ResultSet rs = ps.executeQuery()) {
            if (!rs.next()) {
                return floor;
            }
            Instant from = rs.getTimestamp(1).toInstant().minus(MARGIN);
            return from.isBefore(floor) ? floor : from;
        }
    }

    private JsonNode page(long createdFrom, String after) throws StripeException, IOException {
        StringBuilder url = new StringBuilder("/v1/events?type=").append(URLEncoder.encode("invoice.*", StandardCharsets.UTF_8))
                .append("&").append(URLEncoder.encode("created[gte]", StandardCharsets.UTF_8)).append("=").append(createdFrom)
                .append("&limit=").append(PAGE);
        if (after != null) {
            url.append("&starting_after=").append(URLEncoder.encode(after, StandardCharsets.UTF_8));
        }
        StripeResponse response = stripe.rawRequest(ApiResource.RequestMethod.GET, url.toString(), null);
        return LedgerJson.mapper().readTree(response.body());
    }

    private Set<String> inChain(List<JsonNode> events) throws SQLException {
        Set<String> known = new HashSet<>();
        if (events.isEmpty()) {
            return known;
        }
        String[] ids = events.stream().map(e -> e.path("id").asText()).toArray(String[]::new);
        try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement(
                "select distinct event_id from invoice_worker_invoice_event where event_id = any(?)")) {
            Array array = c.createArrayOf("varchar", ids);
            ps.setArray(1, array);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    known.add(rs.getString(1));
                }
            }
        }
        return known;
    }

    private void complete(Instant started, Instant from) throws SQLException {
        try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement(
                "insert into invoice_worker_reconcile_pass (id, listed_from, pass_started) values (true, ?, ?) "
                        + "on conflict (id) do update set listed_from = excluded.listed_from, pass_started = excluded.pass_started")) {
            ps.setTimestamp(1, Timestamp.from(from));
            ps.setTimestamp(2, Timestamp.from(started));
            ps.executeUpdate();
        }
    }
}
