package dev.ledger.ops.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.stripe.StripeClient;
import com.stripe.exception.InvalidRequestException;
import com.stripe.exception.StripeException;
import com.stripe.model.Customer;
import com.stripe.model.StripeCollection;
import com.stripe.model.testhelpers.TestClock;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.CustomerListParams;
import com.stripe.param.CustomerRetrieveParams;
import com.stripe.param.CustomerUpdateParams;
import com.stripe.param.testhelpers.TestClockCreateParams;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Customers take and keep the parameters of Stripe's spec that invoices read, and refuse what Stripe refuses. */
class EmulatorCustomerParamsTest {
    private static final Instant NOW = Instant.parse("2026-03-10T12:30:00Z");
    private StripeEmulator emulator;
    private StripeClient stripe;

    @BeforeEach
    void start() {
        emulator = StripeEmulator.start(0, Clock.fixed(NOW, ZoneOffset.UTC));
        stripe = StripeClient.builder().setApiKey("sk_test_params").setApiBase(emulator.url())
                .setMaxNetworkRetries(0).build();
    }

    @AfterEach
    void stop() {
        emulator.close();
    }

    private static InvalidRequestException refusal(ThrowingCall call) {
        try {
            call.run();
        } catch (InvalidRequestException e) {
            return e;
        } catch (StripeException e) {
            throw new AssertionError("expected a 400, got " + e, e);
        }
        throw new AssertionError("expected a 400, the call succeeded");
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws StripeException;
    }

    @Test
    void givenAnUnknownParameter_thenTheCustomerIsRefusedWithParameterUnknownNamingIt() {
        InvalidRequestException e = refusal(() -> stripe.v1().customers().create(CustomerCreateParams.builder()
                .setName("Ada").putExtraParam("tenant", "t-1").build()));
        assertThat(e.getStatusCode()).isEqualTo(400);
        assertThat(e.getStripeError().getType()).isEqualTo("invalid_request_error");
        assertThat(e.getCode()).isEqualTo("parameter_unknown");
        assertThat(e.getParam()).isEqualTo("tenant");

        InvalidRequestException nested = refusal(() -> stripe.v1().customers().create(CustomerCreateParams.builder()
                .setInvoiceSettings(CustomerCreateParams.InvoiceSettings.builder()
                        .putExtraParam("colour", "red").build()).build()));
        assertThat(nested.getCode()).isEqualTo("parameter_unknown");
        assertThat(nested.getParam()).isEqualTo("invoice_settings[colour]");
    }

    @Test
    void givenTooLongOrOutOfEnumOrNonIntegerValues_thenTheyAreRefusedAsStripeDoes() {
        assertThat(refusal(() -> stripe.v1().customers().create(CustomerCreateParams.builder()
                .setEmail("a".repeat(513)).build())).getParam()).isEqualTo("email");
        assertThat(refusal(() -> stripe.v1().customers().create(CustomerCreateParams.builder()
                .setPhone("1".repeat(21)).build())).getParam()).isEqualTo("phone");
        InvalidRequestException exempt = refusal(() -> stripe.v1().customers().create(CustomerCreateParams.builder()
                .putExtraParam("tax_exempt", "sometimes").build()));
        assertThat(exempt.getParam()).isEqualTo("tax_exempt");
        assertThat(exempt.getMessage()).contains("exempt, none, or reverse");
        InvalidRequestException balance = refusal(() -> stripe.v1().customers().create(CustomerCreateParams.builder()
                .putExtraParam("balance", "1.5").build()));
        assertThat(balance.getCode()).isEqualTo("parameter_invalid_integer");
        assertThat(refusal(() -> stripe.v1().customers().create(CustomerCreateParams.builder()
                .setInvoicePrefix("ab").build())).getParam()).isEqualTo("invoice_prefix");
        assertThat(refusal(() -> stripe.v1().customers().list(CustomerListParams.builder()
                .putExtraParam("status", "active").build())).getCode()).isEqualTo("parameter_unknown");
    }

    @Test
    void givenTheFieldsInvoicesRead_thenTheCustomerKeepsThemAndUpdatesThem() throws StripeException {
        Customer c = stripe.v1().customers().create(CustomerCreateParams.builder()
                .setName("Ada Ltd").setBalance(-500L).setInvoicePrefix("ADA1")
                .setAddress(CustomerCreateParams.Address.builder().setCountry("DE").setCity("Berlin")
                        .setLine1("Unter den Linden 1").setPostalCode("10117").build())
                .setTaxExempt(CustomerCreateParams.TaxExempt.REVERSE)
                .setTax(CustomerCreateParams.Tax.builder().setIpAddress("192.0.2.7").build())
                .addPreferredLocale("de").addPreferredLocale("en")
                .setInvoiceSettings(CustomerCreateParams.InvoiceSettings.builder().setFooter("Thanks")
                        .addCustomField(CustomerCreateParams.InvoiceSettings.CustomField.builder()
                                .setName("VAT").setValue("DE123").build()).build())
                .build());
        Customer read = stripe.v1().customers().retrieve(c.getId(),
                CustomerRetrieveParams.builder().addExpand("tax").build());
        assertThat(read.getBalance()).isEqualTo(-500L);
        assertThat(read.getInvoicePrefix()).isEqualTo("ADA1");
        assertThat(read.getAddress().getCountry()).isEqualTo("DE");
        assertThat(read.getAddress().getCity()).isEqualTo("Berlin");
        assertThat(read.getTaxExempt()).isEqualTo("reverse");
        assertThat(read.getTax().getIpAddress()).isEqualTo("192.0.2.7");
        assertThat(read.getPreferredLocales()).containsExactly("de", "en");
        assertThat(read.getInvoiceSettings().getFooter()).isEqualTo("Thanks");
        assertThat(read.getInvoiceSettings().getCustomFields()).singleElement()
                .satisfies(f -> assertThat(f.getName() + "=" + f.getValue()).isEqualTo("VAT=DE123"));
        assertThat(read.getCurrency()).isNull();

        Customer updated = stripe.v1().customers().update(c.getId(), CustomerUpdateParams.builder()
                .setAddress(CustomerUpdateParams.Address.builder().setCountry("FR").build())
                .setTaxExempt(CustomerUpdateParams.TaxExempt.NONE).setBalance(0L).build());
        assertThat(updated.getAddress().getCountry()).isEqualTo("FR");
        assertThat(updated.getAddress().getCity()).isNull();
        assertThat(updated.getTaxExempt()).isEqualTo("none");
        assertThat(updated.getBalance()).isZero();
        assertThat(updated.getInvoicePrefix()).isEqualTo("ADA1");
    }

    @Test
    void givenATestClock_thenTheCustomerLivesAtItsTimeAndIsListedOnlyWithIt() throws StripeException {
        Instant frozen = Instant.parse("2026-01-01T00:00:00Z");
        TestClock clock = stripe.v1().testHelpers().testClocks().create(TestClockCreateParams.builder()
                .setFrozenTime(frozen.getEpochSecond()).setName("billing month").build());
        Customer onClock = stripe.v1().customers().create(CustomerCreateParams.builder()
                .setName("On clock").setTestClock(clock.getId()).build());
        Customer plain = stripe.v1().customers().create(CustomerCreateParams.builder().setName("Plain").build());
        assertThat(onClock.getCreated()).isEqualTo(frozen.getEpochSecond());
        assertThat(onClock.getTestClock()).isEqualTo(clock.getId());

        Customer expanded = stripe.v1().customers().retrieve(onClock.getId(),
                CustomerRetrieveParams.builder().addExpand("test_clock").build());
        assertThat(expanded.getTestClockObject().getFrozenTime()).isEqualTo(frozen.getEpochSecond());

        assertThat(ids(stripe.v1().customers().list(CustomerListParams.builder().build())))
                .containsExactly(plain.getId());
        assertThat(ids(stripe.v1().customers().list(CustomerListParams.builder().setTestClock(clock.getId())
                .build()))).containsExactly(onClock.getId());
        assertThat(refusal(() -> stripe.v1().customers().create(CustomerCreateParams.builder()
                .setTestClock("clock_missing").build())).getParam()).isEqualTo("test_clock");
    }

    @Test
    void givenCreatedFiltersAndExpand_thenListsFilterAndUnknownExpansionsAreRefused() throws StripeException {
        Customer early = stripe.v1().customers().create(CustomerCreateParams.builder().setName("early").build());
        emulator.advanceClock(Duration.ofHours(1));
        Customer late = stripe.v1().customers().create(CustomerCreateParams.builder().setName("late").build());
        long cut = NOW.plusSeconds(1800).getEpochSecond();
        assertThat(ids(stripe.v1().customers().list(CustomerListParams.builder()
                .setCreated(CustomerListParams.Created.builder().setGte(cut).build()).build())))
                .containsExactly(late.getId());
        assertThat(ids(stripe.v1().customers().list(CustomerListParams.builder()
                .setCreated(CustomerListParams.Created.builder().setLt(cut).build()).build())))
                .containsExactly(early.getId());
        assertThat(ids(stripe.v1().customers().list(CustomerListParams.builder()
                .setCreated(NOW.getEpochSecond()).build()))).containsExactly(early.getId());

        InvalidRequestException e = refusal(() -> stripe.v1().customers().retrieve(early.getId(),
                CustomerRetrieveParams.builder().addExpand("email").build()));
        assertThat(e.getMessage()).contains("cannot be expanded (email)");
        assertThatThrownBy(() -> stripe.v1().customers().list(CustomerListParams.builder().addExpand("test_clock")
                .build())).isInstanceOf(InvalidRequestException.class);
        assertThat(stripe.v1().customers().list(CustomerListParams.builder().addExpand("data.test_clock").build())
                .getData()).hasSize(2);
    }

    private static List<String> ids(StripeCollection<Customer> list) {
        return list.getData().stream().map(Customer::getId).toList();
    }
}
