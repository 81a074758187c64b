package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.verify.VerifierMain;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's monitor ({@code ./ledger monitor}, the verifier CLI's {@code monitor}): it accepts a tenant's signed-note
 * checkpoints while each is consistent with the last one it accepted, and raises, with its reason and exit 1, a tail
 * cut, a rewritten history and a deleted tenant, each done by a superuser who also deletes the ledger's checkpoints and
 * Merkle caches so that the ledger itself signs what is left.
 */
class MonitorTest {

    private static SharedInfrastructure infra;
    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        infra = SharedInfrastructure.get();
        ledger = RunningLedger.start(infra);
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    private record Run(int exit, String out, String err) {
    }

    private static Run monitor(Path state, String tenant) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = VerifierMain.run(new String[] {"monitor", "--ledger", ledger.url(), "--state", state.toString(), "--tenant", tenant,
                "--once"}, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("LEDGER_MONITOR_KEY", RunningLedger.ADMIN_KEY));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static final Map<String, LedgerClient> WRITERS = new java.util.concurrent.ConcurrentHashMap<>();

    private static String tenantWith(int evaluations) {
        String tenant = "mon-" + System.nanoTime() % 100_000_000;
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Monitored")).status()).isEqualTo(201);
        WRITERS.put(tenant, admin.withKey(admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write")))
                .body().get("key").asText()));
        write(tenant, 0, evaluations);
        return tenant;
    }

    private static void write(String tenant, int from, int count) {
        for (int i = from; i < from + count; i++) {
            LedgerClient.Answer a = WRITERS.get(tenant).post("/v1/evaluations", LedgerClient.evaluation("ev-" + i), tenant + "-" + i);
            assertThat(a.status()).as(a.body().toString()).isEqualTo(201);
        }
    }

    private static long checkpoint(String tenant) {
        LedgerClient.Answer a = admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of());
        assertThat(a.status()).as(a.body().toString()).isIn(200, 201);
        return a.body().path("size").asLong();
    }

    @Test
    void aCheckpointConsistentWithTheAcceptedOneIsAcceptedAndACutTailIsRaised() throws Exception {
        Path state = Files.createTempDirectory("monitor").resolve("state.json");
        String tenant = tenantWith(3);
        long first = checkpoint(tenant);
        Run run = monitor(state, tenant);
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains(tenant + ": consistent at " + first + " entries");
        write(tenant, 3, 3);
        long second = checkpoint(tenant);
        run = monitor(state, tenant);
        assertThat(run.exit()).as(run.out() + run.err()).isZero();
        assertThat(run.out()).contains(tenant + ": consistent at " + second + " entries");

        // a superuser deletes the last two entries and everything that remembers them
        superuser(c -> {
            exec(c, "delete from domain_event_entry where aggregate_identifier = '" + tenant + "' and sequence_number >= " + (second - 2));
            ChainForger.coverUp(c, tenant);
        });
        long cut = checkpoint(tenant);
        assertThat(cut).isEqualTo(second - 2);
        run = monitor(state, tenant);
        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(1);
        assertThat(run.out()).contains("ALARM " + tenant + ": tail_cut: ").contains("holds " + cut + " entries")
                .contains("accepted " + second).contains("entries " + (cut + 1) + ".." + second + " were cut off");
        // the alarm leaves the state as it was: the next run raises it again
        assertThat(monitor(state, tenant).exit()).isEqualTo(1);
    }

    @Test
    void aRewrittenHistoryIsRaisedWhenTheNextCheckpointIsNotConsistentWithTheAcceptedOne() throws Exception {
        Path state = Files.createTempDirectory("monitor").resolve("state.json");
        String tenant = tenantWith(3);
        long accepted = checkpoint(tenant);
        assertThat(monitor(state, tenant).exit()).isZero();
        write(tenant, 3, 2);
        // the superuser rewrites the first evaluation, re-hashes the chain after it and covers it up
        superuser(c -> {
            ChainForger.rechainFromFirstEvaluation(c, tenant);
            ChainForger.coverUp(c, tenant);
        });
        long forged = checkpoint(tenant);
        assertThat(forged).isGreaterThan(accepted);
        Run run = monitor(state, tenant);
        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(1);
        assertThat(run.out()).contains("ALARM " + tenant + ": rewrite: the checkpoint of " + forged
                + " entries is not consistent with the one of " + accepted);
    }

    @Test
    void aCheckpointAPinnedWitnessDoesNotCosignWithinTheGraceIsRaised() throws Exception {
        Path state = Files.createTempDirectory("monitor").resolve("state.json");
        String tenant = tenantWith(2);
        long size = checkpoint(tenant);
        // a witness this ledger never sends anything to: its cosignature never comes
        String absent = dev.ledger.core.chain.Cosignature.Cosigner.of("witness.test/absent", new byte[32]).key().encoded();
        String[] args = {"monitor", "--ledger", ledger.url(), "--state", state.toString(), "--tenant", tenant, "--witness", absent,
                "--grace", "0", "--once"};
        Run first = run(args);
        assertThat(first.exit()).as(first.out() + first.err()).isZero();
        assertThat(first.out()).contains(tenant + ": consistent at 0 entries (" + size + " waiting for cosignatures)");
        Run second = run(args);
        assertThat(second.exit()).as(second.out() + second.err()).isEqualTo(1);
        assertThat(second.out()).contains("ALARM " + tenant + ": not_cosigned: the checkpoint of " + size
                + " entries has no cosignature of witness.test/absent after 0 s");
    }

    private static Run run(String[] args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = VerifierMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8),
                Map.of("LEDGER_MONITOR_KEY", RunningLedger.ADMIN_KEY));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aDeletedTenantIsRaised() throws Exception {
        Path state = Files.createTempDirectory("monitor").resolve("state.json");
        String tenant = tenantWith(2);
        long accepted = checkpoint(tenant);
        assertThat(monitor(state, tenant).exit()).isZero();
        superuser(c -> {
            exec(c, "delete from domain_event_entry where aggregate_identifier = '" + tenant + "'");
            exec(c, "delete from api_key where tenant_id = '" + tenant + "'");
            exec(c, "delete from tenant where tenant_id = '" + tenant + "'");
            ChainForger.coverUp(c, tenant);
        });
        Run run = monitor(state, tenant);
        assertThat(run.exit()).as(run.out() + run.err()).isEqualTo(1);
        assertThat(run.out()).contains("ALARM " + tenant + ": deleted_tenant: ").contains("checkpoint of " + accepted + " entries");
    }

    @Test
    void withoutAKeyOrWithAStateOfAnotherLedgerItRefusesToRun() throws Exception {
        Path state = Files.createTempDirectory("monitor").resolve("state.json");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = VerifierMain.run(new String[] {"monitor", "--ledger", ledger.url(), "--state", state.toString(), "--once"},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("LEDGER_MONITOR_KEY");
        Files.writeString(state, "{\"format\":\"ledger-monitor/v1\",\"ledger\":\"http://elsewhere:1\"}");
        Run run = monitor(state, tenantWith(1));
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("watches http://elsewhere:1");
    }

    private interface Sql {
        void run(Connection c) throws Exception;
    }

    private static void superuser(Sql work) throws Exception {
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl())) {
            c.setAutoCommit(false);
            ChainForger.triggersOff(c);
            work.run(c);
            c.commit();
        }
    }

    private static void exec(Connection c, String sql) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
