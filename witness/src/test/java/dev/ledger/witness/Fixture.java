package dev.ledger.witness;

import dev.ledger.core.chain.ProofIndex;
import dev.ledger.core.chain.SignedNote;
import dev.ledger.core.chain.TlogCheckpoint;
import dev.ledger.ops.postgres.LocalPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the witness tests share: a real PostgreSQL with a database per witness (migrated by the superuser, used by
 * the witness's own login), a log key that signs checkpoints of Merkle trees, and an HTTP client.
 */
final class Fixture {

    static final String LOG_NAME = "ledger.localhost";
    static final String TENANTS = "ledger.localhost/tenants/";
    static final Instant NOW = Instant.ofEpochSecond(1_767_225_600L);
    static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final AtomicInteger DATABASES = new AtomicInteger();

    static final SignedNote.SignerKey LOG_KEY = SignedNote.SignerKey.of(LOG_NAME, random(32));
    static final SignedNote.SignerKey OTHER_KEY = SignedNote.SignerKey.of(LOG_NAME, random(32));
    static final byte[] WITNESS_SEED = random(32);
    static final HttpClient HTTP = HttpClient.newHttpClient();

    private Fixture() {
    }

    static byte[] random(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** A fresh database and the witness login ({@code witness}, in {@code witness_app}) for it. */
    static Map<String, String> env(LocalPostgres postgres) throws Exception {
        String database = "witness_" + DATABASES.incrementAndGet() + "_" + (System.nanoTime() % 100_000);
        postgres.createDatabase(database);
        LocalPostgres.Login login = postgres.serviceLogin("witness", "witness_app", "witness-password-0123456789");
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", login.databaseUrl(database));
        env.put("LEDGER_MIGRATION_DATABASE_URL", postgres.databaseUrl(database));
        env.put("WITNESS_PORT", "0");
        env.put("WITNESS_NAME", "witness.localhost/test");
        env.put("WITNESS_KEY", Base64.getEncoder().encodeToString(WITNESS_SEED));
        env.put("WITNESS_LOGS", TENANTS + "=" + LOG_KEY.verifier().encoded());
        return env;
    }

    static WitnessService start(Map<String, String> env) {
        return WitnessService.start(WitnessConfig.fromEnv(env), CLOCK);
    }

    /** A log's tree: random entry hashes, their checkpoints and consistency proofs. */
    static final class Tree {
        final String origin;
        final List<byte[]> entries = new ArrayList<>();
        ProofIndex index = ProofIndex.over(List.of());

        Tree(String origin) {
            this.origin = origin;
        }

        Tree grow(int n) {
            for (int i = 0; i < n; i++) {
                byte[] e = random(32);
                entries.add(e);
                index = index.append(e);
            }
            return this;
        }

        /** The same origin and the first {@code shared} entries, then different ones: a fork. */
        Tree fork(int shared) {
            Tree f = new Tree(origin);
            for (int i = 0; i < shared; i++) {
                f.entries.add(entries.get(i));
                f.index = f.index.append(entries.get(i));
            }
            return f;
        }

        TlogCheckpoint.Body body(long size) {
            return new TlogCheckpoint.Body(origin, size, index.root(size));
        }

        String checkpoint(long size, SignedNote.SignerKey... keys) {
            return SignedNote.sign(body(size).text(), keys.length == 0 ? new SignedNote.SignerKey[] {LOG_KEY} : keys);
        }

        List<byte[]> proof(long m, long n) {
            return m == 0 ? List.of() : index.consistencyProof(m, n);
        }

        /** An add-checkpoint body from {@code old} to {@code size} with the right proof, signed by the log key. */
        String request(long old, long size) {
            return Fixture.request(old, proof(old, size), checkpoint(size));
        }
    }

    static String request(long old, List<byte[]> proof, String note) {
        StringBuilder b = new StringBuilder("old ").append(old).append('\n');
        for (byte[] h : proof) {
            b.append(Base64.getEncoder().encodeToString(h)).append('\n');
        }
        return b.append('\n').append(note).toString();
    }

    static HttpResponse<String> post(WitnessService w, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + w.port() + "/add-checkpoint"))
                        .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    static HttpResponse<String> get(WitnessService w, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + w.port() + path)).GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** {@code /<hex SHA-256 of the origin>/checkpoint}. */
    static String checkpointPath(String origin) {
        return "/" + dev.ledger.core.chain.Hex.of(dev.ledger.core.chain.Sha256.of(origin.getBytes(StandardCharsets.UTF_8)))
                + "/checkpoint";
    }
}
