package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.StoredEntry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The invoice-worker sums a poll's billable units before it writes them: one usage row write per (tenant, meter,
 * period) per poll, not one statement per entry. Before, 310 usage entries cost 310 upserts against the ledger's
 * database; the sums are the same either way.
 */
class FollowerInvoiceUsageWritesTest {

    @Test
    void givenManyUsageEntriesInAFewPolls_thenEachPollWritesEachTenantsUsageRowOnce() throws Exception {
        try (InvoiceWorld world = InvoiceWorld.start(1)) {
            List<StoredEntry> entries = new ArrayList<>(WorkerForkTest.chain("tenant-a", 301)); // 2+...+301 tokens
            entries.addAll(WorkerForkTest.chain("tenant-b", 11));                               // 2+...+11 tokens
            try (InvoiceWorker worker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(world.env()))) {
                countWrites(world); // the worker's tables exist once it started
                world.send(entries);
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (worker.verifiedEntries() < entries.size() && System.nanoTime() < deadline) {
                    LockSupport.parkNanos(50_000_000L);
                }
                assertThat(worker.verifiedEntries()).isEqualTo(entries.size());
            }
            assertThat(world.query("select quantity from invoice_worker_usage where tenant_id = 'tenant-a'"))
                    .isEqualTo((2 + 301) * 300 / 2);
            assertThat(world.query("select quantity from invoice_worker_usage where tenant_id = 'tenant-b'"))
                    .isEqualTo((2 + 11) * 10 / 2);
            long usageWrites = world.query("select count(*) from write_count where tbl = 'invoice_worker_usage'");
            long polls = world.query("select count(*) from write_count where tbl = 'invoice_worker_offset'");
            assertThat(polls).as("the partition's stored offset, written once per poll").isPositive();
            assertThat(usageWrites).as("usage row writes, at most one per tenant per poll (%d polls)", polls)
                    .isLessThanOrEqualTo(2 * polls);
        }
    }

    /** Counts the rows written to the worker's usage and offset tables, from here on. */
    private static void countWrites(InvoiceWorld world) throws Exception {
        try (Connection c = DriverManager.getConnection(world.postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("create table write_count (tbl text not null)");
            s.execute("create function count_write() returns trigger language plpgsql security definer as "
                    + "$$ begin insert into write_count values (tg_table_name); return null; end $$");
            for (String table : List.of("invoice_worker_usage", "invoice_worker_offset")) {
                s.execute("create trigger " + table + "_writes after insert or update on " + table
                        + " for each row execute function count_write()");
            }
        }
    }
}
