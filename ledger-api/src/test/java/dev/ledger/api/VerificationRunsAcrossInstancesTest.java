package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Behind a load balancer a console's polls reach any instance: a verification run started through one is followed to
 * its verdict through the other, and a run whose instance stopped before its end is answered as failed, not as
 * running for ever.
 */
class VerificationRunsAcrossInstancesTest {

    @Test
    void givenARunStartedThroughOneInstanceThenTheOtherAnswersItsProgressAndVerdict() throws Exception {
        try (RunningLedger a = RunningLedger.start(SharedInfrastructure.get(), Map.of());
             RunningLedger b = RunningLedger.start(SharedInfrastructure.get(), Map.of())) {
            LedgerClient admin = new LedgerClient(a.url(), RunningLedger.ADMIN_KEY);
            String tenant = "runs-" + System.nanoTime() % 100_000_000;
            String other = tenant + "-other";
            for (String t : List.of(tenant, other)) {
                assertThat(admin.post("/v1/tenants", Map.of("tenant_id", t, "name", "Runs")).status()).isEqualTo(201);
            }
            String key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")))
                    .body().get("key").asText();
            String otherKey = admin.post("/v1/tenants/" + other + "/api-keys", Map.of("scopes", List.of("audit:read")))
                    .body().get("key").asText();
            LedgerClient viaA = new LedgerClient(a.url(), key);
            LedgerClient viaB = new LedgerClient(b.url(), key);
            for (int i = 0; i < 20; i++) {
                assertThat(viaA.post("/v1/evaluations", LedgerClient.evaluation("run-" + i), "run-" + i).status()).isEqualTo(201);
            }

            LedgerClient.Answer started = viaA.post("/v1/tenants/" + tenant + "/verification-runs", Map.of());
            assertThat(started.status()).isEqualTo(202);
            String location = started.header("Location");
            JsonNode run = viaB.get(location).body();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (run.get("state").asText().equals("running") && System.nanoTime() < deadline) {
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
                run = viaB.get(location).body();
            }
            assertThat(run.get("state").asText()).as(run.toString()).isEqualTo("done");
            assertThat(run.get("verification").get("status").asText()).isEqualTo("VALID");
            assertThat(run.get("checked").asLong()).isEqualTo(run.get("verification").get("checked").asLong()).isGreaterThanOrEqualTo(22);
            assertThat(run.get("finished_at").asText()).isNotEmpty();
            // the same answer from the instance that ran it
            assertThat(viaA.get(location).body().get("verification")).isEqualTo(run.get("verification"));
            // another tenant's key finds nothing on either instance
            assertThat(new LedgerClient(b.url(), otherKey).get("/v1/tenants/" + other + location.substring(location.indexOf("/verification-runs"))).status())
                    .isEqualTo(404);

            // a run whose instance died mid-way (progress last written a minute ago, no end)
            String lost = "vr_lost" + System.nanoTime();
            try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl());
                 PreparedStatement ps = c.prepareStatement("insert into verification_run (run_id, tenant_id, started_at, updated_at, checked)"
                         + " values (?, ?, ?, ?, 7)")) {
                Timestamp minuteAgo = Timestamp.from(Instant.now().minusSeconds(60));
                ps.setString(1, lost);
                ps.setString(2, tenant);
                ps.setTimestamp(3, minuteAgo);
                ps.setTimestamp(4, minuteAgo);
                ps.executeUpdate();
            }
            JsonNode abandoned = viaB.get("/v1/tenants/" + tenant + "/verification-runs/" + lost).body();
            assertThat(abandoned.get("state").asText()).as(abandoned.toString()).isEqualTo("failed");
            assertThat(abandoned.get("problem").get("status").asInt()).isEqualTo(503);
            assertThat(abandoned.get("problem").get("code").asText()).isEqualTo("service_unavailable");
            assertThat(abandoned.get("checked").asLong()).isEqualTo(7);
        }
    }
}
