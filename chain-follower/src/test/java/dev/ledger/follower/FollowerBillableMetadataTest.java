package dev.ledger.follower;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FollowerBillableMetadataTest {

    private static final long MAX = 1_000_000_000_000_000L;

    @Test
    void givenTheLedgersKeys_thenTheEntryBillsThem() {
        assertThat(read("{\"actor\":\"key:k1\",\"meter\":\"tokens\",\"quantity\":\"42\",\"entity_key\":\"usage_id:u\"}"))
                .isEqualTo(new BillableMetadata("tokens", 42, null));
        assertThat(read("{\"quantity\":\"1000000000000000\",\"meter\":\"a.b:c@d/e-f_g\"}").quantity()).isEqualTo(MAX);
    }

    @Test
    void givenNoKeysOrNoObject_thenTheEntryBillsNothing() {
        for (String m : new String[] {"{}", "{\"meter\":\"tokens\"}", "{\"quantity\":\"5\"}", "{\"meter\":\"tokens\",\"quantity\":\"0\"}",
                "[]", "not json", "", "{\"meter\":\"tokens\",\"quantity\":\"5\""}) {
            assertThat(read(m)).as(m).isEqualTo(BillableMetadata.NONE);
        }
    }

    @Test
    void givenKeysTheLedgerNeverWrites_thenTheyAreRefusedWithAStableReason() {
        for (String q : new String[] {"007", "-3", "1000000000000001", "99999999999999999999", "1.5", "5", "x"}) {
            String m = "{\"meter\":\"tokens\",\"quantity\":" + (q.equals("5") ? "5" : "\"" + q + "\"") + "}";
            assertThat(read(m).refusal()).as(m).isEqualTo(BillableMetadata.QUANTITY_OUT_OF_RANGE);
        }
        assertThat(read("{\"meter\":\"bad meter\",\"quantity\":\"1\"}").refusal()).isEqualTo(BillableMetadata.INVALID_METER);
        assertThat(read("{\"meter\":\"\",\"quantity\":\"1\"}").refusal()).isEqualTo(BillableMetadata.INVALID_METER);
    }

    private static BillableMetadata read(String metadata) {
        return BillableMetadata.read(metadata.getBytes(StandardCharsets.UTF_8), MAX);
    }
}
