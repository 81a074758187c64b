package dev.ledger.witness;

import static dev.ledger.witness.Fixture.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.ops.postgres.LocalPostgres;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The rollback race of c2sp.org/tlog-witness: two submissions from the same old size are checked and saved
 * atomically, so only one of them is cosigned and the stored size never goes back.
 */
class WitnessConcurrencyTest {

    private static LocalPostgres postgres;
    private static Map<String, String> env;
    private static WitnessService witness;

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

    private static String ownerUrl() {
        return "jdbc:" + env.get("LEDGER_MIGRATION_DATABASE_URL").replace("postgresql://postgres@", "postgresql://") + "?user=postgres";
    }

    @Test
    void givenTwoSubmissionsFromTheSameOldSizeWhileTheRowIsHeld_thenExactlyOneIsCosigned() throws Exception {
        Fixture.Tree log = new Fixture.Tree(Fixture.TENANTS + "race").grow(20);
        assertThat(post(witness, log.request(0, 4)).statusCode()).isEqualTo(200);

        ExecutorService pool = Executors.newFixedThreadPool(2);
        try (Connection holder = DriverManager.getConnection(ownerUrl()); Statement s = holder.createStatement()) {
            // hold the origin's row, so that both submissions are in flight together when it is released
            holder.setAutoCommit(false);
            s.executeQuery("select size from witness_checkpoint where origin = '" + log.origin + "' for update").close();
            Future<HttpResponse<String>> toTen = pool.submit(() -> post(witness, log.request(4, 10)));
            Future<HttpResponse<String>> toTwenty = pool.submit(() -> post(witness, log.request(4, 20)));
            String database = ownerUrl().substring(ownerUrl().lastIndexOf('/') + 1, ownerUrl().indexOf('?'));
            assertThat(postgres.awaitLockWaiters(database, 2, Duration.ofSeconds(10)))
                    .as("both submissions wait for the row").isTrue();
            holder.commit();

            List<Integer> statuses = List.of(toTen.get().statusCode(), toTwenty.get().statusCode());
            assertThat(statuses).containsExactlyInAnyOrder(200, 409);
            HttpResponse<String> loser = toTen.get().statusCode() == 409 ? toTen.get() : toTwenty.get();
            String winnerSize = loser == toTen.get() ? "20" : "10";
            assertThat(loser.body()).isEqualTo(winnerSize + "\n");
            assertThat(storedSize(s, log.origin)).isEqualTo(Long.parseLong(winnerSize));
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void givenManyConcurrentSubmissionsFromSizeZero_thenOneIsCosignedAndTheRestConflict() throws Exception {
        Fixture.Tree log = new Fixture.Tree(Fixture.TENANTS + "crowd").grow(16);
        int n = 8;
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            long size = i * 2L;
            sent.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return post(witness, log.request(0, size));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        go.countDown();
        long ok = 0;
        for (CompletableFuture<HttpResponse<String>> f : sent) {
            int status = f.get().statusCode();
            assertThat(status).isIn(200, 409);
            ok += status == 200 ? 1 : 0;
        }
        assertThat(ok).isEqualTo(1);
    }

    /**
     * The first submissions for a new origin race to create its row. The origin and its hash are both unique, so the
     * row's insert must give way on either (a conflict on the hash alone used to fail the loser with 503).
     */
    @Test
    void givenFirstSubmissionsForManyNewOriginsAtOnce_thenNoneFailsOnTheDatabase() throws Exception {
        int origins = 100;
        int each = WitnessServer.THREADS;
        ExecutorService pool = Executors.newFixedThreadPool(each);
        try {
            for (int o = 0; o < origins; o++) {
                Fixture.Tree log = new Fixture.Tree(Fixture.TENANTS + "first-" + o).grow(each);
                CountDownLatch go = new CountDownLatch(1);
                List<Future<HttpResponse<String>>> sent = new ArrayList<>();
                for (int i = 1; i <= each; i++) {
                    long size = i;
                    sent.add(pool.submit(() -> {
                        go.await();
                        return post(witness, log.request(0, size));
                    }));
                }
                go.countDown();
                long ok = 0;
                for (Future<HttpResponse<String>> f : sent) {
                    HttpResponse<String> r = f.get();
                    assertThat(r.statusCode()).as("origin %d: %s", o, r.body()).isIn(200, 409);
                    ok += r.statusCode() == 200 ? 1 : 0;
                }
                assertThat(ok).as("origin %d", o).isEqualTo(1);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static long storedSize(Statement s, String origin) throws Exception {
        try (ResultSet rs = s.executeQuery("select size from witness_checkpoint where origin = '" + origin + "'")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
