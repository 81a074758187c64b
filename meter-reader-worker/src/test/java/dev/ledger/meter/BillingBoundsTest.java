package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.StoredEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 12: quantities and window sums are bounded with checked arithmetic, a tenant whose usage exceeds the
 * bound is stopped (visibly) instead of wedging the consumer, and Stripe identifiers cannot collide across tenants.
 */
class BillingBoundsTest extends BillingWorldTest {

    @Test
    void givenTwoUsageRecordsOfFiveTimesTenToTheEighteenth_thenThatTenantStopsAndTheOtherTenantIsStillBilled()
            throws Exception {
        String cusA = world.customer("tenant-a");
        String cusB = world.customer("tenant-b");
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        List<StoredEntry> entries = new ArrayList<>();
        entries.add(a.registered("Tenant A", cusA, world.at(0)));
        entries.add(b.registered("Tenant B", cusB, world.at(0)));
        entries.add(a.usage("tokens", 5_000_000_000_000_000_000L, world.at(100)));
        entries.add(a.usage("tokens", 5_000_000_000_000_000_000L, world.at(200)));
        entries.add(b.usage("tokens", 7, world.at(300)));
        entries.add(b.usage("tokens", 5, world.at(5_000)));

        MeterReader reader = world.start(Map.of());
        world.send(entries);

        world.awaitWrittenBack(2);
        assertThat(world.stripe.meterEventTotal(cusB, "tokens")).isEqualTo(12);
        assertThat(world.stripe.meterEventTotal(cusA, "tokens")).isZero();
        assertThat(world.stopReason("tenant-a")).isEqualTo("2:quantity_out_of_range");
        String metrics = world.metrics(reader);
        assertThat(BillingWorld.series(metrics, "meter_reader_stopped_tenants{reason=\"quantity_out_of_range\"}"))
                .isEqualTo(1);
        assertThat(reader.isHealthy()).isTrue();
    }

    @Test
    void givenUsageThatSumsPastTheWindowBound_thenThatTenantStopsAsQuantityOverflowAndNothingOfItIsBilled()
            throws Exception {
        String cusA = world.customer("tenant-a");
        String cusB = world.customer("tenant-b");
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        MeterReader reader = world.start(Map.of());
        // each record is within the bound; their sum in one window is not, and crosses two consumer batches (a window
        // a minute ahead of now stays open meanwhile)
        world.send(List.of(a.registered("Tenant A", cusA, world.at(0)), b.registered("Tenant B", cusB, world.at(0)),
                a.usage("tokens", 600_000_000_000_000L, world.at(100_000))));
        BillingWorld.await(() -> world.queryLong("select count(*) from meter_reader_window where tenant_id = 'tenant-a'")
                == 1, "tenant-a's first units");
        world.send(List.of(a.usage("tokens", 600_000_000_000_000L, world.at(100_200)), b.usage("tokens", 3, world.at(300))));

        world.awaitWrittenBack(1);
        BillingWorld.await(() -> world.stopReason("tenant-a") != null, "tenant-a stopped");
        assertThat(world.stopReason("tenant-a")).isEqualTo("3:quantity_overflow");
        assertThat(world.stripe.meterEventTotal(cusB, "tokens")).isEqualTo(3);
        assertThat(world.stripe.meterEventTotal(cusA, "tokens")).isZero();
        assertThat(world.queryString("select last_error from meter_reader_window where tenant_id = 'tenant-a'"))
                .isEqualTo("quantity_overflow");
        assertThat(reader.isHealthy()).isTrue();
    }

    @Test
    void givenUsageInOneBatchThatSumsPastTheWindowBound_thenThatTenantStopsAsQuantityOverflow() throws Exception {
        String cusA = world.customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        MeterReader reader = world.start(Map.of());
        world.send(List.of(a.registered("Tenant A", cusA, world.at(0)),
                a.usage("tokens", 900_000_000_000_000L, world.at(100)),
                a.usage("tokens", 900_000_000_000_000L, world.at(200)),
                a.usage("tokens", 900_000_000_000_000L, world.at(300))));

        BillingWorld.await(() -> world.stopReason("tenant-a") != null, "tenant-a stopped");
        assertThat(world.stopReason("tenant-a")).isEqualTo("4:quantity_overflow");
        assertThat(world.stripe.meterEventTotal(cusA, "tokens")).isZero();
        assertThat(reader.isHealthy()).isTrue();
    }

    @Test
    void givenTenantAcmeMeterEuTokensAndTenantAcmeEuMeterTokens_thenEachIsBilledItsOwnUnits() throws Exception {
        String cusAcme = world.customer("acme");
        String cusAcmeEu = world.customer("acme-eu");
        TenantChain acme = new TenantChain("acme");
        TenantChain acmeEu = new TenantChain("acme-eu");
        List<StoredEntry> entries = new ArrayList<>();
        entries.add(acme.registered("Acme", cusAcme, world.at(0)));
        entries.add(acmeEu.registered("Acme EU", cusAcmeEu, world.at(0)));
        entries.add(acme.usage("eu-tokens", 11, world.at(100)));
        entries.add(acmeEu.usage("tokens", 23, world.at(100))); // same window start as acme's eu-tokens

        MeterReader reader = world.start(Map.of("LEDGER_ALLOWED_METERS", "tokens,eu-tokens,evaluations"));
        world.send(entries);

        world.awaitWrittenBack(2);
        assertThat(world.stripe.meterEventTotal(cusAcme, "eu-tokens")).isEqualTo(11);
        assertThat(world.stripe.meterEventTotal(cusAcmeEu, "tokens")).isEqualTo(23);
        assertThat(world.stripe.meterEventsAccepted()).isEqualTo(2);
        assertThat(UsageWindow.identifier("acme", "eu-tokens", world.base))
                .isNotEqualTo(UsageWindow.identifier("acme-eu", "tokens", world.base));
        assertThat(reader.isHealthy()).isTrue();
    }
}
