package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.Cosignature;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.ServerSocket;
import java.util.List;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * A witness that hangs or is gone costs the ledger nothing but its own cosignatures: checkpoints are still issued on
 * schedule while a witness holds a request open, and an unreachable witness is tried again after a pause that grows,
 * not once per tenant per round.
 */
class WitnessSubmissionTest {

    private static final Cosignature.CosignerKey KEY = Cosignature.Cosigner.of("witness.test/absent", new byte[32]).key();

    @Test
    void aWitnessThatNeverAnswersDoesNotHoldUpTheCheckpointsOfTheScheduler() throws Exception {
        // accepts connections (the kernel's backlog) and never answers: each request waits its whole timeout
        try (ServerSocket silent = new ServerSocket(0)) {
            try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of(
                    "ledger.witness.targets", "http://127.0.0.1:" + silent.getLocalPort() + "=" + KEY.encoded(),
                    "ledger.witness.submit-millis", "50", "ledger.witness.timeout", "20s",
                    "ledger.checkpoint.every-entries", "1", "ledger.checkpoint.scan-millis", "100"))) {
                LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
                String tenant = "hang-" + System.nanoTime() % 100_000_000;
                LedgerClient writer = writer(admin, tenant);
                assertThat(writer.post("/v1/evaluations", LedgerClient.evaluation("ev-1"), tenant + "-1").status()).isEqualTo(201);
                long first = admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of()).body().path("size").asLong();
                // the witness round is now stuck on this checkpoint for 20 s; the next entry still gets its checkpoint
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(300));
                assertThat(writer.post("/v1/evaluations", LedgerClient.evaluation("ev-2"), tenant + "-2").status()).isEqualTo(201);
                long latest = admin.latestCheckpointPast(tenant, first, Duration.ofSeconds(8));
                assertThat(latest).as("the scheduler issued the next checkpoint while the witness held its request").isGreaterThan(first);
            }
        }
    }

    @Test
    void anUnreachableWitnessIsTriedAgainAfterAGrowingPauseNotOncePerTenantPerRound() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort(); // nothing listens there once closed: every connection is refused at once
        }
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of(
                "ledger.witness.targets", "http://127.0.0.1:" + closed + "=" + KEY.encoded(), "ledger.witness.submit-millis", "50"))) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            for (int t = 0; t < 3; t++) {
                String tenant = "gone-" + t + "-" + System.nanoTime() % 100_000_000;
                writer(admin, tenant);
                admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of());
            }
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(3));
            Counter errors = ledger.context().getBean(MeterRegistry.class).find("ledger.witness.errors").counter();
            assertThat(errors).as("failed attempts are counted").isNotNull();
            // rounds every 50 ms for 3 s are 60 rounds of 3 or more checkpoints; pauses of 100, 200, 400 ... ms leave a handful
            assertThat(errors.count()).isBetween(1.0, 10.0);
        }
    }

    private static LedgerClient writer(LedgerClient admin, String tenant) {
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", tenant)).status()).isEqualTo(201);
        return admin.withKey(admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write")))
                .body().get("key").asText());
    }
}
