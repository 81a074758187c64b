package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.ops.postgres.LocalPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup and restore drill of the runbook, with the real commands: a ledger writes entries and signs a checkpoint,
 * {@code ./ledger backup} takes the database while it runs, the database is lost (server stopped, data directory
 * deleted, an empty cluster started in its place), {@code ./ledger restore} brings it back, and the ledger started on
 * it verifies VALID, proves the restored chain consistent with the checkpoint signed before the backup, and continues
 * each chain at the next sequence.
 */
class BackupRestoreDrillTest {

    private static final Path LEDGER = Path.of("..", "ledger").toAbsolutePath().normalize();
    private static final String TOPIC = "drill-" + System.nanoTime();

    @TempDir
    Path dir;
    private int port;

    record Run(int exit, String output) {
    }

    @Test
    void givenABackupWhenTheDatabaseIsLostAndRestoredThenTheChainVerifiesMatchesItsCheckpointAndContinues() throws Exception {
        Path data = dir.resolve("pg");
        Path backup = dir.resolve("ledger.dump");
        LocalPostgres pg = LocalPostgres.start(data, 0);
        port = pg.port();
        String tenant = "drill-" + System.nanoTime() % 100_000_000;
        String key;
        JsonNode checkpoint;
        long head;
        try {
            try (RunningLedger ledger = start(pg)) {
                LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
                assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Drill")).status()).isEqualTo(201);
                key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")))
                        .body().get("key").asText();
                LedgerClient client = new LedgerClient(ledger.url(), key);
                for (int i = 0; i < 30; i++) {
                    assertThat(client.post("/v1/evaluations", LedgerClient.evaluation("before-" + i), "before-" + i).status()).isEqualTo(201);
                }
                LedgerClient.Answer signed = client.post("/v1/tenants/" + tenant + "/checkpoints", Map.of());
                assertThat(signed.status()).as(signed.raw().body()).isEqualTo(201);
                checkpoint = signed.body();
                // entries after the last checkpoint are in the backup too
                for (int i = 0; i < 5; i++) {
                    assertThat(client.post("/v1/evaluations", LedgerClient.evaluation("after-" + i), "after-" + i).status()).isEqualTo(201);
                }
                head = lastSequence(client, tenant);

                // taken while the ledger runs: pg_dump reads one consistent snapshot
                Run taken = ledger("backup", backup.toString());
                assertThat(taken.exit()).as(taken.output()).isZero();
                assertThat(taken.output()).contains("backed up").contains(" entries in ");
                assertThat(Files.size(backup)).isPositive();
            }

            // a database that holds a ledger is never overwritten unless asked to
            Run refused = ledger("restore", backup.toString());
            assertThat(refused.exit()).as(refused.output()).isEqualTo(2);
            assertThat(refused.output()).contains("already holds a ledger").contains("--replace");
            // nor is a file that is no backup
            Path junk = Files.writeString(dir.resolve("junk.dump"), "not an archive");
            Run notAnArchive = ledger("restore", junk.toString());
            assertThat(notAnArchive.exit()).as(notAnArchive.output()).isEqualTo(2);
            assertThat(notAnArchive.output()).contains("not a readable pg_dump custom-format archive");

            // the disaster: the server and every file of it are gone; a new, empty cluster takes its place
            pg.close();
            deleteTree(data);
            pg = LocalPostgres.start(data, port);
            assertThat(holdsLedger(pg)).isFalse();

            Run restored = ledger("restore", backup.toString());
            assertThat(restored.exit()).as(restored.output()).isZero();
            assertThat(restored.output()).contains("restored");
            assertThat(holdsLedger(pg)).isTrue();

            try (RunningLedger ledger = start(pg)) { // logins are the DBA's: start() creates the service's anew
                LedgerClient client = new LedgerClient(ledger.url(), key); // the tenant's key still works
                JsonNode verdict = client.post("/v1/tenants/" + tenant + "/verifications", Map.of()).body();
                assertThat(verdict.get("status").asText()).as(verdict.toString()).isEqualTo("VALID");
                assertThat(verdict.get("head_sequence").asLong()).isEqualTo(head);

                // consistent with the checkpoint signed before the backup
                JsonNode now = client.post("/v1/tenants/" + tenant + "/checkpoints", Map.of()).body();
                long from = checkpoint.get("size").asLong();
                long to = now.get("size").asLong();
                assertThat(to).isGreaterThan(from);
                JsonNode proof = client.get("/v1/tenants/" + tenant + "/consistency?from=" + from + "&to=" + to).body();
                List<byte[]> path = new ArrayList<>();
                proof.get("proof").forEach(h -> path.add(HexFormat.of().parseHex(h.asText())));
                assertThat(MerkleTree.verifyConsistency(from, to, HexFormat.of().parseHex(checkpoint.get("root_hash").asText()),
                        HexFormat.of().parseHex(now.get("root_hash").asText()), path)).isTrue();

                // and the chain goes on at the next sequence
                long last = lastSequence(client, tenant);
                LedgerClient.Answer next = client.post("/v1/evaluations", LedgerClient.evaluation("after-restore"), "after-restore");
                assertThat(next.status()).as(next.raw().body()).isEqualTo(201);
                assertThat(next.body().get("sequence").asLong()).isEqualTo(last + 1);
                // an idempotency key recorded before the backup still answers with its first receipt
                LedgerClient.Answer replay = client.post("/v1/evaluations", LedgerClient.evaluation("before-3"), "before-3");
                assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
                assertThat(client.post("/v1/tenants/" + tenant + "/verifications", Map.of()).body().get("status").asText()).isEqualTo("VALID");
            }
        } finally {
            pg.close();
        }
    }

    private static RunningLedger start(LocalPostgres pg) throws Exception {
        byte[] b = new byte[18];
        new java.security.SecureRandom().nextBytes(b);
        LocalPostgres.Login login = pg.serviceLogin("ledger_api", "ledger_app", HexFormat.of().formatHex(b));
        return RunningLedger.start(SharedInfrastructure.get(), Map.of("DATABASE_URL", login.databaseUrl(),
                "LEDGER_MIGRATION_DATABASE_URL", pg.databaseUrl(), "ledger.entries-topic", TOPIC));
    }

    /** {@code ./ledger COMMAND ARG} against the drill's database (the owner's URL, as an operator gives it). */
    private Run ledger(String command, String arg) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(LEDGER.toString(), command, arg).redirectErrorStream(true);
        pb.environment().remove("LEDGER_MIGRATION_DATABASE_URL");
        pb.environment().put("DATABASE_URL", "postgresql://postgres@127.0.0.1:" + port + "/" + LocalPostgres.DATABASE);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).as(out).isTrue();
        System.out.print("./ledger " + command + " " + arg + "\n" + out);
        return new Run(p.exitValue(), out);
    }

    private static long lastSequence(LedgerClient client, String tenant) {
        long after = 0;
        long last = 0;
        while (true) {
            JsonNode page = client.get("/v1/tenants/" + tenant + "/entries?limit=1000&after=" + after).body();
            for (JsonNode e : page.get("entries")) {
                last = Math.max(last, e.get("sequence").asLong());
            }
            if (!page.has("next_after")) {
                return last;
            }
            after = page.get("next_after").asLong();
        }
    }

    private static boolean holdsLedger(LocalPostgres pg) throws Exception {
        try (Connection c = DriverManager.getConnection(pg.jdbcUrl()); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("select to_regclass('domain_event_entry') is not null")) {
            r.next();
            return r.getBoolean(1);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
