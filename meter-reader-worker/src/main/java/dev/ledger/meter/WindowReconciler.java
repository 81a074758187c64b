package dev.ledger.meter;

import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stripe dedupes a meter event identifier for about 24 hours only. So every send is recorded before it is made, and
 * a window whose last recorded send is older than {@code reconcileAfter} (20 h by default) is not sent again blindly:
 * Stripe's meter event summary of the minute its event was filed under decides first. With the units Stripe is known
 * to hold there (K) and those of windows sent there but unconfirmed (U, this one included):
 * Stripe holding K + U means this window's event arrived (it moves on as delivered); K means it did not (it is sent,
 * opening a new identifier window); anything else needs a person (parked as {@code reconcile_mismatch}).
 */
final class WindowReconciler {

    private static final Logger log = LoggerFactory.getLogger(WindowReconciler.class);

    /** What to do with a closed window before calling Stripe. */
    sealed interface Step {
        /** Send it (the send is recorded). */
        record Send(MeterReport report) implements Step {
        }

        /** Stripe already holds its event: mark it delivered without sending. */
        record AlreadyDelivered(MeterReport report) implements Step {
        }

        /** Neither now: retry later or park, as the delivery says. */
        record NotNow(MeterReport report, Delivery outcome) implements Step {
        }

        /** Someone else moved the window on meanwhile. */
        record Gone() implements Step {
        }
    }

    private final StripeMeters stripe;
    private final MeterReaderStore store;
    private final MeterReaderMetrics metrics;
    private final Duration reconcileAfter;

    WindowReconciler(StripeMeters stripe, MeterReaderStore store, MeterReaderMetrics metrics, Duration reconcileAfter) {
        this.stripe = stripe;
        this.store = store;
        this.metrics = metrics;
        this.reconcileAfter = reconcileAfter;
    }

    /**
     * Whether the report's identifier window (opened at its {@code sentAt}) is recent enough at {@code now} for a
     * send without asking Stripe first.
     */
    boolean mayStillSend(MeterReport report, Instant now) {
        return report.sentAt() == null || !report.sentAt().isBefore(now.minus(reconcileAfter));
    }

    Step beforeSend(MeterReport report, Instant now) throws SQLException {
        if (mayStillSend(report, now)) {
            MeterReport marked = store.markSending(report, now, false);
            return marked == null ? new Step.Gone() : new Step.Send(marked);
        }
        // The minute Stripe filed the first send under (the event time is fixed by the first send).
        Instant at = StripeMeters.eventTime(report, now);
        Instant from = Instant.ofEpochSecond(Math.floorDiv(at.getEpochSecond(), 60) * 60);
        Instant to = from.plusSeconds(60);
        StripeMeters.Summary summary = stripe.summary(report.window().meter(), report.stripeCustomerId(), from, to);
        if (summary.failure() != null) {
            return new Step.NotNow(report, summary.failure());
        }
        MeterReaderStore.SpanUnits others = store.spanUnits(report, from, to);
        long known = others.delivered();
        long sentUnconfirmed = others.uncertain() + report.quantity();
        if (summary.aggregated() == known + sentUnconfirmed) {
            metrics.windowReconciled("present");
            log.info("window {} was first sent {}: Stripe holds its event, not sending it again", report.identifier(),
                    report.firstSentAt());
            return new Step.AlreadyDelivered(report);
        }
        if (summary.aggregated() == known) {
            MeterReport marked = store.markSending(report, now, true);
            if (marked == null) {
                return new Step.Gone();
            }
            metrics.windowReconciled("missing");
            log.warn("window {} was last sent {}: Stripe does not hold its event, sending it again", report.identifier(),
                    report.sentAt());
            return new Step.Send(marked);
        }
        metrics.windowReconciled("mismatch");
        return new Step.NotNow(report, new Delivery.Park("reconcile_mismatch: Stripe's summary of " + from + ".." + to
                + " holds " + summary.aggregated() + " units, expected " + known + " (event missing) or "
                + (known + sentUnconfirmed) + " (event held); check the meter events in Stripe before retrying"));
    }
}
