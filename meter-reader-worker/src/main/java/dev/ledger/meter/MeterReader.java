package dev.ledger.meter;

import java.sql.SQLException;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meter-reader, runnable in-process: {@code try (MeterReader r = MeterReader.start(config)) { … }}. It consumes
 * {@code ledger.entries}, re-verifies every tenant's chain, sums billable units into usage windows, reports each
 * closed window to Stripe as one meter event and writes it back to the ledger.
 */
public final class MeterReader implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MeterReader.class);

    private final MeterReaderStore store;
    private final MeterReaderMetrics metrics;
    private final EntryConsumer consumer;
    private final MeterReporter reporter;
    private final Thread consumerThread;
    private final Thread reporterThread;
    private final Admin admin;
    private final ProbeServer probes;

    private MeterReader(MeterReaderConfig config) {
        this.store = MeterReaderStore.open(config);
        this.metrics = new MeterReaderMetrics();
        this.consumer = new EntryConsumer(config, store, metrics);
        StripeMeters stripe = new StripeMeters(config, metrics);
        MeterEventStream stream = config.meterEvents() == MeterEventsMode.V2
                ? new MeterEventStream(config, stripe, metrics, Clock.systemUTC()) : null;
        this.reporter = new MeterReporter(store, stripe, stream, new LedgerWriteBack(config, metrics), metrics,
                new Backoff(config.retryBase(), config.retryMax()), consumer::ownedPartitions);
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers(),
                AdminClientConfig.CLIENT_ID_CONFIG, "meter-reader-readiness"));
        this.consumerThread = new Thread(consumer, "meter-reader-consumer");
        this.reporterThread = new Thread(reporter, "meter-reader-reporter");
        try {
            this.probes = ProbeServer.start(config.httpPort(), this::isHealthy, this::isReady, this::scrape,
                    new ParkedWindows(store, metrics, config.adminToken()));
        } catch (RuntimeException e) {
            admin.close();
            store.close();
            throw e;
        }
        consumerThread.start();
        reporterThread.start();
        log.info("meter-reader started: {}", config);
    }

    /** Migrates its tables, starts consuming and reporting, and serves /health, /ready, /metrics and /parked. */
    public static MeterReader start(MeterReaderConfig config) {
        return new MeterReader(config);
    }

    /** The consumer and the reporter are running. */
    public boolean isHealthy() {
        return consumerThread.isAlive() && consumer.healthy() && reporterThread.isAlive();
    }

    /** Its database and Kafka answer. */
    public boolean isReady() {
        if (!store.reachable()) {
            return false;
        }
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(2_000)).clusterId().get(3, TimeUnit.SECONDS);
            return true;
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return false;
        }
    }

    /** The port /health, /ready and /metrics listen on (useful with port 0). */
    public int port() {
        return probes.port();
    }

    /** Prometheus text; window and broken-chain gauges are read fresh from the database. */
    public String scrape() {
        try {
            metrics.windows(store.windowCounts());
            metrics.brokenChains(store.brokenChains());
        } catch (SQLException e) {
            log.debug("gauges not refreshed: {}", e.getMessage());
        }
        return metrics.scrape();
    }

    @Override
    public void close() {
        reporter.stop();
        consumer.stop();
        join(reporterThread);
        join(consumerThread);
        probes.close();
        admin.close();
        store.close();
        log.info("meter-reader stopped");
    }

    private static void join(Thread t) {
        try {
            t.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
