package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.StoredEntry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/**
 * The meter-reader's state written before it ran on the chain follower (db/meter-reader up to V7) is where the follower
 * resumes after V8: the stored offset, the tenant's chain position and an entry held for a missing predecessor survive
 * the migration, so nothing is read twice, billed twice or lost.
 */
class MeterFollowerMigrationTest extends BillingWorldTest {

    @Override
    int partitions() {
        return 1;
    }

    @Test
    void givenAPositionOffsetAndHeldEntryStoredByTheWorkerBeforeTheFollower_whenItStartsOnIt_thenItResumesFromThem()
            throws Exception {
        Flyway.configure().dataSource(world.jdbcUrl, null, null).locations("classpath:db/meter-reader")
                .table("flyway_meter_reader_history").baselineOnMigrate(true).baselineVersion("0").target("7").load()
                .migrate();
        String cus = world.customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        StoredEntry registered = a.registered("Tenant A", cus, world.at(0));
        StoredEntry second = a.evaluation(world.at(100));
        StoredEntry third = a.evaluation(world.at(200));
        StoredEntry fourth = a.evaluation(world.at(300));
        StoredEntry fifth = a.evaluation(world.at(400));
        // on the topic: 1..4; the fifth arrived before the fourth and waits in the hold, as the old worker kept it
        world.send(List.of(registered, second, third, fourth));
        try (Connection c = DriverManager.getConnection(world.jdbcUrl)) {
            try (PreparedStatement ps = c.prepareStatement(
                    "insert into meter_reader_offset (topic, partition, next_offset) values (?, 0, 3)")) {
                ps.setString(1, world.topic);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("insert into meter_reader_tenant (tenant_id, last_sequence, "
                    + "last_hash, stripe_customer_id, kafka_partition, tenant_name, retention_gap) "
                    + "values ('tenant-a', 3, ?, ?, 0, 'Tenant A', false)")) {
                ps.setBytes(1, third.hash());
                ps.setString(2, cus);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("insert into meter_reader_held_entry (tenant_id, sequence, "
                    + "entry, held_since) values ('tenant-a', 5, ?, now())")) {
                ps.setBytes(1, TenantChain.encode(fifth));
                ps.executeUpdate();
            }
        }

        MeterReader reader = world.start(Map.of());

        BillingWorld.await(() -> world.queryLong("select last_sequence from meter_reader_tenant where tenant_id = 'tenant-a'")
                == 5, "the fourth entry and the held fifth verified");
        assertThat(world.stopReason("tenant-a")).isNull();
        assertThat(world.queryLong("select count(*) from meter_reader_held_entry")).isZero();
        assertThat(world.queryLong("select next_offset from meter_reader_offset")).isEqualTo(4);
        // only the fourth and fifth entries are billed: the first three were counted before the migration
        assertThat(world.queryLong("select coalesce(sum(quantity), 0) from meter_reader_window")).isEqualTo(2);
        assertThat(BillingWorld.series(world.metrics(reader), "meter_reader_broken_chains")).isZero();
    }
}
