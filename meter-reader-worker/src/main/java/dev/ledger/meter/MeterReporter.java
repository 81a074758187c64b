package dev.ledger.meter;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers closed windows of the tenants on this instance's partitions: one Stripe meter event each (one call per
 * window in v1 mode, stream calls of up to 100 in v2 mode), then a usage report back to the ledger. Also creates the
 * Stripe customer of a tenant registered without one. Progress lives in the window rows, so a restart or another
 * instance picks up where this one stopped.
 */
final class MeterReporter implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(MeterReporter.class);
    private static final int BATCH = 100;
    private static final long IDLE_MILLIS = 200;

    private final MeterReaderStore store;
    private final StripeMeters stripe;
    /** Null in v1 mode. */
    private final MeterEventStream stream;
    private final LedgerWriteBack ledger;
    private final MeterReaderMetrics metrics;
    private final Backoff backoff;
    private final Supplier<Set<Integer>> ownedPartitions;
    private final Clock clock;
    private final WindowReconciler reconciler;
    /** Send only windows a verified checkpoint covers (METER_READER_REQUIRE_CHECKPOINT). */
    private final boolean witnessedOnly;
    /** Customer provisioning backoff is per instance: losing it on restart only means one early retry. */
    private final Map<String, Instant> customerRetryAt = new HashMap<>();
    private final Map<String, Integer> customerAttempts = new HashMap<>();
    /** Customers created in Stripe whose link to the ledger has not been accepted yet. */
    private final Map<String, String> createdCustomers = new HashMap<>();
    private volatile boolean running = true;

    MeterReporter(MeterReaderStore store, StripeMeters stripe, MeterEventStream stream, LedgerWriteBack ledger,
                  MeterReaderMetrics metrics, Backoff backoff, Supplier<Set<Integer>> ownedPartitions, Clock clock,
                  WindowReconciler reconciler, boolean witnessedOnly) {
        this.store = store;
        this.stripe = stripe;
        this.stream = stream;
        this.ledger = ledger;
        this.metrics = metrics;
        this.backoff = backoff;
        this.ownedPartitions = ownedPartitions;
        this.clock = clock;
        this.reconciler = reconciler;
        this.witnessedOnly = witnessedOnly;
    }

    void stop() {
        running = false;
    }

    @Override
    public void run() {
        while (running) {
            try {
                if (!reportOnce()) {
                    pause(IDLE_MILLIS);
                }
            } catch (SQLException | RuntimeException e) {
                log.warn("meter reports paused ({})", MeterReader.describe(e));
                pause(1_000);
            }
        }
    }

    /** One pass; answers whether there was anything to do. */
    boolean reportOnce() throws SQLException {
        Set<Integer> partitions = ownedPartitions.get();
        if (partitions.isEmpty()) {
            return false;
        }
        provisionCustomers(partitions);
        List<MeterReport> due = store.dueReports(partitions, clock.instant(), BATCH, witnessedOnly);
        // Every closed window's send is recorded before any call, and an old one is reconciled with Stripe first.
        List<MeterReport> ready = new ArrayList<>(due.size());
        Map<String, WindowReconciler.Step> steps = new HashMap<>();
        for (MeterReport report : due) {
            if (report.status() != MeterReport.Status.CLOSED) {
                ready.add(report);
                continue;
            }
            WindowReconciler.Step step = reconciler.beforeSend(report, clock.instant());
            steps.put(report.identifier(), step);
            if (step instanceof WindowReconciler.Step.Send send) {
                ready.add(send.report());
            }
        }
        // v2: the pass's closed windows go out together first; each then moves on by itself as in v1
        Map<String, Delivery> streamed = Map.of();
        if (stream != null) {
            Instant now = clock.instant();
            List<MeterReport> closed = new ArrayList<>();
            for (MeterReport report : ready) {
                if (steps.get(report.identifier()) instanceof WindowReconciler.Step.Send send) {
                    WindowReconciler.Step step = stillSendable(send, now);
                    steps.put(report.identifier(), step);
                    if (step == send) {
                        closed.add(report);
                    }
                }
            }
            streamed = stream.send(closed);
        }
        for (MeterReport report : due) {
            if (!running) {
                break; // a window streamed but not marked DELIVERED is streamed again: Stripe ignores the duplicate
            }
            WindowReconciler.Step step = steps.get(report.identifier());
            if (stream == null && step instanceof WindowReconciler.Step.Send send) {
                step = stillSendable(send, clock.instant());
            }
            switch (step) {
                case null -> deliver(report, null);
                case WindowReconciler.Step.Send send -> deliver(send.report(), streamed.get(report.identifier()));
                case WindowReconciler.Step.AlreadyDelivered held -> delivered(held.report());
                case WindowReconciler.Step.NotNow notNow -> failed(notNow.report(), notNow.outcome(), "stripe");
                case WindowReconciler.Step.Gone gone -> {
                    // another instance moved it on meanwhile
                }
            }
        }
        return !due.isEmpty();
    }

    /**
     * Whether a send decided earlier in this pass may still go out at {@code now}. Deciding every window before any
     * call means a pass held up by slow Stripe calls sends later than it decided; once the window's identifier has
     * been open longer than reconciliation allows, Stripe may have forgotten it, so the send is put off (the step
     * becomes a retry) and the next pass reconciles the window instead of sending it blindly.
     */
    private WindowReconciler.Step stillSendable(WindowReconciler.Step.Send send, Instant now) {
        if (reconciler.mayStillSend(send.report(), now)) {
            return send;
        }
        return new WindowReconciler.Step.NotNow(send.report(), new Delivery.Retry("the send decided for window "
                + send.report().identifier() + " came after its identifier window ran out; reconciling first"));
    }

    /** {@code streamed}: the outcome of the window's v2 stream call, or null to send it here as a v1 event. */
    private void deliver(MeterReport report, Delivery streamed) throws SQLException {
        MeterReport current = report;
        if (report.status() == MeterReport.Status.CLOSED) {
            Delivery sent = streamed != null ? streamed : stripe.sendMeterEvent(report, clock.instant());
            if (!(sent instanceof Delivery.Done)) {
                failed(report, sent, "stripe");
                return;
            }
            if (!store.advance(report, MeterReport.Status.DELIVERED, clock.instant())) {
                return; // another instance moved it on meanwhile
            }
            metrics.windowReported();
            log.info("reported {} = {} for tenant {} window {} to Stripe", report.window().meter(), report.quantity(),
                    report.window().tenantId(), report.window().start());
            current = report.withStatus(MeterReport.Status.DELIVERED);
        }
        writeBack(current);
    }

    /** Stripe held the window's event already (reconciled): on to the write-back without a call. */
    private void delivered(MeterReport report) throws SQLException {
        if (store.advance(report, MeterReport.Status.DELIVERED, clock.instant())) {
            writeBack(report.withStatus(MeterReport.Status.DELIVERED));
        }
    }

    private void writeBack(MeterReport current) throws SQLException {
        Delivery written = ledger.reportUsage(current);
        if (!(written instanceof Delivery.Done)) {
            failed(current, written, "write_back");
            return;
        }
        if (store.advance(current, MeterReport.Status.WRITTEN_BACK, clock.instant())) {
            metrics.windowWrittenBack();
        }
    }

    private void failed(MeterReport report, Delivery outcome, String stage) throws SQLException {
        int attempt = report.attempts() + 1;
        switch (outcome) {
            case Delivery.Retry retry -> {
                store.retryLater(report, clock.instant().plus(backoff.after(attempt)), retry.reason());
                if (attempt == 1 || attempt % 10 == 0) {
                    log.warn("window {} not yet {} (attempt {}): {}", report.identifier(),
                            stage.equals("stripe") ? "reported" : "written back", attempt, retry.reason());
                }
            }
            case Delivery.Park park -> {
                store.park(report, park.reason(), clock.instant());
                metrics.windowParked(stage);
                log.error("window {} PARKED at {} after {} attempt(s): {}", report.identifier(), stage, attempt,
                        park.reason());
            }
            case Delivery.Done done -> throw new IllegalArgumentException("not a failure");
        }
    }

    private void provisionCustomers(Set<Integer> partitions) throws SQLException {
        for (MeterReaderStore.CustomerWanted wanted : store.tenantsWantingCustomer(partitions)) {
            String tenant = wanted.tenantId();
            Instant due = customerRetryAt.get(tenant);
            if (due != null && clock.instant().isBefore(due)) {
                continue;
            }
            String customerId = createdCustomers.get(tenant);
            Delivery outcome;
            if (customerId == null) {
                StripeMeters.CustomerCreation created = stripe.createCustomer(tenant, wanted.name());
                outcome = created.outcome();
                customerId = created.customerId();
                if (customerId != null) {
                    createdCustomers.put(tenant, customerId);
                }
            } else {
                outcome = Delivery.DONE;
            }
            if (outcome instanceof Delivery.Done) {
                outcome = ledger.linkCustomer(tenant, customerId);
            }
            if (outcome instanceof Delivery.Done) {
                store.linkCreatedCustomer(tenant, customerId);
                createdCustomers.remove(tenant);
                customerRetryAt.remove(tenant);
                customerAttempts.remove(tenant);
                log.info("created Stripe customer {} for tenant {} and linked it in the ledger", customerId, tenant);
                continue;
            }
            int attempt = customerAttempts.merge(tenant, 1, Integer::sum);
            boolean refused = outcome instanceof Delivery.Park;
            // A refusal needs a person; retry it rarely rather than never, so a fixed configuration heals itself.
            customerRetryAt.put(tenant, clock.instant().plus(refused ? backoff.max() : backoff.after(attempt)));
            String reason = outcome instanceof Delivery.Retry r ? r.reason() : ((Delivery.Park) outcome).reason();
            if (refused) {
                log.error("cannot set up the Stripe customer of tenant {}: {}", tenant, reason);
            } else if (attempt == 1 || attempt % 10 == 0) {
                log.warn("Stripe customer of tenant {} not set up yet (attempt {}): {}", tenant, attempt, reason);
            }
        }
    }

    /** Pauses on elapsed (monotonic) time: a wall-clock step neither skips nor stretches a retry's wait. */
    private void pause(long millis) {
        long until = System.nanoTime() / 1_000_000 + millis;
        while (running && System.nanoTime() / 1_000_000 < until) {
            try {
                Thread.sleep(Math.min(50, Math.max(1, until - System.nanoTime() / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
