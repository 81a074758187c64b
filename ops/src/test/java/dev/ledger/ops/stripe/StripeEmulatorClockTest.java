package dev.ledger.ops.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.stripe.StripeClient;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.StripeException;
import com.stripe.exception.TemporarySessionExpiredException;
import com.stripe.model.Customer;
import com.stripe.model.billing.MeterEvent;
import com.stripe.model.v2.billing.MeterEventSession;
import com.stripe.net.RequestOptions;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.billing.MeterCreateParams;
import com.stripe.param.billing.MeterEventCreateParams;
import com.stripe.param.v2.billing.MeterEventStreamCreateParams;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The emulator reads one clock: started on a clock only the test moves, every time it answers and every window it
 * keeps (session 15 min, identifiers and idempotency keys 24 h) is exact to the millisecond, with no sleeping.
 */
class StripeEmulatorClockTest {
    private static final Instant T = Instant.parse("2026-03-10T12:30:00.250Z");
    private StripeEmulator emulator;
    private StripeClient stripe;
    private String customerId;

    @BeforeEach
    void start() throws StripeException {
        emulator = StripeEmulator.start(0, Clock.fixed(T, ZoneOffset.UTC));
        stripe = client("sk_test_x");
        customerId = stripe.v1().customers().create(CustomerCreateParams.builder().setName("Ada").build()).getId();
        stripe.v1().billing().meters().create(MeterCreateParams.builder().setDisplayName("tokens")
                .setEventName("tokens")
                .setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                        .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build())
                .build());
    }

    @AfterEach
    void stop() {
        emulator.close();
    }

    private StripeClient client(String key) {
        return StripeClient.builder().setApiKey(key).setApiBase(emulator.url()).setMeterEventsBase(emulator.url())
                .setMaxNetworkRetries(0).build();
    }

    private MeterEvent event(String identifier) throws StripeException {
        return stripe.v1().billing().meterEvents().create(MeterEventCreateParams.builder().setEventName("tokens")
                .setIdentifier(identifier).putPayload("stripe_customer_id", customerId).putPayload("value", "1")
                .build());
    }

    @Test
    void givenAClockOnlyTheTestMoves_thenTheEmulatorsTimeStandsStillUntilMoved() throws StripeException {
        assertThat(emulator.now()).isEqualTo(T);
        Customer created = stripe.v1().customers().retrieve(customerId);
        assertThat(created.getCreated()).isEqualTo(T.getEpochSecond());

        emulator.advanceClock(Duration.ofMinutes(90));
        assertThat(emulator.now()).isEqualTo(T.plus(Duration.ofMinutes(90)));
        assertThat(emulator.clock().instant()).isEqualTo(emulator.now());
        assertThat(emulator.clock().withZone(ZoneId.of("Europe/Paris")).instant())
                .as("every zone view reads the same moved clock").isEqualTo(emulator.now());
        MeterEvent event = event("moved");
        assertThat(event.getCreated()).isEqualTo(T.plus(Duration.ofMinutes(90)).getEpochSecond());
        assertThat(event.getTimestamp()).as("an event without timestamp is stamped with the emulator's time")
                .isEqualTo(event.getCreated());

        emulator.setNow(Instant.parse("2026-04-01T00:00:00Z"));
        assertThat(emulator.now()).isEqualTo(Instant.parse("2026-04-01T00:00:00Z"));
    }

    @Test
    void givenASession_thenItExpiresExactlyFifteenMinutesLaterOnTheEmulatorsClock() throws StripeException {
        MeterEventSession session = stripe.v2().billing().meterEventSession().create();
        assertThat(session.getCreated()).isEqualTo(T);
        assertThat(session.getExpiresAt()).isEqualTo(T.plus(Duration.ofMinutes(15)));
        StripeClient stream = client(session.getAuthenticationToken());
        MeterEventStreamCreateParams one = MeterEventStreamCreateParams.builder()
                .addEvent(MeterEventStreamCreateParams.Event.builder().setEventName("tokens")
                        .putPayload("stripe_customer_id", customerId).putPayload("value", "1").build())
                .build();

        emulator.advanceClock(Duration.ofMinutes(15).minusMillis(1));
        stream.v2().billing().meterEventStream().create(one);
        emulator.advanceClock(Duration.ofMillis(1));

        assertThatThrownBy(() -> stream.v2().billing().meterEventStream().create(one))
                .isInstanceOf(TemporarySessionExpiredException.class);
        assertThat(emulator.meterEventTotal(customerId, "tokens")).isEqualTo(1);
    }

    @Test
    void givenTheSameIdentifierAndIdempotencyKey_thenBothAreRememberedForExactly24Hours() throws StripeException {
        event("w-1");
        RequestOptions key = RequestOptions.builder().setIdempotencyKey("create-bob").build();
        CustomerCreateParams bob = CustomerCreateParams.builder().setName("Bob").build();
        String first = stripe.v1().customers().create(bob, key).getId();

        emulator.advanceClock(Duration.ofHours(24).minusSeconds(1));
        assertThatThrownBy(() -> event("w-1")).isInstanceOfSatisfying(InvalidRequestException.class,
                e -> assertThat(e.getCode()).isEqualTo("resource_already_exists"));
        assertThat(stripe.v1().customers().create(bob, key).getId()).isEqualTo(first);

        emulator.advanceClock(Duration.ofSeconds(1));
        event("w-1");
        assertThat(stripe.v1().customers().create(bob, key).getId()).isNotEqualTo(first);
        assertThat(emulator.meterEventTotal(customerId, "tokens")).isEqualTo(2);
    }
}
