package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariDataSource;
import dev.ledger.api.LedgerClient.Answer;
import dev.ledger.api.read.ReadPool;
import dev.ledger.core.messages.LedgerJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Issue 11 items 15 and 17, as an auditor and a governance platform would notice them: long reads (exports read slowly
 * by their clients, verifications in a loop) never make another tenant's append wait, reads beyond the limits are
 * answered 429 problem+json with Retry-After, and an export paused past the async request timeout (30 s by default,
 * {@value #ASYNC_TIMEOUT_MS} ms here so that the test need not wait half a minute) still arrives whole, ending with its
 * closing line.
 */
class ReadIsolationTest {

    private static final int TENANTS = 4;
    private static final int EXPORTS_PER_TENANT = 4;
    private static final long ASYNC_TIMEOUT_MS = 5_000;
    private static final int ENTRIES = 20_000; // ~16 MB of bundle each: far more than the socket buffers hold

    @Test
    void givenSixteenSlowExportsAndVerificationLoopsWhenAnotherTenantWritesThenEachWriteAnswersInUnderASecond() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String run = UUID.randomUUID().toString().substring(0, 6);
        try (RunningLedger ledger = RunningLedger.start(infra, Map.of("ledger.read.pool-size", 16,
                "ledger.read.tenant-long-reads", EXPORTS_PER_TENANT, "spring.mvc.async.request-timeout", ASYNC_TIMEOUT_MS + "ms"))) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            List<String> exported = new ArrayList<>();
            for (int t = 0; t < TENANTS; t++) {
                String tenant = "read-" + run + "-" + t;
                assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", tenant)).status()).isEqualTo(201);
                LargeTenantRows.append(infra.postgres.jdbcUrl(), tenant, ENTRIES);
                exported.add(tenant);
            }
            String scanned = "read-" + run + "-verified";
            admin.post("/v1/tenants", Map.of("tenant_id", scanned, "name", scanned));
            LargeTenantRows.append(infra.postgres.jdbcUrl(), scanned, 60_000);
            String writerTenant = "read-" + run + "-writer";
            admin.post("/v1/tenants", Map.of("tenant_id", writerTenant, "name", writerTenant));
            LedgerClient writer = admin.withKey(admin.post("/v1/tenants/" + writerTenant + "/api-keys",
                    Map.of("scopes", List.of("evaluations:write"))).body().get("key").asText());
            assertThat(writer.post("/v1/evaluations", LedgerClient.evaluation("ev_warm"), "warm").status()).isEqualTo(201);
            awaitPublisherIdle(ledger);

            // given 16 exports, 4 per tenant, whose clients read the first bytes and then stop reading for 32 s
            CountDownLatch started = new CountDownLatch(TENANTS * EXPORTS_PER_TENANT);
            CountDownLatch resume = new CountDownLatch(1);
            List<SlowExport> exports = Collections.synchronizedList(new ArrayList<>());
            List<Thread> readers = new ArrayList<>();
            for (String tenant : exported) {
                for (int i = 0; i < EXPORTS_PER_TENANT; i++) {
                    SlowExport export = new SlowExport(ledger.url(), tenant);
                    exports.add(export);
                    readers.add(Thread.ofPlatform().start(() -> export.run(started, resume)));
                }
            }
            long pausedAt = System.nanoTime();
            boolean allStarted = started.await(20, TimeUnit.SECONDS);

            // and auditors verifying another large tenant in a loop
            AtomicBoolean stop = new AtomicBoolean();
            Map<Integer, Integer> verificationStatuses = new ConcurrentHashMap<>();
            List<Thread> auditors = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                auditors.add(Thread.ofPlatform().start(() -> {
                    while (!stop.get()) {
                        Answer a = admin.post("/v1/tenants/" + scanned + "/verifications", Map.of());
                        verificationStatuses.merge(a.status(), 1, Integer::sum);
                        if (a.status() == 429) {
                            sleep(250);
                        }
                    }
                }));
            }
            awaitExportsWaitingToWrite(TENANTS * EXPORTS_PER_TENANT); // their scans hold until the clients read

            // when another tenant writes, one append every 400 ms
            List<Long> latencies = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                long t0 = System.nanoTime();
                Answer w = writer.post("/v1/evaluations", LedgerClient.evaluation("ev_" + i), "w-" + i);
                latencies.add((System.nanoTime() - t0) / 1_000_000);
                assertThat(w.status()).as(w.raw().body()).isEqualTo(201);
                sleep(400);
            }
            // a fifth export of a tenant already exporting four is refused at once
            Answer fifth = admin.get("/v1/tenants/" + exported.get(0) + "/export");
            stop.set(true);
            for (Thread a : auditors) {
                a.join(60_000);
            }
            System.out.println("write latencies (ms) during 16 slow exports and 8 verification loops: " + latencies
                    + "; verification answers by status: " + verificationStatuses);

            // then every write answered in under a second
            assertThat(allStarted).as("all 16 exports started streaming").isTrue();
            assertThat(Collections.max(latencies)).as("slowest write, ms").isLessThan(1000);
            assertThat(fifth.status()).isEqualTo(429);
            assertThat(fifth.code()).isEqualTo("long_read_limited");
            assertThat(fifth.header("Content-Type")).startsWith("application/problem+json");
            assertThat(fifth.header("Retry-After")).matches("[1-9][0-9]*");
            assertThat(verificationStatuses).containsKey(429);

            // and the exports, paused past the async timeout, then read to the end, arrive whole
            long pausedMs = (System.nanoTime() - pausedAt) / 1_000_000;
            if (pausedMs < ASYNC_TIMEOUT_MS + 2_000) {
                sleep(ASYNC_TIMEOUT_MS + 2_000 - pausedMs);
            }
            resume.countDown();
            for (Thread r : readers) {
                r.join(120_000);
            }
            for (SlowExport export : exports) {
                assertThat(export.status).as(export.tenant).isEqualTo(200);
                assertThat(export.failure).as(export.tenant).isNull();
                JsonNode end = LedgerJson.mapper().readTree(export.lastLine);
                assertThat(end.path("kind").asText()).as("last line of " + export.tenant + ": " + export.lastLine).isEqualTo("end");
                assertThat(end.path("entries").asLong()).isEqualTo(ENTRIES + 1);
                assertThat(end.path("head_sequence").asLong()).isEqualTo(ENTRIES + 1);
                assertThat(export.lines).isGreaterThanOrEqualTo(ENTRIES + 1 + 3L); // header, key(s), checkpoints, entries, closing line
            }
        }
    }

    @Test
    void givenALongScanWhenTheSameTenantReadsAgainThenItsReadBudgetRefusesWithRetryAfterWhileOtherTenantsRead() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String run = UUID.randomUUID().toString().substring(0, 6);
        // a read budget of 20 units, refilled at 1 a second; a long read costs 1 per 100 entries it scans
        try (RunningLedger ledger = RunningLedger.start(infra, Map.of("ledger.read.cost-burst", 20,
                "ledger.read.cost-per-second", 1, "ledger.read.entries-per-cost", 100))) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String big = "readcost-" + run + "-big";
            String other = "readcost-" + run + "-other";
            admin.post("/v1/tenants", Map.of("tenant_id", big, "name", big));
            admin.post("/v1/tenants", Map.of("tenant_id", other, "name", other));
            LargeTenantRows.append(infra.postgres.jdbcUrl(), big, 1_999); // 2,000 entries: a scan costs 20
            // given ten cheap reads, which cost 1 each
            for (int i = 0; i < 10; i++) {
                assertThat(admin.get("/v1/tenants/" + big + "/entries?limit=10").status()).isEqualTo(200);
            }
            // when a full scan would cost 20 of the 10 left
            Answer scan = admin.post("/v1/tenants/" + big + "/verifications", Map.of());
            // then it is refused with the read budget's code and a Retry-After
            assertThat(scan.status()).as(scan.raw().body()).isEqualTo(429);
            assertThat(scan.code()).isEqualTo("read_rate_limited");
            assertThat(scan.header("Content-Type")).startsWith("application/problem+json");
            assertThat(Long.parseLong(scan.header("Retry-After"))).isBetween(1L, 20L);
            // while a cheap read of the same tenant, and any read of another, still goes through
            assertThat(admin.get("/v1/tenants/" + big + "/entries?limit=10").status()).isEqualTo(200);
            Answer otherScan = admin.post("/v1/tenants/" + other + "/verifications", Map.of());
            assertThat(otherScan.status()).isEqualTo(200);
            assertThat(otherScan.body().path("status").asText()).isEqualTo("VALID");
        }
    }

    @Test
    void givenTheDefaultSettingsThenAppendsAndScansUseSeparatePoolsBuiltFromTheSameDatabaseSettings() {
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get())) {
            var context = ledger.context();
            HikariDataSource primary = (HikariDataSource) context.getBean(DataSource.class);
            HikariDataSource reads = context.getBean(ReadPool.NAME, HikariDataSource.class);
            // the write pool keeps every spring.datasource.hikari.* setting
            assertThat(primary.getMaximumPoolSize()).isEqualTo(16);
            assertThat(primary.getDataSourceProperties()).containsEntry("reWriteBatchedInserts", "true");
            assertThat(context.getBean(JdbcTemplate.class).getDataSource()).isSameAs(primary);
            // the read pool: its own size, read-only, the same URL, login and session set-up
            assertThat(reads).isNotSameAs(primary);
            assertThat(reads.getPoolName()).isEqualTo("ledger-read");
            assertThat(reads.getMaximumPoolSize()).isEqualTo(8 + ReadPool.CHEAP_READ_CONNECTIONS);
            assertThat(reads.isReadOnly()).isTrue();
            assertThat(reads.getJdbcUrl()).isEqualTo(primary.getJdbcUrl());
            assertThat(reads.getUsername()).isEqualTo(primary.getUsername());
            assertThat(reads.getConnectionInitSql()).isEqualTo(primary.getConnectionInitSql());
        }
    }

    /** An export whose client reads its first bytes, stops reading until told, then reads the rest. */
    private static final class SlowExport {
        final String base;
        final String tenant;
        volatile int status;
        volatile String lastLine;
        volatile long lines;
        volatile Exception failure;

        SlowExport(String base, String tenant) {
            this.base = base;
            this.tenant = tenant;
        }

        void run(CountDownLatch started, CountDownLatch resume) {
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create(base + "/v1/tenants/" + tenant + "/export").toURL().openConnection();
                c.setRequestProperty("Authorization", "Bearer " + RunningLedger.ADMIN_KEY);
                c.setReadTimeout(120_000);
                status = c.getResponseCode();
                try (InputStream in = status == 200 ? c.getInputStream() : c.getErrorStream()) {
                    LineCounter counter = new LineCounter();
                    byte[] buf = new byte[8192];
                    int n = in.read(buf);
                    counter.feed(buf, Math.max(n, 0));
                    started.countDown();
                    resume.await();
                    while ((n = in.read(buf)) > 0) {
                        counter.feed(buf, n);
                    }
                    lines = counter.lines;
                    lastLine = counter.last();
                }
            } catch (Exception e) {
                failure = e;
                started.countDown();
            }
        }
    }

    /** Counts lines and keeps the last one, without holding the body. */
    private static final class LineCounter {
        long lines;
        final ByteArrayOutputStream current = new ByteArrayOutputStream();
        String previous = "";

        void feed(byte[] b, int n) {
            for (int i = 0; i < n; i++) {
                if (b[i] == '\n') {
                    lines++;
                    previous = current.toString(StandardCharsets.UTF_8);
                    current.reset();
                } else {
                    current.write(b[i]);
                }
            }
        }

        String last() {
            return current.size() > 0 ? current.toString(StandardCharsets.UTF_8) : previous;
        }
    }

    /** Until the Kafka publisher has published every committed entry (it must within two minutes). */
    private static void awaitPublisherIdle(RunningLedger ledger) {
        var publisher = ledger.context().getBean(dev.ledger.api.chain.EntryPublisher.class);
        Await.until(publisher::caughtUp, Duration.ofMinutes(2), () -> "the publisher to catch up");
    }

    /**
     * Until {@code n} request threads are inside an export and waiting in Tomcat's socket write: their sockets'
     * buffers are full (the clients stopped reading), so each export waits for its client, inside its scan.
     */
    private static void awaitExportsWaitingToWrite(int n) {
        long start = System.nanoTime();
        Await.until(() -> exportsWaiting() >= n, Duration.ofMinutes(1),
                () -> "exports waiting on their clients: " + exportsWaiting() + " of " + n);
        System.out.println(n + " exports waiting on their clients after " + (System.nanoTime() - start) / 1_000_000
                + " ms");
    }

    private static long exportsWaiting() {
        String controller = dev.ledger.api.checkpoint.CheckpointController.class.getName();
        return Thread.getAllStackTraces().entrySet().stream()
                .filter(t -> t.getKey().getState() == Thread.State.WAITING
                        || t.getKey().getState() == Thread.State.TIMED_WAITING)
                .filter(t -> java.util.Arrays.stream(t.getValue())
                        .anyMatch(f -> f.getClassName().equals(controller) && f.getMethodName().equals("export")))
                .filter(t -> java.util.Arrays.stream(t.getValue()).anyMatch(f -> f.getMethodName().equals("doWrite")
                        && f.getClassName().startsWith("org.apache.tomcat.util.net.")))
                .count();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
