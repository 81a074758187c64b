package dev.ledger.witness;

import static dev.ledger.witness.Fixture.LOG_KEY;
import static dev.ledger.witness.Fixture.OTHER_KEY;
import static dev.ledger.witness.Fixture.checkpointPath;
import static dev.ledger.witness.Fixture.get;
import static dev.ledger.witness.Fixture.post;
import static dev.ledger.witness.Fixture.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.core.chain.Cosignature;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.SignedNote;
import dev.ledger.core.chain.TlogCheckpoint;
import dev.ledger.ops.postgres.LocalPostgres;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The witness over real HTTP and a real PostgreSQL, against c2sp.org/tlog-witness add-checkpoint: each rule's status,
 * the cosignature, the monitor retrieval path, and its state across a restart.
 */
class WitnessProtocolTest {

    private static LocalPostgres postgres;
    private static Map<String, String> env;
    private static WitnessService witness;
    private static int origins;

    @BeforeAll
    static void start() throws Exception {
        postgres = LocalPostgres.start(null, 0);
        env = Fixture.env(postgres);
        witness = Fixture.start(env);
    }

    @AfterAll
    static void stop() throws Exception {
        if (witness != null) {
            witness.close();
        }
        postgres.close();
    }

    private static Fixture.Tree tree(int size) {
        return new Fixture.Tree(Fixture.TENANTS + "tenant-" + (++origins)).grow(size);
    }

    private static Cosignature.CosignerKey publishedKey() throws Exception {
        HttpResponse<String> key = get(witness, "/key");
        assertThat(key.statusCode()).isEqualTo(200);
        assertThat(key.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        return Cosignature.CosignerKey.parse(key.body().strip());
    }

    @Test
    void givenAGrowingLog_thenItCosignsFromZeroAndThenEachConsistentExtension() throws Exception {
        Fixture.Tree log = tree(13);
        Cosignature.CosignerKey key = publishedKey();
        assertThat(key.encoded()).isEqualTo(witness.cosignerKey()).startsWith("witness.localhost/test+");

        HttpResponse<String> first = post(witness, log.request(0, 5));
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(first.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        assertThat(first.body()).startsWith("\u2014 witness.localhost/test ").endsWith("\n");
        assertThat(Cosignature.verify(log.body(5).text(), first.body(), key)).hasValue(Fixture.NOW.getEpochSecond());

        HttpResponse<String> second = post(witness, log.request(5, 13));
        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        assertThat(Cosignature.verify(log.body(13).text(), second.body(), key)).hasValue(Fixture.NOW.getEpochSecond());
        assertThat(Cosignature.verify(log.body(5).text(), second.body(), key)).as("it covers the new checkpoint only").isEmpty();

        // the monitor retrieval path: the checkpoint, the log signature it verified, the witness's cosignature
        HttpResponse<String> served = get(witness, checkpointPath(log.origin));
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.body()).isEqualTo(log.checkpoint(13) + second.body());
        assertThat(SignedNote.verifiedBy(served.body(), LOG_KEY.verifier())).isTrue();
        String cosignatureLine = served.body().substring(served.body().lastIndexOf("\u2014 witness.localhost/test "));
        assertThat(Cosignature.verify(SignedNote.parse(served.body()).text(), cosignatureLine, key)).isPresent();

        // the same checkpoint again (old = size, same root) is cosigned again
        assertThat(post(witness, log.request(13, 13)).statusCode()).isEqualTo(200);
    }

    @Test
    void givenAStaleOldSize_then409WithTheLatestSize() throws Exception {
        Fixture.Tree log = tree(20);
        assertThat(post(witness, log.request(0, 8)).statusCode()).isEqualTo(200);

        for (long old : new long[] {0, 4, 9}) {
            HttpResponse<String> stale = post(witness, log.request(old, 20));
            assertThat(stale.statusCode()).as("old " + old).isEqualTo(409);
            assertThat(stale.body()).isEqualTo("8\n");
            assertThat(stale.headers().firstValue("Content-Type")).hasValue("text/x.tlog.size");
        }
        assertThat(post(witness, log.request(8, 20)).statusCode()).isEqualTo(200);
        assertThat(post(witness, log.request(8, 20)).body()).isEqualTo("20\n");
    }

    @Test
    void givenAForkOfTheCosignedTree_then422AndTheRefusalIsKept() throws Exception {
        Fixture.Tree log = tree(6);
        assertThat(post(witness, log.request(0, 6)).statusCode()).isEqualTo(200);
        Fixture.Tree fork = log.fork(3).grow(9);

        HttpResponse<String> longer = post(witness, fork.request(6, 12));
        assertThat(longer.statusCode()).as(longer.body()).isEqualTo(422);
        HttpResponse<String> sameSize = post(witness, fork.request(6, 6));
        assertThat(sameSize.statusCode()).as(sameSize.body()).isEqualTo(422);
        // the honest log's proof with the fork's checkpoint does not verify either
        log.grow(6);
        HttpResponse<String> mixed = post(witness, request(6, log.proof(6, 12), fork.checkpoint(12)));
        assertThat(mixed.statusCode()).isEqualTo(422);

        assertThat(refusals(log.origin)).containsExactly("inconsistent 12", "same-size-other-root 6", "inconsistent 12");
        assertThat(post(witness, log.request(6, 12)).statusCode()).as("the honest extension still goes").isEqualTo(200);
        assertThat(get(witness, "/metrics").body())
                .containsPattern("witness_refused_total\\{reason=\"inconsistent\"\\} [1-9]")
                .containsPattern("witness_cosigned_total [1-9]");
    }

    @Test
    void givenAnUntrustedOrCorruptedSignature_then403() throws Exception {
        Fixture.Tree log = tree(4);
        HttpResponse<String> untrusted = post(witness, request(0, List.of(), log.checkpoint(4, OTHER_KEY)));
        assertThat(untrusted.statusCode()).isEqualTo(403);

        String note = log.checkpoint(4);
        int sig = note.lastIndexOf(' ') + 1;
        byte[] raw = Base64.getDecoder().decode(note.substring(sig, note.length() - 1));
        raw[20] ^= 1;
        String corrupted = note.substring(0, sig) + Base64.getEncoder().encodeToString(raw) + "\n";
        assertThat(post(witness, request(0, List.of(), corrupted)).statusCode()).isEqualTo(403);
        // a corrupted trusted line is refused even next to a valid one
        String both = note + corrupted.substring(corrupted.lastIndexOf("\n\n") + 2);
        assertThat(post(witness, request(0, List.of(), both)).statusCode()).isEqualTo(403);

        // a signature of an unknown key (another name) next to the log's is ignored
        SignedNote.SignerKey stranger = SignedNote.SignerKey.of("stranger.example", Fixture.random(32));
        HttpResponse<String> mixed = post(witness, request(0, List.of(), SignedNote.sign(log.body(4).text(), stranger, LOG_KEY)));
        assertThat(mixed.statusCode()).as(mixed.body()).isEqualTo(200);
        String served = get(witness, checkpointPath(log.origin)).body();
        assertThat(served).as("it serves the log signature it verified, not the stranger's").doesNotContain("stranger.example");
        assertThat(post(witness, request(4, List.of(), corrupted)).statusCode()).isEqualTo(403);
    }

    @Test
    void givenAnUnknownOrigin_then404() throws Exception {
        Fixture.Tree other = new Fixture.Tree("other.localhost/log").grow(3);
        assertThat(post(witness, other.request(0, 3)).statusCode()).isEqualTo(404);
        // the prefix ends in '/': the prefix itself is not one of its logs
        Fixture.Tree bare = new Fixture.Tree(Fixture.TENANTS).grow(3);
        assertThat(post(witness, bare.request(0, 3)).statusCode()).isEqualTo(404);
        assertThat(get(witness, checkpointPath("other.localhost/log")).statusCode()).isEqualTo(404);
        assertThat(get(witness, checkpointPath(Fixture.TENANTS + "never-submitted")).statusCode()).isEqualTo(404);
    }

    @Test
    void givenMalformedRequests_then400Or413() throws Exception {
        Fixture.Tree log = tree(9);
        String note = log.checkpoint(9);
        String proofLine = Base64.getEncoder().encodeToString(new byte[32]);
        for (String body : List.of(
                note,                                             // no old line
                "old 01\n\n" + note,                              // leading zero
                "old -1\n\n" + note,
                "old 0\n" + note,                                 // no empty line before the checkpoint
                "old 3\nnot-base64!\n\n" + note,
                "old 3\n" + Base64.getEncoder().encodeToString(new byte[31]) + "\n\n" + note,
                "old 3\n" + String.join("\n", Collections.nCopies(64, proofLine)) + "\n\n" + note,
                "old 0\n\n" + log.body(9).text() + "\n",          // no signature
                "old 0\n\n" + note.replace("\u2014 ", "- "),
                "old 0\n\n" + note.replace("\n\n", "\n\r\n"),
                "old 10\n\n" + note)) {                           // old beyond the size
            HttpResponse<String> r = post(witness, body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
        }
        String tooLarge = "old 0\n\n" + "x".repeat(WitnessServer.MAX_BODY_BYTES);
        assertThat(post(witness, tooLarge).statusCode()).isEqualTo(413);
        // a checkpoint whose size is not a decimal, signed by the log: 400 too
        String badText = log.origin + "\n09\n" + Base64.getEncoder().encodeToString(log.index.root(9)) + "\n";
        assertThat(post(witness, request(0, List.of(), SignedNote.sign(badText, LOG_KEY))).statusCode()).isEqualTo(400);
        assertThat(get(witness, "/add-checkpoint").statusCode()).isEqualTo(405);
        assertThat(post(witness, log.request(0, 9)).statusCode()).as("nothing of it stuck").isEqualTo(200);
    }

    @Test
    void givenTheEmptyTreeRules_then422() throws Exception {
        Fixture.Tree log = tree(5);
        String emptyWithRoot = SignedNote.sign(new TlogCheckpoint.Body(log.origin, 0, log.index.root(5)).text(), LOG_KEY);
        assertThat(post(witness, request(0, List.of(), emptyWithRoot)).statusCode()).isEqualTo(422);
        assertThat(post(witness, request(0, List.of(log.index.root(1)), log.checkpoint(5))).statusCode())
                .as("a proof from size 0").isEqualTo(422);
        String empty = SignedNote.sign(new TlogCheckpoint.Body(log.origin, 0, MerkleTree.emptyRoot()).text(), LOG_KEY);
        HttpResponse<String> cosigned = post(witness, request(0, List.of(), empty));
        assertThat(cosigned.statusCode()).isEqualTo(200);
        assertThat(Cosignature.verify(new TlogCheckpoint.Body(log.origin, 0, MerkleTree.emptyRoot()).text(), cosigned.body(),
                publishedKey())).isPresent();
    }

    @Test
    void givenARestartOnTheSameDatabase_thenItStillRefusesTheFork() throws Exception {
        Fixture.Tree log = tree(7);
        assertThat(post(witness, log.request(0, 7)).statusCode()).isEqualTo(200);
        witness.close();
        witness = Fixture.start(env);

        Fixture.Tree fork = log.fork(2).grow(8);
        assertThat(post(witness, fork.request(0, 10)).body()).isEqualTo("7\n");
        assertThat(post(witness, fork.request(7, 10)).statusCode()).isEqualTo(422);
        assertThat(post(witness, fork.request(7, 7)).statusCode()).isEqualTo(422);
        assertThat(get(witness, checkpointPath(log.origin)).body()).startsWith(log.checkpoint(7));
        assertThat(get(witness, "/health").statusCode()).isEqualTo(200);
        assertThat(get(witness, "/ready").statusCode()).isEqualTo(200);
    }

    private static List<String> refusals(String origin) throws Exception {
        List<String> found = new ArrayList<>();
        String database = env.get("LEDGER_MIGRATION_DATABASE_URL");
        String url = "jdbc:" + database.replace("postgresql://postgres@", "postgresql://") + "?user=postgres";
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select reason, size from witness_refusal where origin = '" + origin + "' order by id")) {
            while (rs.next()) {
                found.add(rs.getString(1) + " " + rs.getLong(2));
            }
        }
        return found;
    }
}
