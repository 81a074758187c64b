package dev.ledger.ops.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.stripe.StripeClient;
import com.stripe.exception.SignatureVerificationException;
import com.stripe.exception.StripeException;
import com.stripe.model.Customer;
import com.stripe.model.Event;
import com.stripe.model.Invoice;
import com.stripe.model.Price;
import com.stripe.model.Product;
import com.stripe.model.Subscription;
import com.stripe.model.billing.Meter;
import com.stripe.net.Webhook;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.PriceCreateParams;
import com.stripe.param.ProductCreateParams;
import com.stripe.param.SubscriptionCreateParams;
import com.stripe.param.InvoiceListParams;
import com.stripe.param.billing.MeterCreateParams;
import com.stripe.param.testhelpers.TestClockAdvanceParams;
import com.stripe.param.testhelpers.TestClockCreateParams;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Signed webhook delivery, checked on the receiving side with stripe-java's own {@code Webhook.constructEvent}. */
class EmulatorWebhookTest {
    private static final Instant NOW = Instant.parse("2026-03-01T00:00:00Z");
    private static final String OLD_SECRET = "whsec_old_secret";
    private static final String NEW_SECRET = "whsec_new_secret";

    private record Received(String payload, String signature) {
    }

    private StripeEmulator emulator;
    private StripeClient stripe;
    private HttpServer receiver;
    private final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger failuresToAnswer = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        emulator = StripeEmulator.start(0, Clock.fixed(NOW, ZoneOffset.UTC));
        stripe = StripeClient.builder().setApiKey("sk_test_hooks").setApiBase(emulator.url())
                .setMaxNetworkRetries(0).build();
        receiver = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
        receiver.createContext("/hooks", ex -> {
            try (ex) {
                String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                if (failuresToAnswer.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    ex.sendResponseHeaders(500, -1);
                    return;
                }
                received.add(new Received(body, ex.getRequestHeaders().getFirst("Stripe-Signature")));
                ex.sendResponseHeaders(200, -1);
            }
        });
        receiver.start();
        emulator.webhookEndpoint("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hooks",
                OLD_SECRET, NEW_SECRET);
    }

    @AfterEach
    void stop() {
        receiver.stop(0);
        emulator.close();
    }

    /** A metered-only subscription: created, its $0 invoice created, finalized and paid, the subscription active. */
    private Subscription subscription() throws StripeException {
        return subscription(null);
    }

    private Subscription subscription(String testClock) throws StripeException {
        Meter meter = stripe.v1().billing().meters().create(MeterCreateParams.builder().setDisplayName("E")
                .setEventName("evaluations").setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                        .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build()).build());
        Product product = stripe.v1().products().create(ProductCreateParams.builder().setName("Ledger").build());
        Price price = stripe.v1().prices().create(PriceCreateParams.builder().setCurrency("usd")
                .setProduct(product.getId()).setUnitAmount(3L).setRecurring(PriceCreateParams.Recurring.builder()
                        .setInterval(PriceCreateParams.Recurring.Interval.MONTH)
                        .setUsageType(PriceCreateParams.Recurring.UsageType.METERED).setMeter(meter.getId()).build())
                .build());
        Customer c = stripe.v1().customers().create(CustomerCreateParams.builder().setName("Ada")
                .setTestClock(testClock).build());
        return stripe.v1().subscriptions().create(SubscriptionCreateParams.builder().setCustomer(c.getId())
                .addItem(SubscriptionCreateParams.Item.builder().setPrice(price.getId()).build()).build());
    }

    private static Event verify(Received r, String secret) throws SignatureVerificationException {
        // tolerance 0: the emulator signs at its own (fixed) time, which is not this machine's
        return Webhook.constructEvent(r.payload(), r.signature(), secret, 0);
    }

    private List<String> types() throws SignatureVerificationException {
        List<String> out = new ArrayList<>();
        for (Received r : received) {
            out.add(verify(r, NEW_SECRET).getType());
        }
        return out;
    }

    @Test
    void givenTwoSigningSecrets_thenEveryEventVerifiesWithEitherAndDeserializesAndAnUnknownSecretFails()
            throws Exception {
        Subscription sub = subscription();
        assertThat(emulator.deliverWebhooks().delivered()).isEqualTo(5);
        assertThat(types()).containsExactly("customer.subscription.created", "invoice.created",
                "invoice.finalized", "invoice.paid", "customer.subscription.updated");
        for (Received r : received) {
            assertThat(r.signature()).startsWith("t=" + NOW.getEpochSecond() + ",v1=").contains(",v1=");
            Event old = verify(r, OLD_SECRET);
            Event rolled = verify(r, NEW_SECRET);
            assertThat(old.getId()).isEqualTo(rolled.getId());
            assertThat(old.getApiVersion()).isEqualTo(com.stripe.Stripe.API_VERSION);
            assertThat(old.getDataObjectDeserializer().getObject()).isPresent();
            assertThatThrownBy(() -> verify(r, "whsec_unknown")).isInstanceOf(SignatureVerificationException.class);
        }
        Invoice paid = (Invoice) verify(received.get(3), NEW_SECRET).getDataObjectDeserializer().getObject().get();
        assertThat(paid.getStatus()).isEqualTo("paid");
        Subscription created = (Subscription) verify(received.get(0), NEW_SECRET).getDataObjectDeserializer()
                .getObject().get();
        assertThat(created.getId()).isEqualTo(sub.getId());
        assertThat(emulator.deliverWebhooks().delivered()).as("nothing is sent twice").isZero();
    }

    private static final Instant MONTH_START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant MONTH_END = Instant.parse("2026-02-01T00:00:00Z");

    private Invoice cycleDraftAfterMonthEnd(String clock, Subscription sub) throws StripeException {
        advance(clock, MONTH_END);
        return stripe.v1().invoices().list(InvoiceListParams.builder().setSubscription(sub.getId()).build())
                .getData().stream().filter(i -> "subscription_cycle".equals(i.getBillingReason())).findFirst()
                .orElseThrow();
    }

    private void advance(String clock, Instant to) throws StripeException {
        stripe.v1().testHelpers().testClocks().advance(clock,
                TestClockAdvanceParams.builder().setFrozenTime(to.getEpochSecond()).build());
    }

    private String clock() throws StripeException {
        return stripe.v1().testHelpers().testClocks().create(TestClockCreateParams.builder()
                .setFrozenTime(MONTH_START.getEpochSecond()).build()).getId();
    }

    @Test
    void givenAnEndpoint_thenADraftFinalizesAnHourAfterItsInvoiceCreatedWasAcknowledged() throws Exception {
        String clock = clock();
        Subscription sub = subscription(clock);
        Invoice draft = cycleDraftAfterMonthEnd(clock, sub);
        assertThat(draft.getAutomaticallyFinalizesAt()).as("waits for the webhook")
                .isEqualTo(MONTH_END.getEpochSecond() + 72 * 3600);
        advance(clock, MONTH_END.plusSeconds(1800));
        emulator.deliverWebhooks();
        assertThat(stripe.v1().invoices().retrieve(draft.getId()).getAutomaticallyFinalizesAt())
                .isEqualTo(MONTH_END.getEpochSecond() + 1800 + 3600);
        advance(clock, MONTH_END.plusSeconds(1800 + 3599));
        assertThat(stripe.v1().invoices().retrieve(draft.getId()).getStatus()).isEqualTo("draft");
        advance(clock, MONTH_END.plusSeconds(1800 + 3600));
        assertThat(stripe.v1().invoices().retrieve(draft.getId()).getStatus()).isEqualTo("paid");
    }

    @Test
    void givenAnEndpointThatNeverAcknowledges_thenTheDraftFinalizesAfter72Hours() throws Exception {
        failuresToAnswer.set(Integer.MAX_VALUE);
        String clock = clock();
        Subscription sub = subscription(clock);
        Invoice draft = cycleDraftAfterMonthEnd(clock, sub);
        emulator.deliverWebhooks();
        advance(clock, MONTH_END.plusSeconds(72 * 3600 - 1));
        assertThat(stripe.v1().invoices().retrieve(draft.getId()).getStatus()).isEqualTo("draft");
        advance(clock, MONTH_END.plusSeconds(72 * 3600));
        assertThat(stripe.v1().invoices().retrieve(draft.getId()).getStatus()).isEqualTo("paid");
    }

    @Test
    void givenTheEndpointAnswers500_thenTheEventIsRetriedOnlyAfterItsBackoffOfEmulatorTime() throws Exception {
        subscription();
        failuresToAnswer.set(5);
        StripeEmulator.WebhookReport first = emulator.deliverWebhooks();
        assertThat(first.failed()).isEqualTo(5);
        assertThat(received).isEmpty();
        assertThat(emulator.deliverWebhooks().delivered()).as("not due before the backoff").isZero();
        emulator.advanceClock(Duration.ofMinutes(59));
        assertThat(emulator.deliverWebhooks().delivered()).isZero();
        emulator.advanceClock(Duration.ofMinutes(1));
        assertThat(emulator.deliverWebhooks().delivered()).isEqualTo(5);
        assertThat(received).hasSize(5);
    }

    @Test
    void givenAnEndpointThatNeverAnswers2xx_thenDeliveryIsGivenUpAfterThreeDays() throws Exception {
        subscription();
        failuresToAnswer.set(Integer.MAX_VALUE);
        int givenUp = 0;
        for (int hour = 0; hour <= 80 && givenUp == 0; hour++) {
            givenUp = emulator.deliverWebhooks().givenUp();
            emulator.advanceClock(Duration.ofHours(1));
        }
        assertThat(givenUp).isEqualTo(5);
        assertThat(emulator.webhooksGivenUp()).hasSize(5);
        assertThat(emulator.now()).isBefore(NOW.plus(Duration.ofHours(81)));
    }

    @Test
    void givenDuplicatesAndShuffle_thenEachEventArrivesThreeTimesOutOfOrder() throws Exception {
        emulator.duplicateWebhooks(3);
        emulator.shuffleWebhooks(7L);
        subscription();
        assertThat(emulator.deliverWebhooks().delivered()).isEqualTo(15);
        List<String> ids = new ArrayList<>();
        for (Received r : received) {
            ids.add(verify(r, OLD_SECRET).getId());
        }
        assertThat(ids.stream().distinct().count()).isEqualTo(5);
        assertThat(ids.stream().distinct().allMatch(id -> Collections.frequency(ids, id) == 3)).isTrue();
        List<String> inOrder = new ArrayList<>(ids);
        inOrder.sort((a, b) -> Integer.compare(ids.indexOf(a), ids.indexOf(b)));
        assertThat(ids).isNotEqualTo(inOrder);
    }
}
