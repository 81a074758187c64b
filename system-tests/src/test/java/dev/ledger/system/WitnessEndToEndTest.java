package dev.ledger.system;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.ChainForger;
import dev.ledger.api.LedgerClient;
import dev.ledger.api.RunningLedger;
import dev.ledger.api.SharedInfrastructure;
import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.Cosignature;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.Sha256;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 17's witness acceptance: ledger-api sends each checkpoint to a witness process (its own database, C2SP
 * tlog-witness), the checkpoints it serves carry the witness's cosignature, and when a superuser rewrites a tenant's
 * history (entries re-hashed, the ledger's Merkle caches, checkpoints and cosignatures deleted to cover it up) the
 * witness refuses the new checkpoint of the forged history: it still holds the root it cosigned.
 */
class WitnessEndToEndTest {

    private static final String WITNESS = "witness.test/w1";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void servedCheckpointsCarryTheWitnessCosignatureAndTheWitnessRefusesARewrittenHistory() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String database = "witness_" + Long.toHexString(System.nanoTime());
        infra.postgres.createDatabase(database);
        byte[] seed = new byte[32];
        new SecureRandom().nextBytes(seed);
        Cosignature.CosignerKey witnessKey = Cosignature.Cosigner.of(WITNESS, seed).key();
        CheckpointSigner ledgerKey = CheckpointSigner.generate();
        int port = freePort();
        Map<String, String> env = new HashMap<>();
        env.put("WITNESS_PORT", Integer.toString(port));
        env.put("WITNESS_NAME", WITNESS);
        env.put("WITNESS_KEY", Base64.getEncoder().encodeToString(seed));
        env.put("DATABASE_URL", infra.postgres.databaseUrl(database));
        env.put("LEDGER_MIGRATION_DATABASE_URL", infra.postgres.databaseUrl(database));
        String ledgerNoteKey = ledgerKey.key().noteVerifierKey("ledger.localhost").encoded();
        env.put("WITNESS_LOGS", "ledger.localhost/tenants/=" + ledgerNoteKey + ",ledger.localhost/checkpoints=" + ledgerNoteKey);
        Map<String, Object> ledgerSettings = Map.of(
                "ledger.checkpoint.private-key", ledgerKey.privateKeyBase64(),
                "ledger.checkpoint.public-key", ledgerKey.key().publicKeyBase64(),
                "ledger.witness.targets", "http://127.0.0.1:" + port + "=" + witnessKey.encoded(),
                "ledger.witness.submit-millis", "200",
                // one address for both runs of the ledger: the monitor's state names the ledger it watches
                "server.port", freePort());
        Path logs = Files.createTempDirectory("witness-e2e");
        Path monitorState = logs.resolve("monitor.json");
        Process witness = startWitness(env, logs.resolve("witness.log"));
        try {
            awaitReady(port, witness, logs.resolve("witness.log"));
            String tenant = "wit-" + System.nanoTime() % 100_000_000;
            String witnessedRoot;
            try (RunningLedger ledger = RunningLedger.start(infra, ledgerSettings)) {
                LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
                assertThat(admin.get("/v1/checkpoint-keys").body().path("witnesses").path(0).path("cosigner_key").asText())
                        .isEqualTo(witnessKey.encoded());
                assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Witnessed")).status()).isEqualTo(201);
                LedgerClient writer = admin.withKey(admin.post("/v1/tenants/" + tenant + "/api-keys",
                        Map.of("scopes", List.of("evaluations:write", "audit:read"))).body().get("key").asText());
                write(writer, tenant, 0, 4);
                long first = admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of()).body().path("size").asLong();
                String note = cosigned(ledger, tenant, first, witnessKey);
                write(writer, tenant, 4, 3);
                long second = admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of()).body().path("size").asLong();
                assertThat(second).isGreaterThan(first);
                // the second was sent with a consistency proof from the first: the witness checked it and cosigned
                note = cosigned(ledger, tenant, second, witnessKey);
                witnessedRoot = rootLine(note);
                assertThat(witnessState(port, "ledger.localhost/tenants/" + tenant)).contains("\n" + second + "\n" + witnessedRoot + "\n");
                // the deployment's log of checkpoints is witnessed too: its head carries the witness's cosignature
                String logNote = EndToEndTest.eventually(Duration.ofSeconds(30), () -> {
                    String n = text(ledger.url() + "/v1/checkpoint-log");
                    String body = n.substring(0, n.indexOf("\n\n") + 1);
                    return n.lines().anyMatch(line -> Cosignature.verify(body, line, witnessKey).isPresent()) ? n : null;
                });
                assertThat(logNote).startsWith("ledger.localhost/checkpoints\n");
                // a monitor pinned to the witness accepts the tenant's cosigned checkpoint
                Monitored m = monitor(ledger, monitorState, tenant, witnessKey);
                assertThat(m.exit()).as(m.out()).isZero();
                assertThat(m.out()).contains(tenant + ": consistent at " + second + " entries");
            }

            // a superuser rewrites entry 3 and re-hashes everything after it, then deletes what would give it away
            long head = rewriteHistory(infra, tenant);
            try (RunningLedger ledger = RunningLedger.start(infra, ledgerSettings)) {
                LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
                long forged = admin.post("/v1/tenants/" + tenant + "/checkpoints", Map.of()).body().path("size").asLong();
                assertThat(forged).isEqualTo(head);
                String forgedNote = text(ledger.url() + "/v1/tenants/" + tenant + "/checkpoints/latest");
                assertThat(rootLine(forgedNote)).as("the forged history has another root").isNotEqualTo(witnessedRoot);

                Refusal refusal = EndToEndTest.eventually(Duration.ofSeconds(30), () -> refusal(infra, tenant, forged).orElse(null));
                assertThat(refusal.status()).as(refusal.reason()).isEqualTo(422);
                assertThat(text(ledger.url() + "/v1/tenants/" + tenant + "/checkpoints/latest"))
                        .as("a refused checkpoint is served without the witness's cosignature").doesNotContain("\u2014 " + WITNESS + " ");
                assertThat(witnessState(port, "ledger.localhost/tenants/" + tenant))
                        .as("the witness still holds the history it cosigned").contains("\n" + witnessedRoot + "\n");
                // and the monitor raises the rewrite
                Monitored m = monitor(ledger, monitorState, tenant, witnessKey);
                assertThat(m.exit()).as(m.out()).isEqualTo(1);
                assertThat(m.out()).contains("ALARM " + tenant + ": rewrite: ");
            }
        } finally {
            witness.destroy();
            if (!witness.waitFor(20, TimeUnit.SECONDS)) {
                witness.destroyForcibly();
            }
        }
    }

    private record Refusal(int status, String reason) {
    }

    private record Monitored(int exit, String out) {
    }

    private static Monitored monitor(RunningLedger ledger, Path state, String tenant, Cosignature.CosignerKey witness) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        int exit = dev.ledger.core.verify.VerifierMain.run(new String[] {"monitor", "--ledger", ledger.url(), "--state", state.toString(),
                "--tenant", tenant, "--witness", witness.encoded(), "--once"}, new java.io.PrintStream(out, true, StandardCharsets.UTF_8),
                new java.io.PrintStream(out, true, StandardCharsets.UTF_8), Map.of("LEDGER_MONITOR_KEY", RunningLedger.ADMIN_KEY));
        return new Monitored(exit, out.toString(StandardCharsets.UTF_8));
    }

    private static Optional<Refusal> refusal(SharedInfrastructure infra, String tenant, long size) {
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl());
             PreparedStatement ps = c.prepareStatement("select status, reason from checkpoint_refusal where tenant_id = ? and size = ?"
                     + " and witness = ?")) {
            ps.setString(1, tenant);
            ps.setLong(2, size);
            ps.setString(3, WITNESS);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(new Refusal(rs.getInt(1), rs.getString(2))) : Optional.empty();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the served note of the checkpoint at {@code size} carries a cosignature that verifies with the key. */
    private static String cosigned(RunningLedger ledger, String tenant, long size, Cosignature.CosignerKey key) throws Exception {
        return EndToEndTest.eventually(Duration.ofSeconds(30), () -> {
            String note = text(ledger.url() + "/v1/tenants/" + tenant + "/checkpoints/latest");
            String body = note.substring(0, note.indexOf("\n\n") + 1);
            if (!body.contains("\n" + size + "\n")) {
                return null;
            }
            for (String line : note.substring(note.indexOf("\n\n") + 2).split("\n")) {
                if (Cosignature.verify(body, line, key).isPresent()) {
                    return note;
                }
            }
            return null;
        });
    }

    private static String rootLine(String note) {
        return note.split("\n")[2];
    }

    private static void write(LedgerClient writer, String tenant, int from, int count) {
        for (int i = from; i < from + count; i++) {
            LedgerClient.Answer a = writer.post("/v1/evaluations", LedgerClient.evaluation("ev-" + tenant + "-" + i), "ev-" + i);
            assertThat(a.status()).as(a.body().toString()).isIn(200, 201);
        }
    }

    /** A superuser rewrites the tenant's first evaluation, re-hashes the chain after it and covers it up; answers the head. */
    private static long rewriteHistory(SharedInfrastructure infra, String tenant) throws Exception {
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl())) {
            c.setAutoCommit(false);
            ChainForger.triggersOff(c);
            long head = ChainForger.rechainFromFirstEvaluation(c, tenant);
            ChainForger.coverUp(c, tenant);
            c.commit();
            return head;
        }
    }

    private static String text(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/plain")
                    .header("Authorization", "Bearer " + RunningLedger.ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The witness's latest cosigned checkpoint of an origin (C2SP tlog-witness monitor retrieval). */
    private static String witnessState(int port, String origin) {
        String hash = Hex.of(Sha256.of(origin.getBytes(StandardCharsets.UTF_8)));
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/" + hash + "/checkpoint"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Process startWitness(Map<String, String> env, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), "dev.ledger.witness.WitnessMain"))
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().keySet().removeIf(k -> k.startsWith("WITNESS_") || k.startsWith("LEDGER_") || k.equals("DATABASE_URL")
                || k.equals("JAVA_TOOL_OPTIONS"));
        pb.environment().putAll(env);
        return pb.start();
    }

    private static void awaitReady(int port, Process witness, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline && witness.isAlive()) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
        }
        throw new IllegalStateException("the witness did not become ready: " + Files.readString(log));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
