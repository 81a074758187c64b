package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * The ledger verifies every chain by itself: a tenant whose entry the database superuser changed, and whom no auditor
 * asks about, is found BROKEN at that entry by the scheduled verification, counted in the integrity metric an alert
 * pages on, and logged once (not once a round), without a stack trace.
 */
class ScheduledVerificationTest {

    @Test
    void givenATamperedChainNobodyAuditsThenTheScheduledVerificationFindsItAndCountsIt() throws Exception {
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.verify.interval", "2s"));
             RunningLedger second = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.verify.interval", "2s"));
             RequestLogCapture log = RequestLogCapture.attach()) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String tenant = "sched-" + System.nanoTime() % 100_000_000;
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Scheduled")).status()).isEqualTo(201);
            LedgerClient writer = admin.withKey(admin.post("/v1/tenants/" + tenant + "/api-keys",
                    Map.of("scopes", List.of("evaluations:write"))).body().get("key").asText());
            for (int i = 0; i < 4; i++) {
                assertThat(writer.post("/v1/evaluations", LedgerClient.evaluation("ev-" + i), "ev-" + i).status()).isEqualTo(201);
            }
            double before = PublicationFixtures.metric(ledger, "ledger_chain_integrity_failures_total{source=\"scheduled\"}")
                    + PublicationFixtures.metric(second, "ledger_chain_integrity_failures_total{source=\"scheduled\"}");
            assertThat(before).as("the counter is there before any failure").isGreaterThanOrEqualTo(0);
            await(() -> metric(ledger, "ledger_chain_verifications_total{result=\"valid\",source=\"scheduled\"}")
                    + metric(second, "ledger_chain_verifications_total{result=\"valid\",source=\"scheduled\"}") > 0,
                    "a scheduled run verified a chain VALID");

            try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl()); Statement s = c.createStatement()) {
                s.execute("set session_replication_role = replica");
                s.execute("update domain_event_entry set payload = convert_to('{\"forged\":true}', 'UTF8') where aggregate_identifier = '"
                        + tenant + "' and sequence_number = 3");
            }
            String finding = "the chain of " + tenant + " is BROKEN at sequence 4 (hash_mismatch)";
            await(() -> warnings(log, finding) == 1, "the scheduled verification found " + tenant + " broken");
            assertThat(metric(ledger, "ledger_chain_integrity_failures_total{source=\"scheduled\"}")
                    + metric(second, "ledger_chain_integrity_failures_total{source=\"scheduled\"}")).isGreaterThan(before);
            assertThat(Math.max(metric(ledger, "ledger_chain_broken_tenants"), metric(second, "ledger_chain_broken_tenants")))
                    .isGreaterThanOrEqualTo(1);

            // two more rounds: the same break is not logged again
            RunningLedger verifier = metric(ledger, "ledger_chain_verification_round_end") > 0 ? ledger : second;
            double round = metric(verifier, "ledger_chain_verification_round_end");
            await(() -> metric(verifier, "ledger_chain_verification_round_end") > round, "a round ended");
            double next = metric(verifier, "ledger_chain_verification_round_end");
            await(() -> metric(verifier, "ledger_chain_verification_round_end") > next, "another round ended");
            assertThat(warnings(log, finding)).isEqualTo(1);
            assertThat(log.stackTraces()).isEmpty();
            // two instances on one database: one of them verifies, the other stands by
            String runs = "ledger_chain_verifications_total{result=\"valid\",source=\"scheduled\"}";
            assertThat(List.of(metric(ledger, runs) > 0, metric(second, runs) > 0)).containsExactlyInAnyOrder(true, false);
        }
    }

    private static long warnings(RequestLogCapture log, String text) {
        return log.events().stream().filter(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains(text)).count();
    }

    private static double metric(RunningLedger ledger, String name) {
        try {
            return PublicationFixtures.metric(ledger, name);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        Await.until(condition, Duration.ofSeconds(30), () -> what);
    }
}
