package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import com.stripe.StripeClient;
import com.stripe.param.CustomerCreateParams;
import dev.ledger.ops.stripe.StripeEmulator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The v2 sender against the Stripe emulator alone: batching, session renewal on our clock and on Stripe's answer,
 * and the checks that keep Stripe's after-the-fact validation from dropping a window silently.
 */
class MeterEventStreamTest {

    private static final String METER = "tokens";

    private StripeEmulator emulator;
    private MovableClock clock;
    private MeterEventStream stream;
    private String customer;
    private Instant firstWindow;

    @BeforeEach
    void start() throws Exception {
        emulator = StripeEmulator.start(0);
        MeterReaderConfig config = MeterReaderConfig.fromEnv(Map.of(
                "DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/unused",
                "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1",
                "STRIPE_API_BASE", emulator.url(),
                "LEDGER_API_URL", "http://127.0.0.1:1",
                "LEDGER_SERVICE_KEY", "unused",
                "METER_EVENTS_MODE", "v2"));
        clock = new MovableClock(Instant.now());
        MeterReaderMetrics metrics = new MeterReaderMetrics();
        stream = new MeterEventStream(config, new StripeMeters(config, MeterReaderPolicy.defaults(), metrics), metrics, clock);
        StripeClient stripe = StripeClient.builder().setApiKey("sk_test_local").setApiBase(emulator.url())
                .setMeterEventsBase(emulator.url()).build();
        customer = stripe.v1().customers().create(CustomerCreateParams.builder().setName("Tenant A").build()).getId();
        firstWindow = UsageWindow.startOf(clock.instant().minus(Duration.ofHours(2)), Duration.ofMinutes(1));
    }

    @AfterEach
    void stop() {
        emulator.close();
    }

    @Test
    void givenAPassOf150ClosedWindows_thenTwoStreamCallsCarryThemAndARepeatIsIgnored() {
        List<MeterReport> windows = windows(0, 150, customer);

        Map<String, Delivery> outcomes = stream.send(windows);

        assertThat(outcomes).hasSize(150);
        assertThat(outcomes.values()).containsOnly(Delivery.DONE);
        assertThat(emulator.meterEventStreamCalls()).isEqualTo(2);
        assertThat(emulator.meterEventsAccepted()).isEqualTo(150);
        assertThat(emulator.meterEventTotal(customer, METER)).isEqualTo(sum(windows));

        // sent again, as after a crash before the windows were marked DELIVERED
        assertThat(stream.send(windows).values()).containsOnly(Delivery.DONE);
        assertThat(emulator.meterEventStreamDuplicates()).isEqualTo(150);
        assertThat(emulator.meterEventTotal(customer, METER)).isEqualTo(sum(windows));
        assertThat(emulator.meterEventSessionsCreated()).isEqualTo(1);
    }

    @Test
    void givenTheSessionIsAboutToRunOut_thenANewOneIsMadeBeforeSending() {
        stream.send(windows(0, 2, customer));
        Duration almostOver = Duration.ofMinutes(15).minus(MeterEventStream.RENEW_MARGIN).plusSeconds(1);
        clock.advance(almostOver);
        emulator.advanceClock(almostOver);

        assertThat(stream.send(windows(2, 2, customer)).values()).containsOnly(Delivery.DONE);

        assertThat(emulator.meterEventSessionsCreated()).isEqualTo(2);
        assertThat(emulator.meterEventSessionsExpired()).as("no call went out on the old token").isZero();
        assertThat(emulator.meterEventTotal(customer, METER)).isEqualTo(sum(windows(0, 4, customer)));
    }

    @Test
    void givenStripeExpiredTheSessionBeforeOurClockDid_thenItIsRenewedAndTheBatchResentAtOnce() {
        stream.send(windows(0, 2, customer));
        emulator.advanceClock(Duration.ofMinutes(16)); // our clock stays put: only Stripe's 401 can tell

        assertThat(stream.send(windows(2, 3, customer)).values()).containsOnly(Delivery.DONE);

        assertThat(emulator.meterEventSessionsExpired()).isEqualTo(1);
        assertThat(emulator.meterEventSessionsCreated()).isEqualTo(2);
        assertThat(emulator.meterEventTotal(customer, METER)).isEqualTo(sum(windows(0, 5, customer)));
    }

    @Test
    void givenAWindowWhoseCustomerStripeDoesNotHave_thenItParksBeforeStreamingInsteadOfBeingDroppedByStripe() {
        List<MeterReport> good = windows(0, 3, customer);
        MeterReport orphan = windows(3, 1, "cus_doesnotexist").get(0);
        List<MeterReport> pass = new ArrayList<>(good);
        pass.add(orphan);

        Map<String, Delivery> outcomes = stream.send(pass);

        assertThat(outcomes.get(orphan.identifier())).isInstanceOfSatisfying(Delivery.Park.class,
                p -> assertThat(p.reason()).contains("No such customer"));
        good.forEach(w -> assertThat(outcomes.get(w.identifier())).isEqualTo(Delivery.DONE));
        assertThat(emulator.meterErrorReports()).as("nothing reached Stripe to be dropped there").isEmpty();
        assertThat(emulator.meterEventTotal(customer, METER)).isEqualTo(sum(good));
    }

    @Test
    void givenARequestStripeRefusesWhole_thenEachWindowIsSentAloneAndOnlyTheBadOneParks() {
        List<MeterReport> good = windows(0, 4, customer);
        UsageWindow w = new UsageWindow("tenant-a", METER, firstWindow.plusSeconds(3600),
                firstWindow.plusSeconds(3660));
        MeterReport tooLongId = new MeterReport(w, 5, "x".repeat(101), MeterReport.Status.CLOSED, 0, customer);
        List<MeterReport> pass = new ArrayList<>(good);
        pass.add(1, tooLongId);

        Map<String, Delivery> outcomes = stream.send(pass);

        assertThat(outcomes.get(tooLongId.identifier())).isInstanceOf(Delivery.Park.class);
        good.forEach(g -> assertThat(outcomes.get(g.identifier())).isEqualTo(Delivery.DONE));
        assertThat(emulator.meterEventStreamCalls()).isEqualTo(1 + pass.size());
        assertThat(emulator.meterEventTotal(customer, METER)).isEqualTo(sum(good));
    }

    /** {@code n} consecutive one-minute windows of tenant-a from the {@code from}-th, quantity = index + 1. */
    private List<MeterReport> windows(int from, int n, String customerId) {
        List<MeterReport> windows = new ArrayList<>();
        for (int i = from; i < from + n; i++) {
            UsageWindow w = new UsageWindow("tenant-a", METER, firstWindow.plusSeconds(60L * i),
                    firstWindow.plusSeconds(60L * (i + 1)));
            windows.add(new MeterReport(w, i + 1, w.identifier(), MeterReport.Status.CLOSED, 0, customerId));
        }
        return windows;
    }

    private static long sum(List<MeterReport> windows) {
        return windows.stream().mapToLong(MeterReport::quantity).sum();
    }

    /** The worker's clock, moved by the test instead of by sleeping. */
    private static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant start) {
            this.now = start;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
