package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.TlogCheckpoint;
import dev.ledger.core.verify.VerifierMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The deployment's log of checkpoints (issue 17): every tenant checkpoint is a leaf of one signed Merkle tree, and a
 * monitor of every tenant follows it. A tenant rolled back between two of its rounds, which it never saw at its larger
 * size, is still raised, from the leaf; a deleted tenant is raised from its leaf; and removing the leaf too shrinks
 * the log, which is raised as well. Its own database: a monitor of every tenant must not see other tests' tampering.
 */
class MonitorCheckpointLogTest {

    private record Run(int exit, String out, String err) {
    }

    /** A ledger on a database of its own, with tenants alpha and beta of two evaluations each, checkpointed and accepted. */
    private static final class Deployment implements AutoCloseable {
        final SharedInfrastructure infra = SharedInfrastructure.get();
        final String database = "ckptlog_" + Long.toHexString(System.nanoTime());
        final RunningLedger ledger;
        final LedgerClient admin;
        final Path state;

        Deployment() throws Exception {
            infra.postgres.createDatabase(database);
            ledger = RunningLedger.start(infra, Map.of("DATABASE_URL", infra.ledgerApiLogin.databaseUrl(database),
                    "LEDGER_MIGRATION_DATABASE_URL", infra.postgres.databaseUrl(database),
                    "ledger.entries-topic", "ckptlog-" + UUID.randomUUID()));
            admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            state = Files.createTempDirectory("monitor").resolve("state.json");
            Map<String, Long> sizes = new java.util.HashMap<>();
            for (String t : List.of("alpha", "beta")) {
                write(tenant(admin, t), t, 0, 2);
                sizes.put(t, checkpoint(admin, t));
            }
            Run run = MonitorCheckpointLogTest.monitor(ledger, state);
            assertThat(run.exit()).as(run.out() + run.err()).isZero();
            assertThat(run.out()).contains("alpha: consistent at " + sizes.get("alpha") + " entries")
                    .contains("beta: consistent at " + sizes.get("beta") + " entries");
        }

        Run monitor() {
            return MonitorCheckpointLogTest.monitor(ledger, state);
        }

        void superuser(String... statements) throws Exception {
            MonitorCheckpointLogTest.superuser(infra, database, statements);
        }

        @Override
        public void close() {
            ledger.close();
        }
    }

    @Test
    void theLogsHeadIsTheTreeOfTheTenantCheckpointsAndATenantRolledBackBetweenTwoRoundsIsRaised() throws Exception {
        try (Deployment d = new Deployment()) {
            // the log's head is the tree of the tenant checkpoints' note texts, in the order they were issued
            List<byte[]> leafData = new ArrayList<>();
            d.admin.get("/v1/checkpoint-log/leaves").body().path("leaves").forEach(l -> leafData.add(new TlogCheckpoint.Body(
                    "ledger.localhost/tenants/" + l.path("tenant_id").asText(), l.path("size").asLong(),
                    dev.ledger.core.chain.Hex.parse(l.path("root_hash").asText())).text().getBytes(StandardCharsets.UTF_8)));
            assertThat(leafData).hasSize(2);
            assertThat(d.admin.get("/v1/checkpoint-log").body().path("root_hash").asText())
                    .isEqualTo(dev.ledger.core.chain.Hex.of(MerkleTree.rootOfLeafData(leafData)));

            // gamma is created, grows and is checkpointed, then rolled back by two entries and checkpointed again, all
            // between two rounds: the monitor never saw gamma's larger tree, but the log did
            LedgerClient gamma = tenant(d.admin, "gamma");
            write(gamma, "gamma", 0, 4);
            long grown = checkpoint(d.admin, "gamma");
            long kept = grown - 2;
            d.superuser("delete from domain_event_entry where aggregate_identifier = 'gamma' and sequence_number >= " + kept,
                    "delete from checkpoint where tenant_id = 'gamma'", "delete from merkle_node where tenant_id = 'gamma'",
                    "delete from merkle_frontier where tenant_id = 'gamma'", "delete from snapshot_event_entry where aggregate_identifier = 'gamma'");
            assertThat(checkpoint(d.admin, "gamma")).isEqualTo(kept);
            Run run = d.monitor();
            assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(1);
            assertThat(run.out()).contains("ALARM gamma: tail_cut: the deployment's log of checkpoints recorded " + grown
                    + " entries at position 2, then " + kept + " at position 3");
        }
    }

    @Test
    void aDeletedTenantIsRaisedFromItsLeafAndRemovedLeavesShrinkTheLog() throws Exception {
        try (Deployment d = new Deployment()) {
            // beta is deleted outright: the log still holds its leaf
            d.superuser("delete from domain_event_entry where aggregate_identifier = 'beta'", "delete from api_key where tenant_id = 'beta'",
                    "delete from tenant where tenant_id = 'beta'");
            Run run = d.monitor();
            assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(1);
            assertThat(run.out()).contains("ALARM beta: deleted_tenant: ").contains("the deployment's log of checkpoints (position 1) recorded");

            // and its leaf is removed too: the log is smaller than the one accepted
            d.superuser("delete from checkpoint_log_leaf where position >= 1", "update checkpoint_log_head set size = 1");
            run = d.monitor();
            assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(1);
            assertThat(run.out()).contains("ALARM the log of checkpoints: tail_cut: it holds 1 checkpoints, but this monitor accepted 2");
        }
    }

    private static LedgerClient tenant(LedgerClient admin, String t) {
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", t, "name", t)).status()).isEqualTo(201);
        return admin.withKey(admin.post("/v1/tenants/" + t + "/api-keys", Map.of("scopes", List.of("evaluations:write")))
                .body().get("key").asText());
    }

    private static void write(LedgerClient writer, String t, int from, int n) {
        for (int i = from; i < from + n; i++) {
            assertThat(writer.post("/v1/evaluations", LedgerClient.evaluation("ev-" + i), t + "-" + i).status()).isEqualTo(201);
        }
    }

    private static long checkpoint(LedgerClient admin, String t) {
        return admin.post("/v1/tenants/" + t + "/checkpoints", Map.of()).body().path("size").asLong();
    }

    private static Run monitor(RunningLedger ledger, Path state) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = VerifierMain.run(new String[] {"monitor", "--ledger", ledger.url(), "--state", state.toString(), "--once"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("LEDGER_MONITOR_KEY", RunningLedger.ADMIN_KEY));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void superuser(SharedInfrastructure infra, String database, String... statements) throws Exception {
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl(database)); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            s.execute("set session_replication_role = replica");
            for (String sql : statements) {
                s.execute(sql);
            }
            c.commit();
        }
    }
}
