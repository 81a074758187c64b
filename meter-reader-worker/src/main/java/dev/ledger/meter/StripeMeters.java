package dev.ledger.meter;

import com.stripe.StripeClient;
import com.stripe.exception.ApiConnectionException;
import com.stripe.exception.StripeException;
import com.stripe.model.Customer;
import com.stripe.model.billing.Meter;
import com.stripe.net.RequestOptions;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.billing.MeterCreateParams;
import com.stripe.model.billing.MeterEventSummary;
import com.stripe.param.billing.MeterEventCreateParams;
import com.stripe.param.billing.MeterEventSummaryListParams;
import com.stripe.param.billing.MeterListParams;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The meter-reader's Stripe calls through stripe-java: one v1 meter event per closed window, plus the billing meters
 * and customers those events need ({@link MeterEventStream} sends v2 batches with the same checks and outcomes).
 * Every outcome is a {@link Delivery}; no call retries inline.
 */
final class StripeMeters {

    /** Stripe accepts meter event timestamps from 35 days ago to 5 minutes ahead; keep a margin on both sides. */
    private static final Duration OLDEST = Duration.ofDays(35).minusHours(1);
    private static final Duration NEWEST = Duration.ofMinutes(4);

    private final StripeClient client;
    private final MeterReaderMetrics metrics;
    private final MeterReaderPolicy policy;
    private final Set<String> knownMeters = ConcurrentHashMap.newKeySet();
    /** Event name → meter id, of the active meters seen. */
    private final Map<String, String> meterIds = new ConcurrentHashMap<>();
    private final Set<String> knownCustomers = ConcurrentHashMap.newKeySet();

    StripeMeters(MeterReaderConfig config, MeterReaderPolicy policy, MeterReaderMetrics metrics) {
        this.client = client(config, config.stripeApiKey());
        this.metrics = metrics;
        this.policy = policy;
    }

    /** A client authenticating with {@code key} (the API key, or a v2 session token), with the configured limits. */
    static StripeClient client(MeterReaderConfig config, String key) {
        StripeClient.StripeClientBuilder builder = StripeClient.builder()
                .setApiKey(key)
                .setMaxNetworkRetries(0)
                .setConnectTimeout((int) Math.min(config.stripeTimeout().toMillis(), 10_000))
                .setReadTimeout((int) config.stripeTimeout().toMillis());
        if (config.stripeApiBase() != null) {
            builder.setApiBase(config.stripeApiBase()).setMeterEventsBase(config.stripeApiBase());
        }
        return builder.build();
    }

    StripeClient client() {
        return client;
    }

    /** The window's event time: its start, moved inside the range Stripe accepts around {@code now}. */
    static Instant eventTime(UsageWindow window, Instant now) {
        Instant at = window.start();
        if (at.isBefore(now.minus(OLDEST))) {
            return now.minus(OLDEST);
        }
        return at.isAfter(now.plus(NEWEST)) ? now.plus(NEWEST) : at;
    }

    /**
     * A report's event time: its window's, as it was when first sent (so that every send of a window carries the same
     * timestamp, and reconciliation knows where Stripe filed it), kept inside the range Stripe accepts now.
     */
    static Instant eventTime(MeterReport report, Instant now) {
        Instant at = eventTime(report.window(), report.firstSentAt() == null ? now : report.firstSentAt());
        if (at.isBefore(now.minus(OLDEST))) {
            return now.minus(OLDEST);
        }
        return at.isAfter(now.plus(NEWEST)) ? now.plus(NEWEST) : at;
    }

    /** Sends the window as one meter event; an identifier Stripe already holds means it was delivered before. */
    Delivery sendMeterEvent(MeterReport report, Instant now) {
        Delivery meter = ensureMeter(report.window().meter());
        if (!(meter instanceof Delivery.Done)) {
            return meter;
        }
        // Stripe takes an event for a customer it does not have and drops it later (a meter error report): check first
        Delivery customer = ensureCustomer(report.stripeCustomerId());
        if (!(customer instanceof Delivery.Done)) {
            return customer;
        }
        Instant at = eventTime(report, now);
        MeterEventCreateParams params = MeterEventCreateParams.builder()
                .setEventName(report.window().meter())
                .setIdentifier(report.identifier())
                .setTimestamp(at.getEpochSecond())
                .putPayload("stripe_customer_id", report.stripeCustomerId())
                .putPayload("value", Long.toString(report.quantity()))
                .build();
        long started = System.nanoTime();
        try {
            client.v1().billing().meterEvents().create(params);
            return Delivery.DONE;
        } catch (StripeException e) {
            if (isDuplicateIdentifier(e)) {
                return Delivery.DONE;
            }
            if (e.getStatusCode() != null && e.getStatusCode() == 400 && String.valueOf(e.getStripeError() == null
                    ? e.getMessage() : e.getStripeError().getMessage()).startsWith("No active meter found")) {
                // The meter was deactivated or deleted behind our back: look it up again on the next attempt.
                knownMeters.remove(report.window().meter());
                metrics.stripeError("meter_event", "no_active_meter");
                return new Delivery.Retry("stripe: no active meter " + report.window().meter());
            }
            return failure("meter_event", e);
        } finally {
            metrics.stripeCall("meter_event", Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /** Creates the tenant's Stripe customer, idempotent per tenant; answers the customer id or the failure. */
    CustomerCreation createCustomer(String tenantId, String name) {
        CustomerCreateParams.Builder params = CustomerCreateParams.builder().putMetadata("tenant_id", tenantId);
        if (name != null && !name.isBlank()) {
            params.setName(name);
        }
        RequestOptions options = RequestOptions.builder().setIdempotencyKey("ledger-customer-" + tenantId).build();
        long started = System.nanoTime();
        try {
            Customer customer = client.v1().customers().create(params.build(), options);
            return new CustomerCreation(customer.getId(), Delivery.DONE);
        } catch (StripeException e) {
            return new CustomerCreation(null, failure("create_customer", e));
        } finally {
            metrics.stripeCall("create_customer", Duration.ofNanos(System.nanoTime() - started));
        }
    }

    record CustomerCreation(String customerId, Delivery outcome) {
    }

    /**
     * Makes sure an active sum meter with this event name exists (looked up once, created when missing). Only meters
     * of the deployment's allowlist: any other is refused as {@code unknown_meter}, so a tenant's usage can never create
     * meters in the Stripe account.
     */
    Delivery ensureMeter(String meter) {
        if (!policy.allows(meter)) {
            metrics.stripeError("ensure_meter", "unknown_meter");
            return new Delivery.Park("unknown_meter: meter " + RecordKey.forLog(meter)
                    + " is not in LEDGER_ALLOWED_METERS; add it there to bill it, then retry the window");
        }
        if (knownMeters.contains(meter)) {
            return Delivery.DONE;
        }
        long started = System.nanoTime();
        try {
            MeterListParams active = MeterListParams.builder().setStatus(MeterListParams.Status.ACTIVE).setLimit(100L).build();
            for (Meter m : client.v1().billing().meters().list(active).autoPagingIterable()) {
                knownMeters.add(m.getEventName());
                meterIds.put(m.getEventName(), m.getId());
            }
            if (knownMeters.contains(meter)) {
                return Delivery.DONE;
            }
            Meter created = client.v1().billing().meters().create(MeterCreateParams.builder()
                    .setDisplayName(meter)
                    .setEventName(meter)
                    .setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                            .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build())
                    .setCustomerMapping(MeterCreateParams.CustomerMapping.builder()
                            .setEventPayloadKey("stripe_customer_id")
                            .setType(MeterCreateParams.CustomerMapping.Type.BY_ID).build())
                    .setValueSettings(MeterCreateParams.ValueSettings.builder().setEventPayloadKey("value").build())
                    .build(), RequestOptions.builder().setIdempotencyKey("ledger-meter-" + meter).build());
            meterIds.put(meter, created.getId());
            knownMeters.add(meter);
            return Delivery.DONE;
        } catch (StripeException e) {
            if ("resource_already_exists".equals(e.getCode())) {
                knownMeters.add(meter); // another instance created it first
                return Delivery.DONE;
            }
            return failure("ensure_meter", e);
        } finally {
            metrics.stripeCall("ensure_meter", Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /**
     * Makes sure the customer exists and is not deleted (looked up once until {@link #forgetKnown}). Both v1 events and
     * the v2 stream need this: Stripe checks an event's customer only after answering, and drops it if there is none.
     */
    Delivery ensureCustomer(String customerId) {
        if (knownCustomers.contains(customerId)) {
            return Delivery.DONE;
        }
        long started = System.nanoTime();
        try {
            Customer customer = client.v1().customers().retrieve(customerId);
            if (Boolean.TRUE.equals(customer.getDeleted())) {
                metrics.stripeError("retrieve_customer", "deleted");
                return new Delivery.Park("stripe customer " + customerId + " is deleted");
            }
            knownCustomers.add(customerId);
            return Delivery.DONE;
        } catch (StripeException e) {
            return failure("retrieve_customer", e);
        } finally {
            metrics.stripeCall("retrieve_customer", Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /** What Stripe's meter event summary answered: the aggregated units, or why there is no answer. */
    record Summary(long aggregated, Delivery failure) {
    }

    /**
     * Stripe's aggregated value of {@code meter} for the customer over [from, to) (minute boundaries), from
     * {@code GET /v1/billing/meters/{id}/event_summaries}.
     */
    Summary summary(String meter, String customerId, Instant from, Instant to) {
        Delivery known = ensureMeter(meter);
        if (!(known instanceof Delivery.Done)) {
            return new Summary(0, known);
        }
        String meterId = meterIds.get(meter);
        if (meterId == null) {
            knownMeters.remove(meter); // known from before ids were kept: look it up again
            return new Summary(0, new Delivery.Retry("stripe: meter id of " + meter + " not known yet"));
        }
        long started = System.nanoTime();
        try {
            List<MeterEventSummary> data = client.v1().billing().meters().eventSummaries().list(meterId,
                    MeterEventSummaryListParams.builder().setCustomer(customerId).setStartTime(from.getEpochSecond())
                            .setEndTime(to.getEpochSecond()).build()).getData();
            long total = 0;
            for (MeterEventSummary s : data) {
                total = Math.addExact(total, s.getAggregatedValue().longValueExact());
            }
            return new Summary(total, null);
        } catch (StripeException e) {
            return new Summary(0, failure("event_summaries", e));
        } catch (ArithmeticException e) {
            return new Summary(0, new Delivery.Park("stripe event_summaries: an aggregated value is not a whole number of units"));
        } finally {
            metrics.stripeCall("event_summaries", Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /** Forgets which meters and customers were seen, so the next event of each looks them up again. */
    void forgetKnown() {
        knownMeters.clear();
        knownCustomers.clear();
    }

    /** 400 resource_already_exists on the identifier: Stripe already holds this window's event. */
    private static boolean isDuplicateIdentifier(StripeException e) {
        return e.getStatusCode() != null && e.getStatusCode() == 400 && "resource_already_exists".equals(e.getCode())
                && e.getMessage() != null && e.getMessage().contains("An event already exists with identifier");
    }

    /** 429, 5xx, 409 (concurrent idempotent request) and network trouble are worth retrying; other 4xx are not. */
    Delivery failure(String operation, StripeException e) {
        Integer status = e.getStatusCode();
        String code = e instanceof ApiConnectionException ? "connection"
                : e.getCode() != null ? e.getCode() : status != null ? String.valueOf(status) : "unknown";
        metrics.stripeError(operation, code);
        String reason = "stripe " + operation + " " + (status == null || status == 0 ? "" : status + " ") + code + ": "
                + message(e);
        if (e instanceof ApiConnectionException || status == null || status == 0 || status == 429 || status == 409
                || status >= 500) {
            return new Delivery.Retry(reason);
        }
        return new Delivery.Park(reason);
    }

    /** Stripe's own error message (it masks keys); never the request. */
    private static String message(StripeException e) {
        String m = e.getStripeError() != null && e.getStripeError().getMessage() != null
                ? e.getStripeError().getMessage() : e.getClass().getSimpleName();
        return m.length() > 300 ? m.substring(0, 300) : m;
    }
}
