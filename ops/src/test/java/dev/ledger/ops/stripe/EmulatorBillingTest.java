package dev.ledger.ops.stripe;

import static org.assertj.core.api.Assertions.assertThat;

import com.stripe.StripeClient;
import com.stripe.exception.CardException;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.StripeException;
import com.stripe.model.Customer;
import com.stripe.model.Event;
import com.stripe.model.Invoice;
import com.stripe.model.InvoiceLineItem;
import com.stripe.model.Price;
import com.stripe.model.Product;
import com.stripe.model.Subscription;
import com.stripe.model.billing.Meter;
import com.stripe.model.testhelpers.TestClock;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.CustomerUpdateParams;
import com.stripe.param.EventListParams;
import com.stripe.param.InvoiceListParams;
import com.stripe.param.InvoiceUpdateParams;
import com.stripe.param.PriceCreateParams;
import com.stripe.param.ProductCreateParams;
import com.stripe.param.SubscriptionCreateParams;
import com.stripe.param.billing.MeterCreateParams;
import com.stripe.param.billing.MeterEventCreateParams;
import com.stripe.param.testhelpers.TestClockAdvanceParams;
import com.stripe.param.testhelpers.TestClockCreateParams;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A billing month through stripe-java, moved by a test clock: a metered price on a billing meter, a subscription
 * anchored on the clock, meter events, the period-end invoice (draft, lines with the usage, amount from the unit
 * amount), finalisation after the draft window, payment success and failure, and the invoice lifecycle calls.
 */
class EmulatorBillingTest {
    /** The emulator's own time: meter event timestamps are checked against it, as Stripe checks them. */
    private static final Instant NOW = Instant.parse("2026-01-15T00:00:00Z");
    private static final Instant MONTH_START = Instant.parse("2026-01-01T00:00:00Z");
    private static final Instant MONTH_END = Instant.parse("2026-02-01T00:00:00Z");
    private static final long UNIT_AMOUNT = 7;

    private StripeEmulator emulator;
    private StripeClient stripe;
    private Meter meter;
    private Price price;
    private TestClock clock;

    @BeforeEach
    void start() throws StripeException {
        emulator = StripeEmulator.start(0, Clock.fixed(NOW, ZoneOffset.UTC));
        stripe = StripeClient.builder().setApiKey("sk_test_billing").setApiBase(emulator.url())
                .setMeterEventsBase(emulator.url()).setMaxNetworkRetries(0).build();
        meter = stripe.v1().billing().meters().create(MeterCreateParams.builder()
                .setDisplayName("Evaluations").setEventName("evaluations")
                .setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                        .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build()).build());
        Product product = stripe.v1().products().create(ProductCreateParams.builder().setName("Ledger").build());
        price = stripe.v1().prices().create(PriceCreateParams.builder().setCurrency("eur").setProduct(product.getId())
                .setUnitAmount(UNIT_AMOUNT).setRecurring(PriceCreateParams.Recurring.builder()
                        .setInterval(PriceCreateParams.Recurring.Interval.MONTH)
                        .setUsageType(PriceCreateParams.Recurring.UsageType.METERED)
                        .setMeter(meter.getId()).build()).build());
        clock = stripe.v1().testHelpers().testClocks().create(TestClockCreateParams.builder()
                .setFrozenTime(MONTH_START.getEpochSecond()).build());
    }

    @AfterEach
    void stop() {
        emulator.close();
    }

    private Customer customer(String name, String paymentMethod) throws StripeException {
        CustomerCreateParams.Builder b = CustomerCreateParams.builder().setName(name).setTestClock(clock.getId());
        if (paymentMethod != null) {
            b.setInvoiceSettings(CustomerCreateParams.InvoiceSettings.builder()
                    .setDefaultPaymentMethod(paymentMethod).build());
        }
        return stripe.v1().customers().create(b.build());
    }

    private Subscription subscribe(Customer c) throws StripeException {
        return stripe.v1().subscriptions().create(SubscriptionCreateParams.builder().setCustomer(c.getId())
                .addItem(SubscriptionCreateParams.Item.builder().setPrice(price.getId()).build()).build());
    }

    private void usage(Customer c, String id, long value, Instant at) throws StripeException {
        stripe.v1().billing().meterEvents().create(MeterEventCreateParams.builder().setEventName("evaluations")
                .setIdentifier(id).setTimestamp(at.getEpochSecond())
                .putPayload("stripe_customer_id", c.getId()).putPayload("value", Long.toString(value)).build());
    }

    private void advanceTo(Instant t) throws StripeException {
        stripe.v1().testHelpers().testClocks().advance(clock.getId(),
                TestClockAdvanceParams.builder().setFrozenTime(t.getEpochSecond()).build());
    }

    private Invoice cycleInvoice(Customer c) throws StripeException {
        List<Invoice> cycle = stripe.v1().invoices().list(InvoiceListParams.builder().setCustomer(c.getId()).build())
                .getData().stream().filter(i -> "subscription_cycle".equals(i.getBillingReason())).toList();
        assertThat(cycle).hasSize(1);
        return cycle.get(0);
    }

    @Test
    void givenUsageInTheMonth_whenTheClockPassesPeriodEnd_thenADraftBillsTheMeteredQuantityAndIsPaidAnHourLater()
            throws StripeException {
        Customer ada = customer("Ada", null);
        Subscription sub = subscribe(ada);
        assertThat(sub.getStatus()).isEqualTo("active");
        assertThat(sub.getItems().getData().get(0).getCurrentPeriodStart()).isEqualTo(MONTH_START.getEpochSecond());
        assertThat(sub.getItems().getData().get(0).getCurrentPeriodEnd()).isEqualTo(MONTH_END.getEpochSecond());
        Invoice first = stripe.v1().invoices().retrieve(sub.getLatestInvoice());
        assertThat(first.getBillingReason()).isEqualTo("subscription_create");
        assertThat(first.getAmountDue()).isZero();
        assertThat(first.getStatus()).isEqualTo("paid");

        usage(ada, "u-1", 40, Instant.parse("2026-01-02T10:00:00Z"));
        usage(ada, "u-2", 2, Instant.parse("2026-01-14T23:00:00Z"));

        advanceTo(MONTH_END);
        Invoice draft = cycleInvoice(ada);
        assertThat(draft.getStatus()).isEqualTo("draft");
        assertThat(draft.getAutoAdvance()).isTrue();
        assertThat(draft.getCreated()).isEqualTo(MONTH_END.getEpochSecond());
        assertThat(draft.getAutomaticallyFinalizesAt()).isEqualTo(MONTH_END.getEpochSecond() + 3600);
        assertThat(draft.getPeriodStart()).isEqualTo(MONTH_START.getEpochSecond());
        assertThat(draft.getPeriodEnd()).isEqualTo(MONTH_END.getEpochSecond());
        assertThat(draft.getCurrency()).isEqualTo("eur");
        InvoiceLineItem line = draft.getLines().getData().get(0);
        assertThat(line.getQuantity()).isEqualTo(42L);
        assertThat(line.getAmount()).isEqualTo(42 * UNIT_AMOUNT);
        assertThat(line.getPeriod().getStart()).isEqualTo(MONTH_START.getEpochSecond());
        assertThat(draft.getAmountDue()).isEqualTo(42 * UNIT_AMOUNT);
        assertThat(stripe.v1().customers().retrieve(ada.getId()).getCurrency()).isEqualTo("eur");

        advanceTo(MONTH_END.plusSeconds(3599));
        assertThat(stripe.v1().invoices().retrieve(draft.getId()).getStatus()).isEqualTo("draft");
        advanceTo(MONTH_END.plusSeconds(3600));
        Invoice paid = stripe.v1().invoices().retrieve(draft.getId());
        assertThat(paid.getStatus()).isEqualTo("paid");
        assertThat(paid.getAmountPaid()).isEqualTo(42 * UNIT_AMOUNT);
        assertThat(paid.getNumber()).startsWith(ada.getInvoicePrefix() + "-");
        assertThat(paid.getStatusTransitions().getFinalizedAt()).isEqualTo(MONTH_END.getEpochSecond() + 3600);

        List<String> types = stripe.v1().events().list(EventListParams.builder().setLimit(100L).build()).getData()
                .stream().map(Event::getType).toList().reversed();
        assertThat(types).containsSubsequence("customer.subscription.created", "invoice.created",
                "invoice.finalized", "invoice.paid", "invoice.created", "customer.subscription.updated",
                "invoice.finalized", "invoice.payment_succeeded", "invoice.paid");
        assertThat(stripe.v1().testHelpers().testClocks().retrieve(clock.getId()).getStatus()).isEqualTo("ready");
    }

    @Test
    void givenADecliningPaymentMethod_thenThePaymentFailsTheSubscriptionIsPastDueAndARetryAfterAFixPaysIt()
            throws StripeException {
        Customer bob = customer("Bob", "pm_card_chargeDeclined");
        Subscription sub = subscribe(bob);
        usage(bob, "b-1", 10, Instant.parse("2026-01-03T00:00:00Z"));
        advanceTo(MONTH_END.plusSeconds(3600));
        Invoice failed = cycleInvoice(bob);
        assertThat(failed.getStatus()).isEqualTo("open");
        assertThat(failed.getAttemptCount()).isEqualTo(1L);
        assertThat(failed.getNextPaymentAttempt()).isEqualTo(MONTH_END.getEpochSecond() + 3600 + 3 * 86400);
        assertThat(stripe.v1().subscriptions().retrieve(sub.getId()).getStatus()).isEqualTo("past_due");

        stripe.v1().customers().update(bob.getId(), CustomerUpdateParams.builder().setInvoiceSettings(
                CustomerUpdateParams.InvoiceSettings.builder().setDefaultPaymentMethod("pm_card_visa").build()).build());
        advanceTo(MONTH_END.plusSeconds(3600 + 3 * 86400));
        Invoice paid = stripe.v1().invoices().retrieve(failed.getId());
        assertThat(paid.getStatus()).isEqualTo("paid");
        assertThat(paid.getAttemptCount()).isEqualTo(2L);
        assertThat(stripe.v1().subscriptions().retrieve(sub.getId()).getStatus()).isEqualTo("active");
        assertThat(stripe.v1().events().list(EventListParams.builder().setType("invoice.payment_failed").build())
                .getData()).hasSize(1);
    }

    @Test
    void givenAHeldDraft_thenItWaitsAndFinalizeVoidMarkUncollectibleAndPayFollowStripesRules() throws StripeException {
        Customer cy = customer("Cy", null);
        subscribe(cy);
        usage(cy, "c-1", 3, Instant.parse("2026-01-05T00:00:00Z"));
        advanceTo(MONTH_END);
        Invoice draft = cycleInvoice(cy);
        Invoice held = stripe.v1().invoices().update(draft.getId(), InvoiceUpdateParams.builder().setAutoAdvance(false)
                .putMetadata("ledger_checkpoint", "x".repeat(500)).build());
        assertThat(held.getMetadata().get("ledger_checkpoint")).hasSize(500);
        InvalidRequestException tooLong = null;
        try {
            stripe.v1().invoices().update(draft.getId(), InvoiceUpdateParams.builder()
                    .putMetadata("ledger_checkpoint", "x".repeat(501)).build());
        } catch (InvalidRequestException e) {
            tooLong = e;
        }
        assertThat(tooLong).isNotNull();
        assertThat(tooLong.getParam()).isEqualTo("metadata[ledger_checkpoint]");

        advanceTo(MONTH_END.plusSeconds(80 * 3600));
        assertThat(stripe.v1().invoices().retrieve(draft.getId()).getStatus()).isEqualTo("draft");

        Invoice open = stripe.v1().invoices().finalizeInvoice(draft.getId());
        assertThat(open.getStatus()).isEqualTo("open");
        assertThat(open.getAutoAdvance()).isFalse();
        Invoice uncollectible = stripe.v1().invoices().markUncollectible(draft.getId());
        assertThat(uncollectible.getStatus()).isEqualTo("uncollectible");
        Invoice paid = stripe.v1().invoices().pay(draft.getId());
        assertThat(paid.getStatus()).isEqualTo("paid");
        assertThat(paid.getAmountPaid()).isEqualTo(3 * UNIT_AMOUNT);

        InvalidRequestException notOpen = null;
        try {
            stripe.v1().invoices().voidInvoice(draft.getId());
        } catch (InvalidRequestException e) {
            notOpen = e;
        }
        assertThat(notOpen).isNotNull();
    }

    @Test
    void givenADecliningCustomer_whenPayingByHand_thenTheCallAnswersCardDeclinedAndVoidCloses()
            throws StripeException {
        Customer dee = customer("Dee", "pm_card_visa_chargeDeclined");
        subscribe(dee);
        usage(dee, "d-1", 1, Instant.parse("2026-01-05T00:00:00Z"));
        advanceTo(MONTH_END);
        Invoice draft = cycleInvoice(dee);
        stripe.v1().invoices().update(draft.getId(), InvoiceUpdateParams.builder().setAutoAdvance(false).build());
        stripe.v1().invoices().finalizeInvoice(draft.getId());
        CardException declined = null;
        try {
            stripe.v1().invoices().pay(draft.getId());
        } catch (CardException e) {
            declined = e;
        }
        assertThat(declined).isNotNull();
        assertThat(declined.getCode()).isEqualTo("card_declined");
        assertThat(stripe.v1().invoices().voidInvoice(draft.getId()).getStatus()).isEqualTo("void");

        List<Invoice> open = stripe.v1().invoices().list(InvoiceListParams.builder().setCustomer(dee.getId())
                .setStatus(InvoiceListParams.Status.VOID).build()).getData();
        assertThat(open).extracting(Invoice::getId).containsExactly(draft.getId());
        assertThat(stripe.v1().invoices().list(InvoiceListParams.builder()
                .setCreated(InvoiceListParams.Created.builder().setGte(MONTH_END.getEpochSecond()).build())
                .build()).getData()).extracting(Invoice::getId).containsExactly(draft.getId());
    }
}
