package dev.ledger.ops.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.stripe.StripeClient;
import com.stripe.events.V1BillingMeterErrorReportTriggeredEvent;
import com.stripe.events.V1BillingMeterNoMeterFoundEvent;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.StripeException;
import com.stripe.model.Customer;
import com.stripe.model.billing.Meter;
import com.stripe.model.billing.MeterEvent;
import com.stripe.model.billing.MeterEventAdjustment;
import com.stripe.model.v2.StripeCollection;
import com.stripe.model.v2.core.Event;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.billing.MeterCreateParams;
import com.stripe.param.billing.MeterEventAdjustmentCreateParams;
import com.stripe.param.billing.MeterEventCreateParams;
import com.stripe.param.v2.billing.MeterEventStreamCreateParams;
import com.stripe.param.v2.core.EventListParams;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What Stripe does with meter events it accepts and then refuses, and with cancelled ones, seen through stripe-java:
 * a v1 event for a customer Stripe does not know is accepted and reported later by a
 * {@code v1.billing.meter.error_report_triggered} v2 event; an inactive meter's events are {@code archived_meter},
 * an unknown event name's {@code no_meter} ({@code v1.billing.meter.no_meter_found}); a meter event adjustment
 * cancels an event of the last 24 hours.
 */
class EmulatorMeterErrorReportTest {
    private static final String EVENT = "api_requests";
    private static final Instant NOW = Instant.parse("2026-03-10T12:30:00Z");

    private StripeEmulator emulator;
    private StripeClient stripe;

    @BeforeEach
    void start() {
        emulator = StripeEmulator.start(0, Clock.fixed(NOW, ZoneOffset.UTC));
        stripe = client("sk_test_reports");
    }

    @AfterEach
    void stop() {
        emulator.close();
    }

    private StripeClient client(String key) {
        return StripeClient.builder().setApiKey(key).setApiBase(emulator.url()).setMeterEventsBase(emulator.url())
                .setMaxNetworkRetries(0).build();
    }

    private Meter meter(String eventName) throws StripeException {
        return stripe.v1().billing().meters().create(MeterCreateParams.builder()
                .setDisplayName(eventName).setEventName(eventName)
                .setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                        .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build())
                .setCustomerMapping(MeterCreateParams.CustomerMapping.builder().setEventPayloadKey("stripe_customer_id")
                        .setType(MeterCreateParams.CustomerMapping.Type.BY_ID).build())
                .setValueSettings(MeterCreateParams.ValueSettings.builder().setEventPayloadKey("value").build())
                .build());
    }

    private Customer customer() throws StripeException {
        return stripe.v1().customers().create(CustomerCreateParams.builder().setName("Ada").build());
    }

    private MeterEvent send(String customer, String identifier, long value) throws StripeException {
        return stripe.v1().billing().meterEvents().create(MeterEventCreateParams.builder().setEventName(EVENT)
                .setIdentifier(identifier).putPayload("stripe_customer_id", customer)
                .putPayload("value", Long.toString(value)).setTimestamp(emulator.now().getEpochSecond()).build());
    }

    private List<Event> reports(String type) throws StripeException {
        StripeCollection<Event> page = stripe.v2().core().events().list(EventListParams.builder().addType(type).build());
        return page.getData();
    }

    @Test
    void givenAV1EventForACustomerStripeDoesNotKnowThenItIsAcceptedAndReportedByAnErrorReportEvent()
            throws StripeException {
        Meter meter = meter(EVENT);
        Customer ada = customer();

        MeterEvent accepted = send("cus_doesnotexist", "w-1", 5);
        send(ada.getId(), "w-2", 7);

        assertThat(accepted.getIdentifier()).isEqualTo("w-1");
        assertThat(emulator.meterEventTotal("cus_doesnotexist", EVENT)).as("accepted, not counted").isZero();
        assertThat(emulator.meterEventTotal(ada.getId(), EVENT)).isEqualTo(7);
        List<Event> listed = reports("v1.billing.meter.error_report_triggered");
        assertThat(listed).hasSize(1);
        Event full = stripe.v2().core().events().retrieve(listed.get(0).getId());
        assertThat(full).isInstanceOf(V1BillingMeterErrorReportTriggeredEvent.class);
        V1BillingMeterErrorReportTriggeredEvent report = (V1BillingMeterErrorReportTriggeredEvent) full;
        assertThat(report.getRelatedObject().getId()).isEqualTo(meter.getId());
        assertThat(report.getRelatedObject().getType()).isEqualTo("billing.meter");
        // stripe-java 33 has no getters for data.reason: read it as sent
        JsonNode reason = reason(full);
        assertThat(reason.get("error_count").asLong()).isEqualTo(1);
        JsonNode type = reason.get("error_types").get(0);
        assertThat(type.get("code").asText()).isEqualTo("meter_event_customer_not_found");
        assertThat(type.get("error_count").asLong()).isEqualTo(1);
        assertThat(type.get("sample_errors")).extracting(e -> e.at("/request/identifier").asText()).containsExactly("w-1");
        assertThat(report.getData().getDeveloperMessageSummary()).isEqualTo("There is 1 invalid event");
        assertThat(reports("v1.billing.meter.no_meter_found")).isEmpty();

        // the identifier of a refused event stays free: the corrected event is recorded under it
        send(ada.getId(), "w-1", 5);
        assertThat(emulator.meterEventTotal(ada.getId(), EVENT)).isEqualTo(12);
    }

    @Test
    void givenStreamEventsForAnInactiveMeterAndAnUnknownNameThenTheyAreArchivedMeterAndNoMeter()
            throws StripeException {
        Meter meter = meter(EVENT);
        Customer ada = customer();
        stripe.v1().billing().meters().deactivate(meter.getId());
        StripeClient session = client(stripe.v2().billing().meterEventSession().create().getAuthenticationToken());

        session.v2().billing().meterEventStream().create(MeterEventStreamCreateParams.builder()
                .addEvent(MeterEventStreamCreateParams.Event.builder().setEventName(EVENT).setIdentifier("s-1")
                        .putPayload("stripe_customer_id", ada.getId()).putPayload("value", "1").build())
                .addEvent(MeterEventStreamCreateParams.Event.builder().setEventName("no_such_meter")
                        .setIdentifier("s-2").putPayload("stripe_customer_id", ada.getId()).putPayload("value", "1")
                        .build())
                .build());

        assertThat(emulator.meterErrorReports()).extracting(MeterErrorReport::identifier, MeterErrorReport::code)
                .containsExactly(tuple("s-1", "archived_meter"), tuple("s-2", "no_meter"));
        List<Event> archived = reports("v1.billing.meter.error_report_triggered");
        assertThat(archived).hasSize(1);
        assertThat(reason(stripe.v2().core().events().retrieve(archived.get(0).getId())).at("/error_types/0/code")
                .asText()).isEqualTo("archived_meter");
        List<Event> noMeter = reports("v1.billing.meter.no_meter_found");
        assertThat(noMeter).hasSize(1);
        V1BillingMeterNoMeterFoundEvent found = (V1BillingMeterNoMeterFoundEvent) stripe.v2().core().events()
                .retrieve(noMeter.get(0).getId());
        assertThat(found.getRawJsonObject().has("related_object")).as("no meter to relate to").isFalse();
        assertThat(reason(found).at("/error_types/0/code").asText()).isEqualTo("no_meter");
        assertThat(reason(found).at("/error_types/0/sample_errors/0/request/identifier").asText()).isEqualTo("s-2");
        // filters: by the meter it concerns, and by time
        assertThat(stripe.v2().core().events().list(EventListParams.builder().setObjectId(meter.getId()).build())
                .getData()).extracting(Event::getId).containsExactly(archived.get(0).getId());
        assertThat(stripe.v2().core().events().list(EventListParams.builder().setCreated(EventListParams.Created
                .builder().setGt(NOW).build()).build()).getData()).isEmpty();
    }

    @Test
    void givenAMeterEventAdjustmentThenTheEventLeavesTheTotalsOnlyWithinTwentyFourHours() throws StripeException {
        meter(EVENT);
        Customer ada = customer();
        send(ada.getId(), "a-1", 5);
        send(ada.getId(), "a-2", 7);

        MeterEventAdjustment adjustment = stripe.v1().billing().meterEventAdjustments().create(
                MeterEventAdjustmentCreateParams.builder().setEventName(EVENT)
                        .setType(MeterEventAdjustmentCreateParams.Type.CANCEL)
                        .setCancel(MeterEventAdjustmentCreateParams.Cancel.builder().setIdentifier("a-1").build())
                        .build());

        assertThat(adjustment.getStatus()).isEqualTo("pending");
        assertThat(adjustment.getCancel().getIdentifier()).isEqualTo("a-1");
        assertThat(emulator.meterEventTotal(ada.getId(), EVENT)).isEqualTo(7);
        assertThatThrownBy(() -> cancel("a-1")).as("cancelled once").isInstanceOfSatisfying(
                InvalidRequestException.class, e -> assertThat(e.getCode()).isEqualTo("resource_missing"));

        emulator.advanceClock(Duration.ofHours(24));
        assertThatThrownBy(() -> cancel("a-2")).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.getMessage()).contains("more than 24 hours ago"));
        assertThat(emulator.meterEventTotal(ada.getId(), EVENT)).isEqualTo(7);

        send(ada.getId(), "a-3", 11);
        stripe.v2().billing().meterEventAdjustments().create(
                com.stripe.param.v2.billing.MeterEventAdjustmentCreateParams.builder().setEventName(EVENT)
                        .setType(com.stripe.param.v2.billing.MeterEventAdjustmentCreateParams.Type.CANCEL)
                        .setCancel(com.stripe.param.v2.billing.MeterEventAdjustmentCreateParams.Cancel.builder()
                                .setIdentifier("a-3").build()).build());
        assertThat(emulator.meterEventTotal(ada.getId(), EVENT)).isEqualTo(7);
    }

    private static JsonNode reason(Event event) {
        try {
            return new ObjectMapper().readTree(event.getRawJsonObject().toString()).at("/data/reason");
        } catch (JsonProcessingException e) {
            throw new AssertionError(e);
        }
    }

    private void cancel(String identifier) throws StripeException {
        stripe.v1().billing().meterEventAdjustments().create(MeterEventAdjustmentCreateParams.builder()
                .setEventName(EVENT).setType(MeterEventAdjustmentCreateParams.Type.CANCEL)
                .setCancel(MeterEventAdjustmentCreateParams.Cancel.builder().setIdentifier(identifier).build())
                .build());
    }
}
