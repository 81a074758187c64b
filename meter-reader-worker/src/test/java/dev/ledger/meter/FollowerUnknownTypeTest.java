package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.StoredEntry;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 12 (billable facts travel with the entry): an entry of a type this worker does not know (a newer ledger's)
 * is verified and bills what its hashed metadata keys meter and quantity say, nothing without them; it never stops
 * its tenant. Before, it stopped the tenant as {@code unreadable_entry} and nothing after it was billed.
 */
class FollowerUnknownTypeTest extends BillingWorldTest {

    @Test
    void givenAnEntryOfAnUnknownTypeBetweenUsage_thenItIsSkippedAndTheUsageAroundItIsBilled() throws Exception {
        String cusA = world.customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        List<StoredEntry> entries = List.of(
                a.registered("Tenant A", cusA, world.at(0)),
                a.usage("tokens", 7, world.at(100)),
                a.appendOfType("ShipmentDispatched", "{\"parcel\":\"p-1\",\"quantity\":\"999\"}"
                        .getBytes(StandardCharsets.UTF_8), world.at(200)),
                a.usage("tokens", 5, world.at(5_000)));

        MeterReader reader = world.start(Map.of());
        world.send(entries);

        world.awaitWrittenBack(2);
        assertThat(world.stripe.meterEventTotal(cusA, "tokens")).isEqualTo(12);
        assertThat(world.stopReason("tenant-a")).isNull();
        assertThat(BillingWorld.series(world.metrics(reader), "meter_reader_broken_chains")).isZero();
        assertThat(reader.isHealthy()).isTrue();
    }

    @Test
    void givenAnEntryOfAnUnknownTypeWithTheBillableKeys_thenItBillsWhatItsMetadataSaysNotItsPayload() throws Exception {
        String cusA = world.customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        List<StoredEntry> entries = List.of(
                a.registered("Tenant A", cusA, world.at(0)),
                a.appendOfType("GpuMinutesRecorded", "{\"meter\":\"tokens\",\"quantity\":9999}".getBytes(StandardCharsets.UTF_8),
                        "{\"meter\":\"tokens\",\"quantity\":\"30\"}".getBytes(StandardCharsets.UTF_8), world.at(100)),
                a.usage("tokens", 5, world.at(5_000)));

        world.start(Map.of());
        world.send(entries);

        world.awaitWrittenBack(2);
        assertThat(world.stripe.meterEventTotal(cusA, "tokens")).isEqualTo(35);
        assertThat(world.stopReason("tenant-a")).isNull();
    }
}
