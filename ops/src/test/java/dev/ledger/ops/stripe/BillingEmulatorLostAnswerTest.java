package dev.ledger.ops.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.stripe.StripeClient;
import com.stripe.exception.ApiException;
import com.stripe.exception.StripeException;
import com.stripe.model.Customer;
import com.stripe.model.billing.Meter;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.billing.MeterCreateParams;
import com.stripe.param.billing.MeterEventCreateParams;
import com.stripe.param.billing.MeterEventSummaryListParams;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The emulator's lost answers (issue 11, item 13): a meter event call takes effect and its answer is a 500, as when
 * Stripe accepted it but the answer never arrived. With its clock, what the worker must guard against shows: once
 * Stripe's 24 h identifier window has passed, the same identifier is accepted, and billed, again.
 */
class BillingEmulatorLostAnswerTest {

    private static final Instant NOW = Instant.parse("2026-03-10T12:30:00Z");
    private StripeEmulator emulator;
    private StripeClient stripe;

    @BeforeEach
    void start() {
        emulator = StripeEmulator.start(0);
        emulator.setNow(NOW);
        stripe = StripeClient.builder().setApiKey("sk_test_x").setApiBase(emulator.url())
                .setMeterEventsBase(emulator.url()).setMaxNetworkRetries(0).build();
    }

    @AfterEach
    void stop() {
        emulator.close();
    }

    @Test
    void givenLostAnswers_thenTheEventIsRecordedTheCallerSeesA500AndAfter24HoursTheIdentifierIsAcceptedAgain()
            throws Exception {
        Customer customer = stripe.v1().customers().create(CustomerCreateParams.builder().setName("Ada").build());
        Meter meter = stripe.v1().billing().meters().create(MeterCreateParams.builder().setDisplayName("tokens")
                .setEventName("tokens")
                .setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                        .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build())
                .setCustomerMapping(MeterCreateParams.CustomerMapping.builder().setEventPayloadKey("stripe_customer_id")
                        .setType(MeterCreateParams.CustomerMapping.Type.BY_ID).build())
                .setValueSettings(MeterCreateParams.ValueSettings.builder().setEventPayloadKey("value").build()).build());
        MeterEventCreateParams event = MeterEventCreateParams.builder().setEventName("tokens").setIdentifier("w-1")
                .putPayload("stripe_customer_id", customer.getId()).putPayload("value", "7")
                .setTimestamp(NOW.getEpochSecond()).build();

        HttpResponse<String> on = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(emulator.url() + "/_emulator/lost-answers"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("enabled=true")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(on.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> stripe.v1().billing().meterEvents().create(event)).isInstanceOf(ApiException.class);
        assertThatThrownBy(() -> stripe.v1().billing().meterEvents().create(event)).isInstanceOf(ApiException.class);
        assertThat(emulator.meterEventsAccepted()).as("recorded once, the retry was a duplicate").isEqualTo(1);
        assertThat(summary(meter, customer)).isEqualTo(7);

        emulator.loseAnswers(false);
        emulator.advanceClock(Duration.ofHours(25));
        stripe.v1().billing().meterEvents().create(event);
        assertThat(emulator.meterEventsAccepted()).as("the identifier was forgotten after 24 h").isEqualTo(2);
        assertThat(summary(meter, customer)).isEqualTo(14);
    }

    private long summary(Meter meter, Customer customer) throws StripeException {
        return stripe.v1().billing().meters().eventSummaries().list(meter.getId(), MeterEventSummaryListParams.builder()
                        .setCustomer(customer.getId()).setStartTime(NOW.getEpochSecond())
                        .setEndTime(NOW.getEpochSecond() + 60).build())
                .getData().get(0).getAggregatedValue().longValueExact();
    }
}
