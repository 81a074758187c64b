package dev.ledger.invoice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.StoredEntry;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A follower moves a partition's stored offset only from the offset it stored itself. When the stored offset moved
 * elsewhere meanwhile (another instance of the group during a rebalance, an operator), the poll in hand is rolled back,
 * not written over it, and the follower resumes from the offset stored.
 */
class FollowerOffsetGuardTest {

    @Test
    void givenTheStoredOffsetMovedElsewhere_thenThePollIsNotAppliedAndTheWorkerResumesFromThere() throws Exception {
        try (InvoiceWorld world = InvoiceWorld.start(1)) {
            List<StoredEntry> a = WorkerForkTest.chain("tenant-a", 7);
            world.send(a.subList(0, 3)); // offsets 0-2
            try (InvoiceWorker worker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(world.env()))) {
                world.awaitCaughtUp();
                assertThat(worker.verifiedEntries()).isEqualTo(3);

                // as if offsets 3 and 4 had been consumed elsewhere: this instance still has 3 stored
                world.execute("update invoice_worker_offset set next_offset = next_offset + 2");
                world.send(a.subList(3, 7)); // offsets 3-6, sequences 4-7
                world.awaitCaughtUp();

                assertThat(worker.verifiedEntries()).as("the poll from offset 3 was not applied").isEqualTo(3);
                assertThat(world.query("select last_sequence from invoice_worker_chain where tenant_id = 'tenant-a'"))
                        .isEqualTo(3);
                assertThat(world.query("select count(*) from invoice_worker_held_entry where tenant_id = 'tenant-a'"))
                        .as("read from offset 5: sequences 6 and 7 wait for 4 and 5").isEqualTo(2);
                assertThat(world.query("select next_offset from invoice_worker_offset")).isEqualTo(7);
            }
        }
    }
}
