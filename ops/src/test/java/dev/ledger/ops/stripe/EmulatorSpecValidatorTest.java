package dev.ledger.ops.stripe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** The spec check itself: it accepts Stripe's own example customer and names each way a wrong answer is wrong. */
class EmulatorSpecValidatorTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final EmulatorSpecValidator spec = EmulatorSpecValidator.load();

    /** The customer of Stripe's fixtures3.json at the extract's commit, without its expanded discount. */
    private static ObjectNode stripesExampleCustomer() throws Exception {
        return (ObjectNode) JSON.readTree("""
                {"address":{"city":null,"country":null,"line1":null,"line2":null,"postal_code":null,"state":null},
                 "balance":0,"created":1234567890,"currency":"usd","default_source":null,"delinquent":false,
                 "description":null,"discount":null,"email":null,"id":"cus_QXg1o8vcGmoR32","invoice_prefix":"7FE1103",
                 "invoice_settings":{"custom_fields":null,"default_payment_method":null,"footer":null,
                   "rendering_options":{"amount_tax_display":null,"template":null}},
                 "livemode":false,"metadata":{},"name":null,"next_invoice_sequence":1,"object":"customer",
                 "phone":null,"preferred_locales":[],"shipping":null,"tax_exempt":"none","test_clock":null}""");
    }

    @Test
    void stripesOwnExampleFitsTheExtractedSchema() throws Exception {
        assertThat(spec.mismatches("POST /v1/customers", stripesExampleCustomer())).isEmpty();
    }

    @Test
    void missingRequiredUnknownMemberWrongEnumWrongTypeAndTooLongAreEachNamed() throws Exception {
        ObjectNode c = stripesExampleCustomer();
        c.remove("id");
        c.put("tenant", "t-1");
        c.put("tax_exempt", "sometimes");
        c.put("balance", "0");
        c.put("email", "x".repeat(5001));
        c.putNull("invoice_settings");
        assertThat(spec.mismatches("POST /v1/customers", c)).containsExactlyInAnyOrder(
                "$: required member 'id' is missing",
                "$.tenant: not a member of Stripe's schema",
                "$.tax_exempt: \"sometimes\" is not one of [\"exempt\",\"none\",\"reverse\"]",
                "$.balance: \"0\" is not an integer",
                "$.email: longer than maxLength 5000",
                "$.invoice_settings: null, but 'invoice_setting_customer_setting' is not nullable");
    }

    @Test
    void aValueWhereTheExtractLacksTheSchemaIsRefusedUntilItIsExtracted() throws Exception {
        ObjectNode c = stripesExampleCustomer();
        c.putObject("discount").put("id", "di_1");
        assertThat(spec.mismatches("POST /v1/customers", c)).singleElement().asString()
                .contains("$.discount").contains("'discount', which the extract lacks");
    }
}
