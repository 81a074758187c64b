package dev.ledger.meter;

import dev.ledger.follower.ChainFollower;
import dev.ledger.follower.ProbeServer;
import java.sql.SQLException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
    /** Entries of one tenant that may wait for a missing predecessor (one more breaks its chain). */
    static final int MAX_HELD_PER_TENANT = 100_000;

    private final MeterReaderStore store;
    private final MeterReaderMetrics metrics;
    private final List<ChainFollower<MeterReading.Billed>> consumers = new ArrayList<>();
    private final MeterReporter reporter;
    private final List<Thread> consumerThreads = new ArrayList<>();
    private final Thread reporterThread;
    private final CheckpointWitness witness;
    private final StripeErrorReports errorReports;
    private final Thread errorReportThread;
    /** Null when checkpoints are not fetched (METER_READER_CHECKPOINT_SECONDS=0). */
    private final Thread witnessThread;
    private final Admin admin;
    private final ProbeServer probes;

    private MeterReader(MeterReaderConfig config, MeterReaderPolicy policy, Clock clock) {
        this.store = MeterReaderStore.open(config);
        this.metrics = new MeterReaderMetrics();
        LedgerWriteBack ledger = new LedgerWriteBack(config, metrics);
        CheckpointWitness witness = new CheckpointWitness(ledger, store, metrics, policy.checkpointInterval(), clock);
        MeterReading reading = new MeterReading(store, metrics,
                new UsageWindowing(config.windowLength(), config.idleClose(), clock));
        // one transaction (and one commit flush) per poll: large polls keep the per-entry database cost small; the
        // chain positions share the tenant's row with what the meter-reader keeps of it
        ChainFollower.Settings follow = new ChainFollower.Settings("meter-reader", "meter_reader",
                config.kafkaBootstrapServers(), config.topic(), config.consumerGroup(), config.kafkaSecurity(),
                config.gapWait(), MAX_HELD_PER_TENANT, config.maxPollRecords(), ChainFollower.RetentionLoss.STOP,
                "meter_reader_tenant", Math.max(1, Runtime.getRuntime().availableProcessors() / config.consumers()),
                config.sessionTimeout());
        for (int i = 1; i <= config.consumers(); i++) {
            // Several consumers of the group in one process: each has its own fetch in flight, pipeline and
            // transactions on its own partitions (a single consumer waited on the broker for a third of its time).
            consumers.add(new ChainFollower<>(follow, store.dataSource(), reading, clock, metrics.registry));
        }
        StripeMeters stripe = new StripeMeters(config, policy, metrics);
        MeterEventStream stream = config.meterEvents() == MeterEventsMode.V2
                ? new MeterEventStream(config, stripe, metrics, clock) : null;
        this.reporter = new MeterReporter(store, stripe, stream, ledger, metrics,
                new Backoff(config.retryBase(), config.retryMax()), this::ownedPartitions, clock,
                new WindowReconciler(stripe, store, metrics, policy.reconcileAfter()), policy.requireCheckpoint());
        this.admin = Admin.create(config.kafkaSecurity().with(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers(),
                AdminClientConfig.CLIENT_ID_CONFIG, "meter-reader-readiness")));
        for (int i = 0; i < consumers.size(); i++) {
            consumerThreads.add(new Thread(consumers.get(i), "meter-reader-consumer-" + (i + 1)));
        }
        this.reporterThread = new Thread(reporter, "meter-reader-reporter");
        this.witness = witness;
        witness.ownedPartitions(this::ownedPartitions);
        this.witnessThread = witness.enabled() ? new Thread(witness, "meter-reader-checkpoints") : null;
        this.errorReports = new StripeErrorReports(stripe.client(), store, metrics, policy.errorReportInterval(), clock);
        this.errorReportThread = errorReports.enabled() ? new Thread(errorReports, "meter-reader-error-reports") : null;
        try {
            this.probes = ProbeServer.start("meter-reader", policy.probeBindAddress(), config.httpPort(), this::isHealthy, this::isReady,
                    this::scrape, java.util.Map.of("/parked", new ParkedWindows(store, metrics, config.adminToken())));
        } catch (RuntimeException e) {
            admin.close();
            store.close();
            throw e;
        }
        consumerThreads.forEach(Thread::start);
        reporterThread.start();
        if (witnessThread != null) {
            witnessThread.setDaemon(true);
            witnessThread.start();
        }
        if (errorReportThread != null) {
            errorReportThread.setDaemon(true);
            errorReportThread.start();
        }
        log.info("meter-reader started: {}; meters {}, probes on {}, checkpoints every {}, reconcile after {}", config,
                policy.allowedMeters(), policy.probeBindAddress().getHostAddress(), policy.checkpointInterval(),
                policy.reconcileAfter());
    }

    /** Migrates its tables, starts consuming and reporting, and serves /health, /ready, /metrics and /parked. */
    public static MeterReader start(MeterReaderConfig config) {
        return start(config, MeterReaderPolicy.defaults(), Clock.systemUTC());
    }

    /** With the deployment's policy, and the one clock every decision of the worker reads (tests move it). */
    public static MeterReader start(MeterReaderConfig config, MeterReaderPolicy policy, Clock clock) {
        return new MeterReader(config, policy, clock);
    }

    /** Every consumer and the reporter are running. */
    public boolean isHealthy() {
        return consumerThreads.stream().allMatch(Thread::isAlive) && consumers.stream().allMatch(ChainFollower::healthy)
                && reporterThread.isAlive();
    }

    /** Each consumer's last housekeeping as it saw it (see {@link ChainFollower#describe()}). */
    public List<String> describeConsumers() {
        return consumers.stream().map(ChainFollower::describe).toList();
    }

    /** The partitions this process's consumers hold now: only their tenants' windows are closed and reported here. */
    private Set<Integer> ownedPartitions() {
        Set<Integer> owned = new HashSet<>();
        consumers.forEach(c -> owned.addAll(c.ownedPartitions()));
        return owned;
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
            metrics.stoppedTenants(store.stoppedTenants());
        } catch (SQLException e) {
            log.debug("gauges not refreshed: {}", e.getMessage());
        }
        return metrics.scrape();
    }

    @Override
    public void close() {
        reporter.stop();
        witness.stop();
        errorReports.stop();
        consumers.forEach(ChainFollower::stop);
        join(reporterThread);
        if (witnessThread != null) {
            join(witnessThread);
        }
        if (errorReportThread != null) {
            join(errorReportThread);
        }
        consumerThreads.forEach(MeterReader::join);
        probes.close();
        admin.close();
        store.close();
        log.info("meter-reader stopped");
    }

    /** Error class and message only: never a stack trace or statement in the log line. */
    static String describe(Throwable e) {
        return e.getClass().getSimpleName() + ": " + e.getMessage();
    }

    private static void join(Thread t) {
        try {
            t.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
