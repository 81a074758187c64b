package dev.ledger.meter;

import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.exception.TemporarySessionExpiredException;
import com.stripe.model.v2.billing.MeterEventSession;
import com.stripe.param.v2.billing.MeterEventStreamCreateParams;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Closed windows to Stripe on the v2 meter event stream ({@code METER_EVENTS_MODE=v2}): up to 100 events per call,
 * each carrying its window's deterministic identifier, so a resent event is ignored by Stripe. The stream is
 * authenticated by a 15-minute session, created when there is first something to send and renewed a minute before
 * it runs out, or at once when Stripe answers 401 (its clock is the one that counts).
 *
 * <p>Stripe answers a stream call before it validates the events and drops the ones it refuses, so what it could
 * refuse later is checked here first: the meter exists and the customer exists. Those answers are cached for one
 * session: a meter or customer removed behind our back is noticed at the next session, and events Stripe drops in
 * between show only in Stripe's meter error reports. Outcomes are the v1 ones: 429, 5xx, timeouts and 409 retry;
 * any other 4xx parks.
 *
 * <p>Used by the reporter thread only.
 */
final class MeterEventStream {

    static final int MAX_EVENTS = 100;
    /** Renew this long before the session's end, so no call goes out with a token about to lapse. */
    static final Duration RENEW_MARGIN = Duration.ofMinutes(1);
    /** Stripe's documented lifetime, for a session answer without both timestamps. */
    private static final Duration SESSION_LIFETIME = Duration.ofMinutes(15);

    private record Session(StripeClient stream, Instant renewAt) {
    }

    private final MeterReaderConfig config;
    private final StripeMeters stripe;
    private final MeterReaderMetrics metrics;
    private final Clock clock;
    private Session session;

    MeterEventStream(MeterReaderConfig config, StripeMeters stripe, MeterReaderMetrics metrics, Clock clock) {
        this.config = config;
        this.stripe = stripe;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Sends closed windows; answers every report's outcome by its identifier. */
    Map<String, Delivery> send(List<MeterReport> closed) {
        Map<String, Delivery> outcomes = new HashMap<>();
        if (closed.isEmpty()) {
            return outcomes;
        }
        Delivery ready = ensureSession();
        if (!(ready instanceof Delivery.Done)) {
            closed.forEach(r -> outcomes.put(r.identifier(), ready));
            return outcomes;
        }
        List<MeterReport> checked = new ArrayList<>();
        for (MeterReport r : closed) {
            Delivery known = stripe.ensureMeter(r.window().meter());
            if (known instanceof Delivery.Done) {
                known = stripe.ensureCustomer(r.stripeCustomerId());
            }
            if (known instanceof Delivery.Done) {
                checked.add(r);
            } else {
                outcomes.put(r.identifier(), known);
            }
        }
        for (int from = 0; from < checked.size(); from += MAX_EVENTS) {
            List<MeterReport> batch = checked.subList(from, Math.min(from + MAX_EVENTS, checked.size()));
            Delivery sent = sendBatch(batch);
            if (sent instanceof Delivery.Park && batch.size() > 1) {
                // A refused request must not park the windows that merely shared it: send each alone.
                for (MeterReport r : batch) {
                    outcomes.put(r.identifier(), sendBatch(List.of(r)));
                }
            } else {
                batch.forEach(r -> outcomes.put(r.identifier(), sent));
            }
        }
        return outcomes;
    }

    private Delivery sendBatch(List<MeterReport> batch) {
        Instant now = clock.instant();
        MeterEventStreamCreateParams.Builder params = MeterEventStreamCreateParams.builder();
        for (MeterReport r : batch) {
            params.addEvent(MeterEventStreamCreateParams.Event.builder()
                    .setEventName(r.window().meter())
                    .setIdentifier(r.identifier())
                    .setTimestamp(StripeMeters.eventTime(r, now))
                    .putPayload("stripe_customer_id", r.stripeCustomerId())
                    .putPayload("value", Long.toString(r.quantity()))
                    .build());
        }
        MeterEventStreamCreateParams request = params.build();
        for (int attempt = 1; ; attempt++) {
            Delivery ready = ensureSession();
            if (!(ready instanceof Delivery.Done)) {
                return ready;
            }
            long started = System.nanoTime();
            try {
                session.stream().v2().billing().meterEventStream().create(request);
                return Delivery.DONE;
            } catch (StripeException e) {
                if (!isUnauthorized(e)) {
                    return stripe.failure("meter_event_stream", e);
                }
                // Expired (or revoked) by Stripe's reckoning: a fresh session, and the same events once more.
                session = null;
                boolean expired = isExpired(e);
                metrics.stripeError("meter_event_stream", expired ? "session_expired" : "401");
                if (attempt > 1) {
                    return expired ? new Delivery.Retry("stripe meter_event_stream: session expired again at once")
                            : stripe.failure("meter_event_stream", e);
                }
            } finally {
                metrics.stripeCall("meter_event_stream", Duration.ofNanos(System.nanoTime() - started));
            }
        }
    }

    /** Keeps a session that is not about to expire, creating one when needed. */
    private Delivery ensureSession() {
        Instant now = clock.instant();
        if (session != null && now.isBefore(session.renewAt())) {
            return Delivery.DONE;
        }
        long started = System.nanoTime();
        try {
            MeterEventSession created = stripe.client().v2().billing().meterEventSession().create();
            // The lifetime Stripe grants, counted on our clock from before the call: clock skew cannot stretch it.
            Duration lifetime = created.getCreated() != null && created.getExpiresAt() != null
                    ? Duration.between(created.getCreated(), created.getExpiresAt()) : SESSION_LIFETIME;
            session = new Session(StripeMeters.client(config, created.getAuthenticationToken()),
                    now.plus(lifetime).minus(RENEW_MARGIN));
            stripe.forgetKnown();
            metrics.meterEventSessionCreated();
            return Delivery.DONE;
        } catch (StripeException e) {
            return stripe.failure("meter_event_session", e);
        } finally {
            metrics.stripeCall("meter_event_session", Duration.ofNanos(System.nanoTime() - started));
        }
    }

    private static boolean isUnauthorized(StripeException e) {
        return e instanceof TemporarySessionExpiredException || e.getStatusCode() != null && e.getStatusCode() == 401;
    }

    private static boolean isExpired(StripeException e) {
        return e instanceof TemporarySessionExpiredException
                || "billing_meter_event_session_expired".equals(e.getCode());
    }
}
