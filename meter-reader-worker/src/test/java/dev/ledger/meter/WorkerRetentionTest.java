package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.StoredEntry;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * Issue 11 item 11, the worker's side: a worker stopped for longer than the topic keeps records finds its stored
 * offset before the log start. It reports the records lost to retention (log line and metric) and stops the tenants
 * whose next entry was among them as records_lost_to_retention, not as broken chains.
 */
class WorkerRetentionTest extends BillingWorldTest {

    @Override
    int partitions() {
        return 1;
    }

    @Test
    void givenTheWorkerWasDownWhileRetentionDeletedRecords_thenItReportsRecordsLostToRetentionInsteadOfABrokenChain()
            throws Exception {
        String cus = world.customer("tenant-a");
        TenantChain a = new TenantChain("tenant-a");
        MeterReader first = world.start(Map.of("METER_GAP_WAIT_SECONDS", "1"));
        world.send(List.of(a.registered("Tenant A", cus, world.at(0)), a.evaluation(world.at(100)),
                a.evaluation(world.at(200))));
        BillingWorld.await(() -> world.queryLong("select last_sequence from meter_reader_tenant where tenant_id = 'tenant-a'")
                == 3, "the first three entries");
        world.stop(first);

        List<StoredEntry> deleted = List.of(a.evaluation(world.at(300)), a.evaluation(world.at(400)));
        world.send(deleted);
        TopicPartition tp = new TopicPartition(world.topic, 0);
        long logStart = servers.admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset();
        world.send(List.of(a.evaluation(world.at(500)), a.evaluation(world.at(600))));
        // what retention does to a topic while its reader is down
        servers.admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(logStart))).all().get();

        MeterReader reader = world.start(Map.of("METER_GAP_WAIT_SECONDS", "1"));

        BillingWorld.await(() -> world.stopReason("tenant-a") != null, "tenant-a stopped");
        assertThat(world.stopReason("tenant-a")).isEqualTo("4:records_lost_to_retention");
        String metrics = world.metrics(reader);
        assertThat(BillingWorld.series(metrics, "meter_reader_records_lost_to_retention_total")).isPositive();
        assertThat(BillingWorld.series(metrics, "meter_reader_broken_chains")).isZero();
        assertThat(BillingWorld.series(metrics, "meter_reader_stopped_tenants{reason=\"records_lost_to_retention\"}"))
                .isEqualTo(1);
        assertThat(metrics).doesNotContain("meter_reader_chain_breaks_total{reason=\"sequence_gap\"}");
    }
}
