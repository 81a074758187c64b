package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** What an entry bills is read from its hashed metadata keys meter and quantity alone. */
class FollowerInvoiceUsageTest {

    @Test
    void givenMeterAndQuantityInTheMetadata_thenThatIsWhatTheEntryBills() {
        assertThat(InvoiceUsage.billable(bytes("{\"actor\":\"key:k1\",\"meter\":\"tokens\",\"quantity\":\"42\"}")))
                .isEqualTo(new dev.ledger.core.usage.BillableMetadata("tokens", 42, null));
    }

    @Test
    void givenMetadataWithoutThemOrMalformed_thenTheEntryBillsNothing() {
        for (String m : new String[] {"{}", "{\"meter\":\"tokens\"}", "{\"quantity\":\"5\"}",
                "{\"meter\":\"tokens\",\"quantity\":5}", "{\"meter\":\"tokens\",\"quantity\":\"0\"}",
                "{\"meter\":\"tokens\",\"quantity\":\"007\"}", "{\"meter\":\"tokens\",\"quantity\":\"-3\"}",
                "{\"meter\":\"tokens\",\"quantity\":\"1000000000000001\"}", "{\"meter\":\"bad meter\",\"quantity\":\"1\"}",
                "[]", "not json", ""}) {
            assertThat(InvoiceUsage.billable(bytes(m))).as(m).isNull();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
