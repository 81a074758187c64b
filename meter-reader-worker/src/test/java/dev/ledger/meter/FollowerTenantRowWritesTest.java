package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.StoredEntry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A tenant's row in {@code meter_reader_tenant} holds both the follower's chain position and the meter-reader's own
 * columns (windows' boundary, customer, Merkle frontier): each poll reads it in one statement and writes it once.
 * Before, every poll read and wrote each of its tenants' rows twice, the follower's columns and then the worker's,
 * and each statement cost PostgreSQL about as much as the rows it touched.
 */
class FollowerTenantRowWritesTest extends BillingWorldTest {

    @Override
    int partitions() {
        return 1;
    }

    @Test
    void givenEntriesOfTwoTenantsInSeveralPolls_thenEachPollWritesEachTenantsRowOnce() throws Exception {
        String cusA = world.customer("tenant-a");
        String cusB = world.customer("tenant-b");
        TenantChain a = new TenantChain("tenant-a");
        TenantChain b = new TenantChain("tenant-b");
        List<StoredEntry> entries = new ArrayList<>(List.of(a.registered("Tenant A", cusA, world.at(0)),
                b.registered("Tenant B", cusB, world.at(0))));
        for (int i = 1; i <= 400; i++) {
            entries.add(a.usage("tokens", i, world.at(i)));
            entries.add(b.usage("tokens", 1, world.at(i)));
        }

        world.start(Map.of("METER_READER_MAX_POLL_RECORDS", "100"));
        BillingWorld.await(() -> world.queryString("select count(*) from meter_reader_tenant") != null,
                "the reader's tables");
        countWrites();
        world.send(entries);
        BillingWorld.await(() -> world.queryLong("select coalesce(sum(last_sequence), 0) from meter_reader_tenant")
                == 2 * 401, "every entry verified");

        long polls = world.queryLong("select count(distinct txid) from write_count where tbl = 'meter_reader_offset'");
        assertThat(polls).as("polls that stored an offset").isGreaterThanOrEqualTo(8);
        assertThat(world.queryLong("select max(n) from (select count(*) as n from write_count where tbl = "
                + "'meter_reader_tenant' and txid in (select txid from write_count where tbl = 'meter_reader_offset') "
                + "group by txid, tenant_id) as per_poll")).as("writes of one tenant's row in one poll").isEqualTo(1);
        assertThat(world.queryLong("select units from (select sum(quantity) as units from meter_reader_window "
                + "where tenant_id = 'tenant-a') as s")).as("what the rows' windows hold").isEqualTo(400 * 401 / 2);
        assertThat(world.stopReason("tenant-a")).isNull();
        assertThat(world.stopReason("tenant-b")).isNull();
    }

    /** Counts, from here on, the rows written to the tenant and offset tables, by transaction (and tenant). */
    private void countWrites() throws Exception {
        try (Connection c = DriverManager.getConnection(world.jdbcUrl); Statement s = c.createStatement()) {
            s.execute("create table write_count (tbl text not null, txid bigint not null, tenant_id text)");
            s.execute("create function count_write() returns trigger language plpgsql security definer as $$ begin "
                    + "insert into write_count values (tg_table_name, txid_current(), to_jsonb(new) ->> 'tenant_id'); "
                    + "return null; end $$");
            for (String table : List.of("meter_reader_tenant", "meter_reader_offset")) {
                s.execute("create trigger " + table + "_writes after insert or update on " + table
                        + " for each row execute function count_write()");
            }
        }
    }
}
