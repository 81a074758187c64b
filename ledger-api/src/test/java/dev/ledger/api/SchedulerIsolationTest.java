package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * The service's scheduled work does not queue behind one slow task: while a retention scan waits on a row another
 * session holds (here a superuser's lock on the rows it must erase), checkpoints are still issued on their schedule.
 */
class SchedulerIsolationTest {

    @Test
    void aRetentionScanStuckOnALockDoesNotStopCheckpointsBeingIssued() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        MovableClock clock = new MovableClock();
        try (RunningLedger ledger = RunningLedger.start(infra, Map.of("ledger.retention.scan-millis", "200",
                "ledger.checkpoint.scan-millis", "100", "ledger.checkpoint.every-entries", "1"), clock)) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String retained = "sched-r-" + System.nanoTime() % 100_000_000;
            String other = "sched-o-" + System.nanoTime() % 100_000_000;
            LedgerClient retainedWriter = writer(admin, retained);
            LedgerClient otherWriter = writer(admin, other);
            try (Connection lock = DriverManager.getConnection(infra.postgres.jdbcUrl())) {
                lock.setAutoCommit(false);
                for (int i = 0; i < 2; i++) {
                    assertThat(retainedWriter.post("/v1/evaluations", LedgerClient.evaluation("ev-" + i), retained + i).status()).isEqualTo(201);
                }
                // the retained tenant's rows are held, so its scan blocks on the erasure once its payloads are 2 days old
                try (Statement s = lock.createStatement()) {
                    s.executeQuery("select 1 from domain_event_entry where aggregate_identifier = '" + retained + "' for update").close();
                }
                assertThat(admin.put("/v1/tenants/" + retained + "/retention", Map.of("redact_payloads_after_days", 1)).status())
                        .isEqualTo(200);
                clock.advance(Duration.ofDays(2));
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1)); // a scan has started and waits on the lock

                long before = admin.post("/v1/tenants/" + other + "/checkpoints", Map.of()).body().path("size").asLong();
                assertThat(otherWriter.post("/v1/evaluations", LedgerClient.evaluation("ev-x"), other + "x").status()).isEqualTo(201);
                long latest = admin.latestCheckpointPast(other, before, Duration.ofSeconds(4));
                assertThat(latest).as("a checkpoint was issued while the retention scan waited").isGreaterThan(before);
                lock.rollback();
            }
        }
    }

    private static LedgerClient writer(LedgerClient admin, String tenant) {
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", tenant)).status()).isEqualTo(201);
        return admin.withKey(admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write")))
                .body().get("key").asText());
    }
}
