package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.usage.UsageRecorded;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 10: records on the topic that fork a tenant's chain, or contradict the ledger's signed checkpoint,
 * raise a fork alert and stop that tenant (durably, like a broken chain), while other tenants carry on. The forger
 * here has write access to the topic: it can hash and chain entries correctly, but cannot sign a checkpoint.
 */
class ForkDetectionTest extends BillingWorldTest {

    @Test
    void givenAForgedRecordForAKnownTenantAndSequence_thenAForkAlertStopsThatTenantAndTheOtherCarriesOn()
            throws Exception {
        String cusA = world.customer("tenant-a");
        String cusB = world.customer("tenant-b");
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        List<StoredEntry> genuine = new ArrayList<>(List.of(a.registered("Tenant A", cusA, world.at(0)),
                a.usage("tokens", 5, world.at(100)), a.evaluation(world.at(200)), a.evaluation(world.at(300))));
        MeterReader reader = world.start(Map.of("METER_READER_CHECKPOINT_SECONDS", "0"));
        world.send(genuine);
        world.send(List.of(b.registered("Tenant B", cusB, world.at(0))));
        BillingWorld.await(() -> world.queryLong("select last_sequence from meter_reader_tenant where tenant_id = 'tenant-a'")
                == 4, "tenant-a's four entries verified");
        // tenant-a's genuine windows (tokens, evaluations) are billed before the forgery arrives
        BillingWorld.await(() -> world.ledger.usageReports().size() == 2, "tenant-a's genuine windows written back");

        // the same tenant and sequence, another payload: hashed and linked correctly, so only its hash differs
        StoredEntry forged = TenantChain.entry("tenant-a", 3,
                new UsageRecorded("tenant-a", "forged", "tokens", 9_000, world.at(200).toString()), world.at(200),
                genuine.get(1).hash());
        world.send(List.of(forged));
        world.send(List.of(b.usage("tokens", 3, world.at(400))));

        BillingWorld.await(() -> world.stopReason("tenant-a") != null, "tenant-a stopped");
        assertThat(world.stopReason("tenant-a")).isEqualTo("3:fork");
        BillingWorld.await(() -> world.stripe.meterEventTotal(cusB, "tokens") == 3, "tenant-b billed");
        assertThat(world.stripe.meterEventTotal(cusA, "tokens")).as("the forged units are not billed").isEqualTo(5);
        String metrics = world.metrics(reader);
        assertThat(BillingWorld.series(metrics, "ledger_chain_forks_total{reason=\"fork\"}")).isEqualTo(1);
        assertThat(BillingWorld.series(metrics, "ledger_chain_forked_tenants")).isEqualTo(1);

        // durable: a restarted worker keeps the tenant stopped, and a repeat of the genuine entry changes nothing
        world.stop(reader);
        MeterReader again = world.start(Map.of("METER_READER_CHECKPOINT_SECONDS", "0"));
        world.send(List.of(genuine.get(2), a.evaluation(world.at(500))));
        BillingWorld.await(() -> world.queryLong("select count(*) from meter_reader_offset") > 0, "offsets");
        assertThat(world.stopReason("tenant-a")).isEqualTo("3:fork");
        assertThat(BillingWorld.series(world.metrics(again), "ledger_chain_forked_tenants")).isEqualTo(1);
    }

    @Test
    void givenAForgedButSelfConsistentExtensionThatContradictsTheSignedCheckpoint_thenTheTenantIsStopped()
            throws Exception {
        String cusA = world.customer("tenant-a");
        String cusB = world.customer("tenant-b");
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        // the ledger's own chain of tenant-a, four entries, and its signed checkpoint of them
        List<StoredEntry> ledgerChain = List.of(a.registered("Tenant A", cusA, world.at(0)),
                a.usage("tokens", 5, world.at(100)), a.evaluation(world.at(200)), a.evaluation(world.at(300)));
        world.ledger.signCheckpoint("tenant-a", ledgerChain);
        List<StoredEntry> chainB = List.of(b.registered("Tenant B", cusB, world.at(0)), b.usage("tokens", 2, world.at(100)));
        world.ledger.signCheckpoint("tenant-b", chainB);

        MeterReader reader = world.start(Map.of("METER_READER_CHECKPOINT_SECONDS", "1"));
        world.send(ledgerChain.subList(0, 2));
        world.send(chainB);
        BillingWorld.await(() -> "4".equals(world.queryString(
                "select checkpoint_size from meter_reader_tenant where tenant_id = 'tenant-a'")),
                "tenant-a's checkpoint fetched, ahead of the chain");
        // a producer with topic access extends the genuine first two entries with its own, correctly chained
        StoredEntry forged3 = TenantChain.entry("tenant-a", 3,
                new UsageRecorded("tenant-a", "forged-1", "tokens", 50_000, world.at(200).toString()), world.at(200),
                ledgerChain.get(1).hash());
        StoredEntry forged4 = TenantChain.entry("tenant-a", 4,
                new UsageRecorded("tenant-a", "forged-2", "tokens", 50_000, world.at(300).toString()), world.at(300),
                forged3.hash());
        world.send(List.of(forged3, forged4));

        BillingWorld.await(() -> world.stopReason("tenant-a") != null, "tenant-a stopped");
        assertThat(world.stopReason("tenant-a")).isEqualTo("4:checkpoint_mismatch");
        BillingWorld.await(() -> "2".equals(world.queryString(
                "select witnessed_size from meter_reader_tenant where tenant_id = 'tenant-b'")), "tenant-b witnessed");
        String metrics = world.metrics(reader);
        assertThat(BillingWorld.series(metrics, "ledger_chain_forks_total{reason=\"checkpoint_mismatch\"}")).isEqualTo(1);
        assertThat(BillingWorld.series(metrics, "ledger_chain_forked_tenants")).isEqualTo(1);
        assertThat(world.queryString("select broken_reason from meter_reader_tenant where tenant_id = 'tenant-b'"))
                .isNull();
    }

    @Test
    void givenCheckpointsRequired_thenAForgedExtensionIsNeverBilledAndWitnessedUsageIs() throws Exception {
        String cusA = world.customer("tenant-a");
        String cusB = world.customer("tenant-b");
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        List<StoredEntry> ledgerChain = List.of(a.registered("Tenant A", cusA, world.at(0)),
                a.usage("tokens", 5, world.at(100)), a.evaluation(world.at(200)), a.evaluation(world.at(300)));
        world.ledger.signCheckpoint("tenant-a", ledgerChain);
        List<StoredEntry> chainB = List.of(b.registered("Tenant B", cusB, world.at(0)), b.usage("tokens", 2, world.at(100)));
        world.ledger.signCheckpoint("tenant-b", chainB);
        StoredEntry forged3 = TenantChain.entry("tenant-a", 3,
                new UsageRecorded("tenant-a", "forged-1", "tokens", 50_000, world.at(200).toString()), world.at(200),
                ledgerChain.get(1).hash());
        StoredEntry forged4 = TenantChain.entry("tenant-a", 4,
                new UsageRecorded("tenant-a", "forged-2", "tokens", 50_000, world.at(300).toString()), world.at(300),
                forged3.hash());

        world.start(Map.of("METER_READER_CHECKPOINT_SECONDS", "1", "METER_READER_REQUIRE_CHECKPOINT", "true"));
        world.send(List.of(ledgerChain.get(0), ledgerChain.get(1), forged3, forged4));
        world.send(chainB);

        world.awaitWrittenBack(1);
        BillingWorld.await(() -> world.stopReason("tenant-a") != null, "tenant-a stopped");
        assertThat(world.stopReason("tenant-a")).isEqualTo("4:checkpoint_mismatch");
        assertThat(world.stripe.meterEventTotal(cusB, "tokens")).isEqualTo(2);
        assertThat(world.stripe.meterEventTotal(cusA, "tokens")).as("nothing of the forged chain billed").isZero();
        assertThat(world.stripe.meterEventsAccepted()).isEqualTo(1);
    }
}
