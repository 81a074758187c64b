package dev.ledger.ops.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.tuple;

import com.stripe.StripeClient;
import com.stripe.exception.ApiException;
import com.stripe.exception.AuthenticationException;
import com.stripe.exception.IdempotencyException;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.RateLimitException;
import com.stripe.exception.StripeException;
import com.stripe.exception.TemporarySessionExpiredException;
import com.stripe.model.Customer;
import com.stripe.model.StripeCollection;
import com.stripe.model.billing.Meter;
import com.stripe.model.billing.MeterEvent;
import com.stripe.model.billing.MeterEventSummary;
import com.stripe.model.v2.billing.MeterEventSession;
import com.stripe.net.RequestOptions;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.CustomerListParams;
import com.stripe.param.CustomerUpdateParams;
import com.stripe.param.billing.MeterCreateParams;
import com.stripe.param.billing.MeterEventCreateParams;
import com.stripe.param.billing.MeterEventSummaryListParams;
import com.stripe.param.billing.MeterListParams;
import com.stripe.param.v2.billing.MeterEventStreamCreateParams;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Drives {@link StripeEmulator} only through stripe-java, as production code would drive Stripe. */
class StripeEmulatorTest {
    private static final String EVENT = "api_requests";
    /** A minute-aligned "now" so summaries can use exact windows. */
    private static final Instant NOW = Instant.parse("2026-03-10T12:30:00Z");

    private StripeEmulator emulator;
    private StripeClient stripe;

    @BeforeEach
    void startEmulator() {
        emulator = StripeEmulator.start(0);
        emulator.setFaultTimeout(Duration.ofMillis(200));
        emulator.setNow(NOW);
        stripe = client(StripeClient.builder().setApiKey("sk_test_x"));
    }

    @AfterEach
    void stopEmulator() {
        emulator.close();
    }

    private StripeClient client(StripeClient.StripeClientBuilder builder) {
        return builder.setApiBase(emulator.url())
                .setMeterEventsBase(emulator.url())
                .setMaxNetworkRetries(0)
                .setReadTimeout(10_000)
                .build();
    }

    private Customer customer() throws StripeException {
        return stripe.v1().customers().create(CustomerCreateParams.builder()
                .setEmail("ada@example.com").setName("Ada").putMetadata("account_id", "acc-1").build());
    }

    private Meter sumMeter() throws StripeException {
        return stripe.v1().billing().meters().create(MeterCreateParams.builder()
                .setDisplayName("API requests")
                .setEventName(EVENT)
                .setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                        .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build())
                .setCustomerMapping(MeterCreateParams.CustomerMapping.builder()
                        .setEventPayloadKey("stripe_customer_id")
                        .setType(MeterCreateParams.CustomerMapping.Type.BY_ID).build())
                .setValueSettings(MeterCreateParams.ValueSettings.builder().setEventPayloadKey("value").build())
                .build());
    }

    private static MeterEventCreateParams event(String customerId, String identifier, long value, Instant at) {
        MeterEventCreateParams.Builder b = MeterEventCreateParams.builder()
                .setEventName(EVENT)
                .putPayload("stripe_customer_id", customerId)
                .putPayload("value", Long.toString(value))
                .setTimestamp(at.getEpochSecond());
        if (identifier != null) {
            b.setIdentifier(identifier);
        }
        return b.build();
    }

    private MeterEvent send(MeterEventCreateParams params) throws StripeException {
        return stripe.v1().billing().meterEvents().create(params);
    }

    private StripeCollection<MeterEventSummary> summaries(Meter meter, String customerId, Instant from, Instant to,
                                                          MeterEventSummaryListParams.ValueGroupingWindow window)
            throws StripeException {
        MeterEventSummaryListParams.Builder b = MeterEventSummaryListParams.builder()
                .setCustomer(customerId)
                .setStartTime(from.getEpochSecond())
                .setEndTime(to.getEpochSecond())
                .setLimit(100L);
        if (window != null) {
            b.setValueGroupingWindow(window);
        }
        return stripe.v1().billing().meters().eventSummaries().list(meter.getId(), b.build());
    }

    private long total(Meter meter, String customerId) throws StripeException {
        StripeCollection<MeterEventSummary> list =
                summaries(meter, customerId, NOW.minus(Duration.ofDays(2)), NOW.plus(Duration.ofHours(1)), null);
        assertThat(list.getData()).hasSize(1);
        return list.getData().get(0).getAggregatedValue().longValueExact();
    }

    @Test
    void meterEventsForAKnownCustomerAreSummedIntoSummaries() throws StripeException {
        Customer cus = customer();
        Meter meter = sumMeter();
        assertThat(cus.getId()).startsWith("cus_");
        assertThat(meter.getId()).startsWith("mtr_");
        assertThat(meter.getStatus()).isEqualTo("active");
        assertThat(meter.getCustomerMapping().getEventPayloadKey()).isEqualTo("stripe_customer_id");
        assertThat(meter.getDefaultAggregation().getFormula()).isEqualTo("sum");

        MeterEvent first = send(event(cus.getId(), "e-1", 5, NOW.minusSeconds(45 * 60)));   // 11:45
        send(event(cus.getId(), "e-2", 7, NOW.minusSeconds(20 * 60)));                     // 12:10
        send(event(cus.getId(), null, 30, NOW));                                           // 12:30, generated id

        assertThat(first.getObject()).isEqualTo("billing.meter_event");
        assertThat(first.getIdentifier()).isEqualTo("e-1");
        assertThat(first.getEventName()).isEqualTo(EVENT);
        assertThat(first.getLivemode()).isFalse();
        assertThat(first.getPayload()).containsEntry("value", "5").containsEntry("stripe_customer_id", cus.getId());
        assertThat(first.getTimestamp()).isEqualTo(NOW.minusSeconds(45 * 60).getEpochSecond());
        assertThat(first.getCreated()).isBetween(NOW.getEpochSecond(), NOW.getEpochSecond() + 60);

        StripeCollection<MeterEventSummary> whole = summaries(meter, cus.getId(),
                Instant.parse("2026-03-10T11:00:00Z"), Instant.parse("2026-03-10T13:00:00Z"), null);
        assertThat(whole.getData()).singleElement().satisfies(s -> {
            assertThat(s.getObject()).isEqualTo("billing.meter_event_summary");
            assertThat(s.getMeter()).isEqualTo(meter.getId());
            assertThat(s.getAggregatedValue()).isEqualByComparingTo(BigDecimal.valueOf(42));
            assertThat(s.getStartTime()).isEqualTo(Instant.parse("2026-03-10T11:00:00Z").getEpochSecond());
        });

        StripeCollection<MeterEventSummary> hourly = summaries(meter, cus.getId(),
                Instant.parse("2026-03-10T11:00:00Z"), Instant.parse("2026-03-10T13:00:00Z"),
                MeterEventSummaryListParams.ValueGroupingWindow.HOUR);
        Map<Long, Long> byHour = new HashMap<>();
        hourly.getData().forEach(s -> byHour.put(s.getStartTime(), s.getAggregatedValue().longValueExact()));
        assertThat(byHour).containsOnly(
                Map.entry(Instant.parse("2026-03-10T11:00:00Z").getEpochSecond(), 5L),
                Map.entry(Instant.parse("2026-03-10T12:00:00Z").getEpochSecond(), 37L));

        // [start, end) excludes the 12:30 event
        StripeCollection<MeterEventSummary> upToNow = summaries(meter, cus.getId(),
                Instant.parse("2026-03-10T11:00:00Z"), NOW, null);
        assertThat(upToNow.getData().get(0).getAggregatedValue().longValueExact()).isEqualTo(12);

        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isEqualTo(42);
        assertThat(emulator.meterEventCalls()).isEqualTo(3);
    }

    @Test
    void duplicateIdentifierIsRejectedAndNotCounted() throws StripeException {
        Customer cus = customer();
        Meter meter = sumMeter();
        send(event(cus.getId(), "usage-1", 5, NOW));

        assertThatThrownBy(() -> send(event(cus.getId(), "usage-1", 5, NOW)))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(400);
                    assertThat(e.getStripeError().getType()).isEqualTo("invalid_request_error");
                    assertThat(e.getStripeError().getMessage())
                            .isEqualTo("An event already exists with identifier usage-1.");
                    assertThat(e.getCode()).isEqualTo("resource_already_exists");
                });

        assertThat(total(meter, cus.getId())).isEqualTo(5);
        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isEqualTo(5);
        assertThat(emulator.meterEventCalls()).isEqualTo(2);

        // uniqueness is enforced for 24 h only
        emulator.advanceClock(Duration.ofHours(25));
        send(event(cus.getId(), "usage-1", 1, emulator.now()));
        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isEqualTo(6);
    }

    @Test
    void timestampOutsideThePast35DaysOrMoreThan5MinutesAheadIsRejected() throws StripeException {
        Customer cus = customer();
        Meter meter = sumMeter();

        assertThatThrownBy(() -> send(event(cus.getId(), "old", 1, NOW.minus(Duration.ofDays(36)))))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(400);
                    assertThat(e.getParam()).isEqualTo("timestamp");
                    assertThat(e.getStripeError().getMessage()).contains("35 days");
                });
        assertThatThrownBy(() -> send(event(cus.getId(), "future", 1, NOW.plus(Duration.ofMinutes(10)))))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.getParam()).isEqualTo("timestamp");
                    assertThat(e.getStripeError().getMessage()).contains("5 minutes in the future");
                });
        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isZero();

        send(event(cus.getId(), "oldest-ok", 2, NOW.minus(Duration.ofDays(34))));
        send(event(cus.getId(), "ahead-ok", 3, NOW.plus(Duration.ofMinutes(4))));
        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isEqualTo(5);
        assertThat(summaries(meter, cus.getId(), NOW.minus(Duration.ofDays(35)), NOW.plus(Duration.ofHours(1)), null)
                .getData().get(0).getAggregatedValue().longValueExact()).isEqualTo(5);
    }

    @Test
    void unknownCustomerIsReportedLaterWhileUnknownEventNameAndFractionalValueAreRejected() throws StripeException {
        Customer cus = customer();
        sumMeter();

        // Stripe accepts an event for a customer it does not know and reports it in a meter error report
        assertThat(send(event("cus_doesnotexist", "x-1", 1, NOW)).getIdentifier()).isEqualTo("x-1");
        assertThat(emulator.meterErrorReports()).extracting(MeterErrorReport::identifier, MeterErrorReport::code)
                .containsExactly(tuple("x-1", "meter_event_customer_not_found"));
        assertThatThrownBy(() -> send(MeterEventCreateParams.builder().setEventName("no_such_meter")
                .putPayload("stripe_customer_id", cus.getId()).putPayload("value", "1").build()))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.getParam()).isEqualTo("event_name"));
        assertThatThrownBy(() -> send(MeterEventCreateParams.builder().setEventName(EVENT)
                .putPayload("stripe_customer_id", cus.getId()).putPayload("value", "1.5").build()))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.getParam()).isEqualTo("payload[value]"));

        assertThat(emulator.meterEventTotal("cus_doesnotexist", EVENT)).isZero();
        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isZero();
        assertThat(emulator.meterEventCalls()).isEqualTo(3);
    }

    @Test
    void requestWithoutApiKeyFailsWithAuthenticationException() {
        // stripe-java refuses to send without a key, so authenticate with a no-op: no Authorization header.
        StripeClient anonymous = client(StripeClient.builder().setAuthenticator(request -> request));

        assertThatThrownBy(() -> anonymous.v1().customers().create(CustomerCreateParams.builder().build()))
                .isInstanceOfSatisfying(AuthenticationException.class,
                        e -> assertThat(e.getStatusCode()).isEqualTo(401));
    }

    @Test
    void injectedFaultsLeaveTotalsUnchangedWhenRetriedWithTheSameIdentifier() throws StripeException {
        Customer cus = customer();
        Meter meter = sumMeter();
        emulator.injectFaults(1.0 / 3, 7);

        int events = 24;
        long expected = 0;
        int rateLimited = 0;
        int serverErrors = 0;
        for (int i = 1; i <= events; i++) {
            expected += i;
            MeterEventCreateParams params = event(cus.getId(), "faulty-" + i, i, NOW);
            for (int attempt = 1; ; attempt++) {
                try {
                    send(params);
                    break;
                } catch (RateLimitException e) {
                    assertThat(e.getStatusCode()).isEqualTo(429);
                    assertThat(e.getCode()).isEqualTo("rate_limit");
                    rateLimited++;
                } catch (ApiException e) {
                    assertThat(e.getStatusCode()).isEqualTo(500);
                    serverErrors++;
                } catch (InvalidRequestException e) {
                    fail("a faulted call must not have stored event faulty-" + i + ": " + e.getMessage());
                }
                assertThat(attempt).as("attempts for event %d", i).isLessThan(20);
            }
        }

        assertThat(rateLimited).isPositive();
        assertThat(serverErrors).isPositive();
        assertThat(emulator.meterEventCalls()).isEqualTo(events + rateLimited + serverErrors);
        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isEqualTo(expected);

        emulator.injectFaults(0, 0);
        assertThat(total(meter, cus.getId())).isEqualTo(expected);
    }

    @Test
    void sameIdempotencyKeyReplaysTheStoredResponse() throws StripeException {
        Customer cus = customer();
        sumMeter();
        RequestOptions key1 = RequestOptions.builder().setIdempotencyKey("key-1").build();

        MeterEvent first = stripe.v1().billing().meterEvents().create(event(cus.getId(), null, 9, NOW), key1);
        MeterEvent replay = stripe.v1().billing().meterEvents().create(event(cus.getId(), null, 9, NOW), key1);

        assertThat(replay.getIdentifier()).isEqualTo(first.getIdentifier());
        assertThat(replay.getLastResponse().headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isEqualTo(9);
        assertThat(emulator.meterEventCalls()).isEqualTo(2);

        assertThatThrownBy(() -> stripe.v1().billing().meterEvents().create(event(cus.getId(), null, 10, NOW), key1))
                .isInstanceOf(IdempotencyException.class);

        RequestOptions key2 = RequestOptions.builder().setIdempotencyKey("key-2").build();
        CustomerCreateParams create = CustomerCreateParams.builder().setEmail("bob@example.com").build();
        Customer bob = stripe.v1().customers().create(create, key2);
        assertThat(stripe.v1().customers().create(create, key2).getId()).isEqualTo(bob.getId());
        assertThat(stripe.v1().customers().list(CustomerListParams.builder().setEmail("bob@example.com").build())
                .getData()).hasSize(1);

        // keys expire after 24 h of emulated time
        emulator.advanceClock(Duration.ofHours(25));
        assertThat(stripe.v1().customers().create(create, key2).getId()).isNotEqualTo(bob.getId());
    }

    @Test
    void customersAndMetersCanBeRetrievedListedAndUpdated() throws StripeException {
        Customer cus = customer();
        Customer other = stripe.v1().customers().create(CustomerCreateParams.builder().setName("Other").build());
        Meter meter = sumMeter();

        assertThat(stripe.v1().customers().retrieve(cus.getId()).getMetadata()).containsEntry("account_id", "acc-1");
        Customer updated = stripe.v1().customers().update(cus.getId(),
                CustomerUpdateParams.builder().putMetadata("plan", "pro").build());
        assertThat(updated.getMetadata()).containsEntry("account_id", "acc-1").containsEntry("plan", "pro");

        StripeCollection<Customer> list = stripe.v1().customers().list(CustomerListParams.builder().build());
        assertThat(list.getData()).extracting(Customer::getId).containsExactly(other.getId(), cus.getId());
        assertThat(list.getHasMore()).isFalse();
        assertThat(stripe.v1().customers().list(CustomerListParams.builder().setLimit(1L).build())
                .autoPagingIterable()).extracting(Customer::getId).containsExactly(other.getId(), cus.getId());

        assertThatThrownBy(() -> stripe.v1().customers().retrieve("cus_missing"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(404);
                    assertThat(e.getCode()).isEqualTo("resource_missing");
                });

        assertThat(stripe.v1().billing().meters().retrieve(meter.getId()).getEventName()).isEqualTo(EVENT);
        assertThat(stripe.v1().billing().meters().list(MeterListParams.builder()
                .setStatus(MeterListParams.Status.ACTIVE).build()).getData())
                .extracting(Meter::getId).containsExactly(meter.getId());
        assertThatThrownBy(this::sumMeter)
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(400);
                    assertThat(e.getParam()).isEqualTo("event_name");
                });

        assertThatThrownBy(() -> stripe.v1().billing().meters().eventSummaries().list(meter.getId(),
                MeterEventSummaryListParams.builder().setCustomer(cus.getId()).build()))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.getCode()).isEqualTo("parameter_missing"));
    }

    // ------------------------------------------------------------------ v2 meter event streams

    private MeterEventSession session() throws StripeException {
        return stripe.v2().billing().meterEventSession().create();
    }

    /** A client that authenticates with the session's token, as the stream requires. */
    private StripeClient streamClient(MeterEventSession session) {
        return client(StripeClient.builder().setApiKey(session.getAuthenticationToken()));
    }

    private static MeterEventStreamCreateParams.Event streamEvent(String customerId, String identifier, long value,
                                                                  Instant at) {
        return MeterEventStreamCreateParams.Event.builder()
                .setEventName(EVENT)
                .setIdentifier(identifier)
                .putPayload("stripe_customer_id", customerId)
                .putPayload("value", Long.toString(value))
                .setTimestamp(at)
                .build();
    }

    private static void stream(StripeClient client, MeterEventStreamCreateParams.Event... events)
            throws StripeException {
        client.v2().billing().meterEventStream().create(
                MeterEventStreamCreateParams.builder().addAllEvent(List.of(events)).build());
    }

    @Test
    void streamedEventsCountInSummariesAndShareTheIdentifierStoreWithV1() throws StripeException {
        Customer cus = customer();
        Meter meter = sumMeter();
        MeterEventSession session = session();
        assertThat(session.getObject()).isEqualTo("v2.billing.meter_event_session");
        assertThat(Duration.between(session.getCreated(), session.getExpiresAt())).isEqualTo(Duration.ofMinutes(15));

        stream(streamClient(session), streamEvent(cus.getId(), "s-1", 5, NOW.minusSeconds(600)),
                streamEvent(cus.getId(), "s-2", 7, NOW));
        send(event(cus.getId(), "v1-1", 11, NOW));

        // a v2 duplicate is ignored without an error; a v1 duplicate of a streamed identifier is refused
        stream(streamClient(session), streamEvent(cus.getId(), "v1-1", 11, NOW),
                streamEvent(cus.getId(), "s-1", 5, NOW));
        assertThatThrownBy(() -> send(event(cus.getId(), "s-2", 7, NOW)))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.getCode()).isEqualTo("resource_already_exists"));

        assertThat(total(meter, cus.getId())).isEqualTo(23);
        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isEqualTo(23);
        assertThat(emulator.meterEventsAccepted()).isEqualTo(3);
        assertThat(emulator.meterEventStreamDuplicates()).isEqualTo(2);
        assertThat(emulator.meterEventStreamCalls()).isEqualTo(2);
        assertThat(emulator.meterEventCalls()).isEqualTo(2);
    }

    @Test
    void givenASessionPastItsFifteenMinutes_thenTheStreamAnswersExpiredAndANewSessionCarriesOn()
            throws StripeException {
        Customer cus = customer();
        sumMeter();
        MeterEventSession first = session();
        stream(streamClient(first), streamEvent(cus.getId(), "before", 1, NOW));

        emulator.advanceClock(Duration.ofMinutes(15));

        assertThatThrownBy(() -> stream(streamClient(first), streamEvent(cus.getId(), "after", 2, emulator.now())))
                .isInstanceOfSatisfying(TemporarySessionExpiredException.class, e -> {
                    assertThat(e.getStatusCode()).isEqualTo(401);
                    assertThat(e.getCode()).isEqualTo("billing_meter_event_session_expired");
                });
        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).as("an expired call records nothing").isEqualTo(1);

        MeterEventSession renewed = session();
        assertThat(renewed.getAuthenticationToken()).isNotEqualTo(first.getAuthenticationToken());
        assertThat(renewed.getExpiresAt()).isAfter(first.getExpiresAt());
        stream(streamClient(renewed), streamEvent(cus.getId(), "after", 2, emulator.now()));

        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isEqualTo(3);
        assertThat(emulator.meterEventSessionsCreated()).isEqualTo(2);
        assertThat(emulator.meterEventSessionsExpired()).isEqualTo(1);
    }

    @Test
    void streamEventsRefusedAfterAcceptanceBecomeErrorReportsAndAreNotCounted() throws StripeException {
        Customer cus = customer();
        sumMeter();
        StripeClient client = streamClient(session());

        // Stripe validates stream events after answering: the call succeeds even though neither event counts.
        stream(client, streamEvent("cus_doesnotexist", "bad-customer", 5, NOW),
                MeterEventStreamCreateParams.Event.builder().setEventName("no_such_meter").setIdentifier("bad-meter")
                        .putPayload("stripe_customer_id", cus.getId()).putPayload("value", "1").build());

        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isZero();
        assertThat(emulator.meterEventsAccepted()).isZero();
        assertThat(emulator.meterErrorReports()).extracting(MeterErrorReport::identifier, MeterErrorReport::code)
                .containsExactly(tuple("bad-customer", "meter_event_customer_not_found"),
                        tuple("bad-meter", "no_meter"));

        // refused events leave their identifiers free, so the corrected event is recorded
        stream(client, streamEvent(cus.getId(), "bad-customer", 5, NOW));
        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isEqualTo(5);
    }

    @Test
    void streamRejectsMoreThanAHundredEventsInOneCallAndRecordsNoneOfThem() throws StripeException {
        Customer cus = customer();
        sumMeter();
        MeterEventStreamCreateParams.Event[] events = new MeterEventStreamCreateParams.Event[101];
        for (int i = 0; i < events.length; i++) {
            events[i] = streamEvent(cus.getId(), "many-" + i, 1, NOW);
        }
        StripeClient client = streamClient(session());

        assertThatThrownBy(() -> stream(client, events))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.getStatusCode()).isEqualTo(400));
        stream(client, Arrays.copyOf(events, 100));

        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isEqualTo(100);
    }

    @Test
    void injectedFaultsOnTheStreamLeaveTotalsExactWhenBatchesAreRetried() throws StripeException {
        Customer cus = customer();
        Meter meter = sumMeter();
        StripeClient client = streamClient(session());
        emulator.injectFaults(1.0 / 3, 11);

        int batches = 12;
        long expected = 0;
        int faulted = 0;
        for (int b = 0; b < batches; b++) {
            MeterEventStreamCreateParams.Event[] batch = new MeterEventStreamCreateParams.Event[10];
            for (int i = 0; i < batch.length; i++) {
                long value = b * 10L + i;
                expected += value;
                batch[i] = streamEvent(cus.getId(), "batch-" + b + "-" + i, value, NOW);
            }
            for (int attempt = 1; ; attempt++) {
                try {
                    stream(client, batch);
                    break;
                } catch (RateLimitException | ApiException e) {
                    assertThat(e.getStatusCode()).isIn(429, 500);
                    faulted++;
                }
                assertThat(attempt).as("attempts for batch %d", b).isLessThan(20);
            }
        }

        assertThat(faulted).isPositive();
        assertThat(emulator.meterEventStreamCalls()).isEqualTo(batches + faulted);
        assertThat(emulator.meterEventTotal(cus.getId(), EVENT)).isEqualTo(expected);
        assertThat(emulator.meterEventsAccepted()).isEqualTo(batches * 10L);
        emulator.injectFaults(0, 0);
        assertThat(total(meter, cus.getId())).isEqualTo(expected);
    }
}
