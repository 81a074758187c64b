package dev.ledger.ops.stripe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.model.Customer;
import com.stripe.model.StripeObject;
import com.stripe.model.billing.Meter;
import com.stripe.model.testhelpers.TestClock;
import com.stripe.model.Event;
import com.stripe.model.Invoice;
import com.stripe.model.Price;
import com.stripe.model.Product;
import com.stripe.model.Subscription;
import com.stripe.model.v2.billing.MeterEventSession;
import com.stripe.net.ApiResource;
import com.stripe.param.EventListParams;
import com.stripe.param.InvoiceListParams;
import com.stripe.param.InvoicePayParams;
import com.stripe.param.InvoiceRetrieveParams;
import com.stripe.param.InvoiceUpdateParams;
import com.stripe.param.PriceCreateParams;
import com.stripe.param.PriceListParams;
import com.stripe.param.PriceRetrieveParams;
import com.stripe.param.PriceUpdateParams;
import com.stripe.param.ProductCreateParams;
import com.stripe.param.ProductListParams;
import com.stripe.param.ProductUpdateParams;
import com.stripe.param.SubscriptionCreateParams;
import com.stripe.param.SubscriptionListParams;
import com.stripe.param.SubscriptionRetrieveParams;
import com.stripe.param.SubscriptionUpdateParams;
import com.stripe.param.billing.MeterEventAdjustmentCreateParams;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.CustomerRetrieveParams;
import com.stripe.param.CustomerListParams;
import com.stripe.param.CustomerUpdateParams;
import com.stripe.param.billing.MeterCreateParams;
import com.stripe.param.billing.MeterEventCreateParams;
import com.stripe.param.billing.MeterEventSummaryListParams;
import com.stripe.param.billing.MeterListParams;
import com.stripe.param.billing.MeterUpdateParams;
import com.stripe.param.testhelpers.TestClockAdvanceParams;
import com.stripe.param.testhelpers.TestClockCreateParams;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every operation the emulator serves, called through stripe-java, answers in the shape of Stripe's published OpenAPI
 * spec (the schemas in {@code stripe-spec/schemas.json}, see {@code stripe-spec/extract.py}): required members present,
 * no member Stripe does not have, types, enums, nullability and lengths as the spec says.
 */
class EmulatorSpecTest {
    private static final Instant NOW = Instant.parse("2026-03-10T12:30:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final EmulatorSpecValidator spec = EmulatorSpecValidator.load();
    private final List<String> mismatches = new ArrayList<>();
    private final Set<String> checked = new LinkedHashSet<>();
    private StripeEmulator emulator;
    private StripeClient stripe;

    @BeforeEach
    void start() {
        emulator = StripeEmulator.start(0, Clock.fixed(NOW, ZoneOffset.UTC));
        stripe = StripeClient.builder().setApiKey("sk_test_spec").setApiBase(emulator.url())
                .setMeterEventsBase(emulator.url()).setMaxNetworkRetries(0).build();
    }

    @AfterEach
    void stop() {
        emulator.close();
    }

    /**
     * Served operations whose Stripe schemas are not in the extract (none now): the test fails when a route is served
     * that is neither extracted nor listed here.
     */
    private static final Set<String> NOT_YET_EXTRACTED = Set.of();

    private static String shape(String operation) {
        return operation.replaceAll("\\{[^}]+}", "{}");
    }

    @Test
    void everyServedRouteIsInTheExtractOrNamedAsNotYetExtracted() {
        Set<String> extracted = new LinkedHashSet<>();
        spec.operations().forEach(op -> extracted.add(shape(op)));
        List<String> unchecked = new ArrayList<>();
        for (String route : emulator.routes()) {
            String op = shape(route);
            if (!op.contains(" /_emulator") && !extracted.contains(op) && !NOT_YET_EXTRACTED.contains(op)) {
                unchecked.add(op);
            }
        }
        assertThat(unchecked).as("served routes without a spec schema").isEmpty();
        assertThat(NOT_YET_EXTRACTED).as("listed as not extracted, but extracted").doesNotContainAnyElementsOf(extracted);
    }

    private void check(String operation, StripeObject answer) throws IOException {
        check(operation, answer.getLastResponse().body());
    }

    private void check(String operation, String answer) throws IOException {
        checked.add(operation);
        JsonNode body = JSON.readTree(answer);
        for (String m : spec.mismatches(operation, body)) {
            mismatches.add(operation + " " + m);
        }
    }

    /** Products, prices, subscriptions and a billing month's invoices on a test clock, and the events they made. */
    private void billing() throws StripeException, IOException {
        Meter meter = stripe.v1().billing().meters().create(MeterCreateParams.builder()
                .setDisplayName("Tokens").setEventName("tokens")
                .setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                        .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build()).build());
        Product product = stripe.v1().products().create(ProductCreateParams.builder().setName("Ledger").build());
        check("POST /v1/products", product);
        check("GET /v1/products/{id}", stripe.v1().products().retrieve(product.getId()));
        check("POST /v1/products/{id}", stripe.v1().products().update(product.getId(),
                ProductUpdateParams.builder().putMetadata("plan", "metered").build()));
        check("GET /v1/products", stripe.v1().products().list(ProductListParams.builder().build()));
        Product unused = stripe.v1().products().create(ProductCreateParams.builder().setName("Unused").build());
        check("DELETE /v1/products/{id}", stripe.v1().products().delete(unused.getId()));

        Price price = stripe.v1().prices().create(PriceCreateParams.builder().setCurrency("eur")
                .setProduct(product.getId()).setUnitAmount(7L).setNickname("per token")
                .setRecurring(PriceCreateParams.Recurring.builder()
                        .setInterval(PriceCreateParams.Recurring.Interval.MONTH)
                        .setUsageType(PriceCreateParams.Recurring.UsageType.METERED)
                        .setMeter(meter.getId()).build()).build());
        check("POST /v1/prices", price);
        check("GET /v1/prices/{price}", stripe.v1().prices().retrieve(price.getId()));
        check("POST /v1/prices/{price}", stripe.v1().prices().update(price.getId(),
                PriceUpdateParams.builder().putMetadata("tier", "standard").build()));
        check("GET /v1/prices", stripe.v1().prices().list(PriceListParams.builder().build()));
        check("GET /v1/prices/{price}", stripe.v1().prices().retrieve(price.getId(),
                PriceRetrieveParams.builder().addExpand("product").build()));

        Instant start = Instant.parse("2026-03-01T00:00:00Z");
        TestClock clock = stripe.v1().testHelpers().testClocks().create(TestClockCreateParams.builder()
                .setFrozenTime(start.getEpochSecond()).build());
        List<Customer> customers = new ArrayList<>();
        List<Subscription> subscriptions = new ArrayList<>();
        for (String name : List.of("paid", "voided", "uncollectible", "cancelled")) {
            Customer c = stripe.v1().customers().create(CustomerCreateParams.builder().setName(name)
                    .setTestClock(clock.getId()).build());
            customers.add(c);
            Subscription sub = stripe.v1().subscriptions().create(SubscriptionCreateParams.builder()
                    .setCustomer(c.getId()).addItem(SubscriptionCreateParams.Item.builder().setPrice(price.getId())
                            .build()).build());
            check("POST /v1/subscriptions", sub);
            subscriptions.add(sub);
            stripe.v1().billing().meterEvents().create(MeterEventCreateParams.builder().setEventName("tokens")
                    .setIdentifier("spec-usage-" + name).setTimestamp(NOW.getEpochSecond())
                    .putPayload("stripe_customer_id", c.getId()).putPayload("value", "5").build());
        }
        Subscription first = subscriptions.get(0);
        check("GET /v1/subscriptions/{subscription_exposed_id}", stripe.v1().subscriptions().retrieve(first.getId()));
        check("GET /v1/subscriptions/{subscription_exposed_id}", stripe.v1().subscriptions().retrieve(first.getId(),
                SubscriptionRetrieveParams.builder().addExpand("latest_invoice").addExpand("customer").build()));
        check("POST /v1/subscriptions/{subscription_exposed_id}", stripe.v1().subscriptions().update(first.getId(),
                SubscriptionUpdateParams.builder().putMetadata("tenant_id", "t-1").build()));
        check("GET /v1/subscriptions", stripe.v1().subscriptions().list(SubscriptionListParams.builder().build()));
        check("DELETE /v1/subscriptions/{subscription_exposed_id}",
                stripe.v1().subscriptions().cancel(subscriptions.get(3).getId()));

        // the month ends: each live subscription's draft bills its usage
        stripe.v1().testHelpers().testClocks().advance(clock.getId(), TestClockAdvanceParams.builder()
                .setFrozenTime(Instant.parse("2026-04-01T00:00:00Z").getEpochSecond()).build());
        List<Invoice> drafts = new ArrayList<>();
        for (Customer c : customers.subList(0, 3)) {
            Invoice draft = stripe.v1().invoices().list(InvoiceListParams.builder().setCustomer(c.getId())
                    .setStatus(InvoiceListParams.Status.DRAFT).build()).getData().get(0);
            drafts.add(draft);
        }
        check("GET /v1/invoices", stripe.v1().invoices().list(InvoiceListParams.builder().build()));
        Invoice draft = drafts.get(0);
        check("GET /v1/invoices/{invoice}", stripe.v1().invoices().retrieve(draft.getId()));
        check("GET /v1/invoices/{invoice}/lines", stripe.v1().invoices().lineItems().list(draft.getId()));
        check("POST /v1/invoices/{invoice}", stripe.v1().invoices().update(draft.getId(),
                InvoiceUpdateParams.builder().setAutoAdvance(false).putMetadata("ledger_hold", "spec").build()));
        check("POST /v1/invoices/{invoice}/finalize", stripe.v1().invoices().finalizeInvoice(draft.getId()));
        check("POST /v1/invoices/{invoice}/pay", stripe.v1().invoices().pay(draft.getId(),
                InvoicePayParams.builder().setPaidOutOfBand(true).build()));
        stripe.v1().invoices().finalizeInvoice(drafts.get(1).getId());
        check("POST /v1/invoices/{invoice}/void", stripe.v1().invoices().voidInvoice(drafts.get(1).getId()));
        stripe.v1().invoices().finalizeInvoice(drafts.get(2).getId());
        check("POST /v1/invoices/{invoice}/mark_uncollectible",
                stripe.v1().invoices().markUncollectible(drafts.get(2).getId()));
        check("GET /v1/invoices/{invoice}", stripe.v1().invoices().retrieve(draft.getId(),
                InvoiceRetrieveParams.builder().addExpand("customer").addExpand("test_clock").build()));

        com.stripe.model.StripeCollection<Event> events = stripe.v1().events().list(EventListParams.builder()
                .setLimit(100L).build());
        check("GET /v1/events", events);
        assertThat(events.getData()).extracting(Event::getType).contains("invoice.created", "invoice.finalized",
                "invoice.paid", "invoice.voided", "invoice.marked_uncollectible", "customer.subscription.deleted");
        for (Event e : events.getData()) {
            Event one = stripe.v1().events().retrieve(e.getId());
            check("GET /v1/events/{id}", one);
            // the object an event carries is the resource as Stripe's schema has it
            JsonNode object = JSON.readTree(one.getLastResponse().body()).at("/data/object");
            for (String m : spec.schemaMismatches(object.get("object").asText(), object)) {
                mismatches.add(e.getType() + " data.object " + m);
            }
        }
    }

    /** The v2 session and stream, meter event adjustments, and the error reports of events refused after acceptance. */
    private void meterEventsAfterAcceptance() throws StripeException, IOException {
        Customer c = stripe.v1().customers().create(CustomerCreateParams.builder().setName("Streamer").build());
        MeterEventSession session = stripe.v2().billing().meterEventSession().create();
        check("POST /v2/billing/meter_event_session", session);
        StripeClient streaming = StripeClient.builder().setApiKey(session.getAuthenticationToken())
                .setApiBase(emulator.url()).setMeterEventsBase(emulator.url()).setMaxNetworkRetries(0).build();
        String events = "{\"events\":[{\"event_name\":\"evaluations\",\"identifier\":\"spec-stream-1\","
                + "\"payload\":{\"stripe_customer_id\":\"" + c.getId() + "\",\"value\":\"2\"}},"
                + "{\"event_name\":\"evaluations\",\"identifier\":\"spec-stream-2\","
                + "\"payload\":{\"stripe_customer_id\":\"cus_unknown\",\"value\":\"2\"}},"
                + "{\"event_name\":\"no_such_meter\",\"identifier\":\"spec-stream-3\","
                + "\"payload\":{\"stripe_customer_id\":\"" + c.getId() + "\",\"value\":\"2\"}}]}";
        check("POST /v2/billing/meter_event_stream", streaming.rawRequest(ApiResource.RequestMethod.POST,
                "/v2/billing/meter_event_stream", events).body());

        check("POST /v1/billing/meter_event_adjustments", stripe.v1().billing().meterEventAdjustments().create(
                MeterEventAdjustmentCreateParams.builder().setEventName("evaluations")
                        .setType(MeterEventAdjustmentCreateParams.Type.CANCEL)
                        .setCancel(MeterEventAdjustmentCreateParams.Cancel.builder().setIdentifier("spec-1").build())
                        .build()));
        check("POST /v2/billing/meter_event_adjustments", stripe.v2().billing().meterEventAdjustments().create(
                com.stripe.param.v2.billing.MeterEventAdjustmentCreateParams.builder().setEventName("evaluations")
                        .setType(com.stripe.param.v2.billing.MeterEventAdjustmentCreateParams.Type.CANCEL)
                        .setCancel(com.stripe.param.v2.billing.MeterEventAdjustmentCreateParams.Cancel.builder()
                                .setIdentifier("spec-stream-1").build()).build()));

        String listed = stripe.rawRequest(ApiResource.RequestMethod.GET, "/v2/core/events?types="
                + "v1.billing.meter.error_report_triggered&types=v1.billing.meter.no_meter_found", null).body();
        check("GET /v2/core/events", listed);
        JsonNode reports = JSON.readTree(listed).get("data");
        assertThat(reports).hasSize(2);
        for (JsonNode r : reports) {
            check("GET /v2/core/events/{id}", stripe.rawRequest(ApiResource.RequestMethod.GET,
                    "/v2/core/events/" + r.get("id").asText(), null).body());
        }
    }

    @Test
    void everyServedOperationAnswersInTheShapeOfStripesSpec() throws StripeException, IOException {
        assertThat(spec.apiVersion()).isEqualTo(com.stripe.Stripe.API_VERSION);

        Customer customer = stripe.v1().customers().create(CustomerCreateParams.builder()
                .setName("Ada").setEmail("ada@example.com").putMetadata("tenant_id", "t-1").build());
        check("POST /v1/customers", customer);
        check("GET /v1/customers/{customer}", stripe.v1().customers().retrieve(customer.getId()));
        check("POST /v1/customers/{customer}", stripe.v1().customers().update(customer.getId(),
                CustomerUpdateParams.builder().setDescription("tenant t-1").build()));
        check("GET /v1/customers", stripe.v1().customers().list(CustomerListParams.builder().build()));

        Meter meter = stripe.v1().billing().meters().create(MeterCreateParams.builder()
                .setDisplayName("Evaluations").setEventName("evaluations")
                .setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                        .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build())
                .setCustomerMapping(MeterCreateParams.CustomerMapping.builder()
                        .setEventPayloadKey("stripe_customer_id")
                        .setType(MeterCreateParams.CustomerMapping.Type.BY_ID).build())
                .setValueSettings(MeterCreateParams.ValueSettings.builder().setEventPayloadKey("value").build())
                .build());
        check("POST /v1/billing/meters", meter);
        check("GET /v1/billing/meters/{id}", stripe.v1().billing().meters().retrieve(meter.getId()));
        check("POST /v1/billing/meters/{id}", stripe.v1().billing().meters().update(meter.getId(),
                MeterUpdateParams.builder().setDisplayName("Evaluations (all)").build()));
        check("GET /v1/billing/meters", stripe.v1().billing().meters().list(
                MeterListParams.builder().setStatus(MeterListParams.Status.ACTIVE).build()));
        check("POST /v1/billing/meter_events", stripe.v1().billing().meterEvents().create(
                MeterEventCreateParams.builder().setEventName("evaluations").setIdentifier("spec-1")
                        .putPayload("stripe_customer_id", customer.getId()).putPayload("value", "3").build()));
        check("GET /v1/billing/meters/{id}/event_summaries", stripe.v1().billing().meters().eventSummaries()
                .list(meter.getId(), MeterEventSummaryListParams.builder().setCustomer(customer.getId())
                        .setStartTime(NOW.minusSeconds(3600).getEpochSecond())
                        .setEndTime(NOW.plusSeconds(3600).getEpochSecond()).build()));
        check("POST /v1/billing/meters/{id}/deactivate", stripe.v1().billing().meters().deactivate(meter.getId()));
        check("POST /v1/billing/meters/{id}/reactivate", stripe.v1().billing().meters().reactivate(meter.getId()));

        TestClock clock = stripe.v1().testHelpers().testClocks().create(TestClockCreateParams.builder()
                .setFrozenTime(NOW.getEpochSecond()).setName("spec").build());
        check("POST /v1/test_helpers/test_clocks", clock);
        check("POST /v1/test_helpers/test_clocks/{test_clock}/advance", stripe.v1().testHelpers().testClocks()
                .advance(clock.getId(), TestClockAdvanceParams.builder()
                        .setFrozenTime(NOW.plusSeconds(86_400).getEpochSecond()).build()));
        check("GET /v1/test_helpers/test_clocks/{test_clock}",
                stripe.v1().testHelpers().testClocks().retrieve(clock.getId()));
        check("GET /v1/test_helpers/test_clocks", stripe.v1().testHelpers().testClocks().list());
        Customer full = stripe.v1().customers().create(CustomerCreateParams.builder()
                .setName("Ada Ltd").setBalance(-100L).setInvoicePrefix("ADA1").setTestClock(clock.getId())
                .setBusinessName("Ada Ltd").setIndividualName("Ada Lovelace").addPreferredLocale("en")
                .setAddress(CustomerCreateParams.Address.builder().setCountry("GB").setCity("London").build())
                .setTaxExempt(CustomerCreateParams.TaxExempt.EXEMPT)
                .setTax(CustomerCreateParams.Tax.builder().setIpAddress("192.0.2.1").build())
                .setInvoiceSettings(CustomerCreateParams.InvoiceSettings.builder().setFooter("Thank you")
                        .addCustomField(CustomerCreateParams.InvoiceSettings.CustomField.builder()
                                .setName("PO").setValue("42").build())
                        .setRenderingOptions(CustomerCreateParams.InvoiceSettings.RenderingOptions.builder()
                                .setAmountTaxDisplay(CustomerCreateParams.InvoiceSettings.RenderingOptions
                                        .AmountTaxDisplay.EXCLUDE_TAX).build()).build())
                .build());
        check("POST /v1/customers", full);
        check("GET /v1/customers/{customer}", stripe.v1().customers().retrieve(full.getId(),
                CustomerRetrieveParams.builder().addExpand("tax").addExpand("test_clock").addExpand("tax_ids")
                        .addExpand("subscriptions").addExpand("sources").addExpand("cash_balance").build()));
        check("DELETE /v1/customers/{customer}", stripe.v1().customers().delete(full.getId()));
        check("DELETE /v1/test_helpers/test_clocks/{test_clock}",
                stripe.v1().testHelpers().testClocks().delete(clock.getId()));

        check("DELETE /v1/customers/{customer}", stripe.v1().customers().delete(customer.getId()));
        check("GET /v1/customers/{customer}", stripe.v1().customers().retrieve(customer.getId()));

        billing();
        meterEventsAfterAcceptance();

        assertThat(mismatches).as("answers that differ from Stripe's spec").isEmpty();
        assertThat(checked).as("every operation in the extract is called")
                .containsExactlyInAnyOrderElementsOf(spec.operations());
    }
}
