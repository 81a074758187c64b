package dev.ledger.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.stripe.StripeClient;
import com.stripe.model.billing.Meter;
import com.stripe.model.billing.MeterEventSummary;
import com.stripe.param.billing.MeterEventSummaryListParams;
import com.stripe.param.billing.MeterListParams;
import dev.ledger.api.LedgerClient.Answer;
import dev.ledger.api.LedgerClient;
import dev.ledger.api.MovableClock;
import dev.ledger.api.RunningLedger;
import dev.ledger.api.SharedInfrastructure;
import dev.ledger.invoice.InvoiceWorker;
import dev.ledger.invoice.InvoiceWorkerConfig;
import dev.ledger.meter.MeterReader;
import dev.ledger.meter.MeterReaderConfig;
import dev.ledger.meter.MeterReaderPolicy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The walking skeleton, end to end on real PostgreSQL, Kafka and the Stripe emulator: tenant and key, 100
 * evaluations with chained receipts, and the same 100 units visible in Stripe's meter event summaries.
 */
class EndToEndTest {

    private static final Duration WINDOW = Duration.ofSeconds(20);
    private static final Duration IDLE_CLOSE = Duration.ofSeconds(2);

    @Test
    void evaluationsPostedToTheApiArriveAsUsageInStripe() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String topic = "e2e.entries." + System.nanoTime();
        // one clock for the ledger (its recorded_at decides an entry's usage window) and the meter-reader (its clock
        // closes windows): the test moves it instead of waiting for windows to pass
        MovableClock clock = new MovableClock();
        // checkpoints every 2 s of a chain with new entries (default 60 s): the worker's witness answers "holds" only for
        // a checkpoint of the head it has read, so the ledger must sign the quiet head within the test's wait; with
        // the default the wait passed or not by how far the clock happened to be moved to a window boundary
        try (RunningLedger ledger = RunningLedger.start(infra, Map.of("ledger.entries-topic", topic,
                "ledger.checkpoint.interval", "2s"), clock)) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String serviceKey = admin.post("/v1/service-keys", Map.of()).body().get("key").asText();
            Map<String, String> env = new HashMap<>();
            env.put("DATABASE_URL", infra.postgres.jdbcUrl());
            env.put("KAFKA_BOOTSTRAP_SERVERS", infra.kafka.bootstrapServers());
            env.put("STRIPE_API_BASE", infra.stripe.url());
            env.put("LEDGER_API_URL", ledger.url());
            env.put("LEDGER_SERVICE_KEY", serviceKey);
            env.put("METER_READER_PORT", "0");
            env.put("METER_READER_TOPIC", topic);
            env.put("METER_WINDOW_SECONDS", Long.toString(WINDOW.toSeconds()));
            env.put("METER_IDLE_CLOSE_SECONDS", Long.toString(IDLE_CLOSE.toSeconds()));
            env.put("METER_READER_CHECKPOINT_SECONDS", "2");
            env.put("INVOICE_WORKER_PORT", "0");
            env.put("INVOICE_WORKER_TOPIC", topic);
            try (var meterReader = MeterReader.start(MeterReaderConfig.fromEnv(env), MeterReaderPolicy.fromEnv(env), clock);
                 var invoiceWorker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(env))) {

                String tenant = "e2e-" + System.nanoTime() % 100000;
                assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "End to End")).status()).isEqualTo(201);
                // a tenant registered without a Stripe customer gets one, and the ledger shows it
                String customer = eventually(Duration.ofSeconds(60), () -> {
                    String c = admin.get("/v1/tenants/" + tenant).body().path("stripe_customer_id").asText(null);
                    return c == null || c.isEmpty() ? null : c;
                });
                assertThat(customer).startsWith("cus_");

                Answer key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write")));
                LedgerClient client = admin.withKey(key.body().get("key").asText());

                // start at a window boundary, so no usage report is written back into this chain while we post
                clock.advance(Duration.ofMillis(WINDOW.toMillis() - clock.millis() % WINDOW.toMillis() + 200));
                List<Answer> receipts = new ArrayList<>();
                for (int i = 0; i < 100; i++) {
                    Answer r = client.post("/v1/evaluations", LedgerClient.evaluation("ev_" + i), "e2e-" + i);
                    assertThat(r.status()).isEqualTo(201);
                    receipts.add(r);
                }
                for (int i = 1; i < receipts.size(); i++) {
                    assertThat(seq(receipts.get(i))).isEqualTo(seq(receipts.get(i - 1)) + 1);
                    assertThat(receipts.get(i).body().get("prev_hash").asText()).isEqualTo(receipts.get(i - 1).body().get("hash").asText());
                }


                // once the ledger has published them all (an entry reaching the worker after its window closed would count
                // in the next window), the window is over and idle: the meter-reader closes it and reports it at once
                long last = seq(receipts.get(receipts.size() - 1));
                eventually(Duration.ofSeconds(30), () -> published(infra, tenant) >= last ? Boolean.TRUE : null);
                clock.advance(WINDOW.plus(IDLE_CLOSE));

                StripeClient stripe = StripeClient.builder().setApiKey("sk_test_e2e").setApiBase(infra.stripe.url())
                        .setMeterEventsBase(infra.stripe.url()).build();
                long total = eventually(Duration.ofSeconds(90), () -> {
                    long sum = summaryTotal(stripe, customer);
                    return sum == 100 ? sum : null;
                });
                assertThat(total).isEqualTo(100);
                assertThat(meterReader.isHealthy()).isTrue();
                // the worker witnessed the chain it billed against the ledger's signed checkpoints, with its service key
                String metrics = eventually(Duration.ofSeconds(30), () -> {
                    String m = get(meterReader.port(), "/metrics");
                    return m.lines().anyMatch(l -> l.startsWith("meter_reader_checkpoints_total{outcome=\"holds\"}")) ? m : null;
                });
                assertThat(metrics.lines().filter(l -> l.startsWith("meter_reader_checkpoints_total{outcome=\"unavailable\"}")))
                        .as("every checkpoint fetch succeeded").isEmpty();
                assertThat(status(invoiceWorker.port())).isEqualTo(200);

                // every metric the alert rules and the dashboards query is served by one of the three services
                String api = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ledger.url() + "/actuator/prometheus"))
                        .build(), HttpResponse.BodyHandlers.ofString()).body();
                MetricsCatalog.assertEveryQueriedMetricIsServed(Map.of("ledger-api", api, "meter-reader", get(meterReader.port(), "/metrics"),
                        "invoice-worker", get(invoiceWorker.port(), "/metrics")));
            }
        }
    }

    private static long seq(Answer a) {
        return a.body().get("sequence").asLong();
    }

    /** The highest sequence of the tenant's chain the ledger's publisher has passed to Kafka (0: none). */
    private static long published(SharedInfrastructure infra, String tenant) {
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl());
             PreparedStatement ps = c.prepareStatement("select sequence from publication_head where tenant_id = ?")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        } catch (SQLException e) {
            return 0;
        }
    }

    private static long summaryTotal(StripeClient stripe, String customer) {
        try {
            long sum = 0;
            for (Meter meter : stripe.v1().billing().meters().list(MeterListParams.builder().build()).getData()) {
                if (!"evaluations".equals(meter.getEventName())) {
                    continue;
                }
                long now = Instant.now().getEpochSecond() / 60 * 60 + 120;
                for (MeterEventSummary s : stripe.v1().billing().meters().eventSummaries().list(meter.getId(),
                        MeterEventSummaryListParams.builder().setCustomer(customer).setStartTime(now - 3600 * 24)
                                .setEndTime(now).build()).getData()) {
                    sum += s.getAggregatedValue().longValue();
                }
            }
            return sum;
        } catch (Exception e) {
            return -1;
        }
    }

    private static String get(int port, String path) {
        try {
            return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }

    private static int status(int port) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ready")).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    static <T> T eventually(Duration timeout, Supplier<T> probe) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            LockSupport.parkNanos(250_000_000L);
        }
        throw new AssertionError("not within " + timeout.toSeconds() + " s");
    }
}
