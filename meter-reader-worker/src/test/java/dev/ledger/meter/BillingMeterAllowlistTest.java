package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import com.stripe.model.billing.Meter;
import com.stripe.param.billing.MeterListParams;
import dev.ledger.core.chain.StoredEntry;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 14: the meters the worker bills are an allowlist per deployment (LEDGER_ALLOWED_METERS), so a
 * tenant's usage cannot create meters in the Stripe account: a window of any other meter is parked as unknown_meter.
 */
class BillingMeterAllowlistTest extends BillingWorldTest {

    @Test
    void givenUsageOfAMeterOutsideTheAllowlist_thenItsWindowIsParkedAsUnknownMeterAndNoSuchMeterIsCreated()
            throws Exception {
        String cus = world.customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        List<StoredEntry> entries = List.of(a.registered("Tenant A", cus, world.at(0)),
                a.usage("tokens", 4, world.at(100)),
                a.usage("free-gpu-hours", 1_000, world.at(100)));

        world.start(Map.of()); // the default allowlist: evaluations, tokens
        world.send(entries);

        world.awaitWrittenBack(1);
        BillingWorld.await(() -> world.queryLong("select count(*) from meter_reader_window where status = 'PARKED'")
                == 1, "the unknown meter's window parked");
        assertThat(world.queryString("select meter || ' ' || last_error from meter_reader_window where status = 'PARKED'"))
                .startsWith("free-gpu-hours unknown_meter");
        assertThat(world.stripe.meterEventTotal(cus, "tokens")).isEqualTo(4);
        assertThat(world.stripeClient.v1().billing().meters().list(MeterListParams.builder().setLimit(100L).build())
                .getData()).extracting(Meter::getEventName).containsExactly("tokens");
    }
}
