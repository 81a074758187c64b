package dev.ledger.invoice;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import dev.ledger.core.config.DatabaseUrl;
import dev.ledger.follower.ChainFollower;
import dev.ledger.follower.ProbeServer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The invoice-worker as it stands: follows {@code ledger.entries} (group {@code invoice-worker}) with the shared
 * {@link ChainFollower}, which re-verifies every tenant's chain and keeps offsets, chain positions and the worker's
 * usage per invoice period in its own database, in one transaction per poll: after a restart it resumes after its
 * stored position. It projects Stripe's invoices from the chain's StripeEventRecorded entries ({@link InvoiceProjection})
 * and keeps dunning's view of each tenant ({@link DunningView}); with the ledger's API configured, {@link DunningPass}
 * moves tenants PAST_DUE, SUSPENDED and ACTIVE again through it as their payments fail and succeed, and with Stripe
 * configured {@link StripeReconciliation} submits the invoice events whose webhook never came and {@link InvoiceWitness}
 * witnesses (or holds) each draft subscription invoice before Stripe finalizes it.
 */
public final class InvoiceWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InvoiceWorker.class);
    private static final int MAX_POLL_RECORDS = 2_000;

    private final HikariDataSource database;
    private final Admin admin;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ChainFollower<InvoiceEntries.Prepared> follower;
    private final Thread thread;
    private final ProbeServer probes;
    private final Scheduler scheduler;

    /**
     * The views the worker keeps of the entries that concern them, one entry at a time in the follower's transaction:
     * invoices, then dunning's view of the tenant. Usage is summed per poll ({@link InvoiceEntries}).
     */
    static ChainFollower.Worker entries(Clock clock) {
        InvoiceProjection invoices = new InvoiceProjection();
        DunningView dunning = new DunningView(clock);
        return (entry, transaction) -> {
            invoices.onVerified(entry, transaction);
            dunning.onVerified(entry, transaction);
        };
    }

    private InvoiceWorker(InvoiceWorkerConfig config, InetAddress probeBind, Clock clock) {
        this.database = open(config);
        try {
            this.follower = new ChainFollower<>(new ChainFollower.Settings("invoice-worker", "invoice_worker",
                    config.kafkaBootstrapServers(), config.topic(), config.consumerGroup(), config.kafkaSecurity(),
                    config.gapWait(), config.maxHeldPerTenant(), MAX_POLL_RECORDS, ChainFollower.RetentionLoss.RESUME,
                    "invoice_worker_chain", 1, config.sessionTimeout()), database,
                    new InvoiceEntries(InvoiceWorker.entries(clock)), clock, registry);
            this.admin = Admin.create(config.kafkaSecurity().with(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
                    config.kafkaBootstrapServers(), AdminClientConfig.CLIENT_ID_CONFIG, "invoice-worker-readiness")));
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        this.thread = new Thread(follower, "invoice-worker-consumer");
        try {
            this.probes = ProbeServer.start("invoice-worker", probeBind, config.httpPort(), this::isHealthy, this::isReady,
                    registry::scrape, Map.of());
        } catch (RuntimeException e) {
            admin.close();
            database.close();
            throw e;
        }
        Scheduler tasks = null;
        if (config.dunning()) {
            try {
                tasks = scheduler(config, clock);
            } catch (RuntimeException e) {
                probes.close();
                admin.close();
                database.close();
                throw e;
            }
        }
        this.scheduler = tasks;
        thread.start();
        if (scheduler != null) {
            scheduler.start();
        }
        log.info("invoice-worker started: {}, probes on {}:{}", config, probeBind.getHostAddress(), probes.port());
    }

    /**
     * db-scheduler on the worker's database and clock, one thread: dunning's grace ends and its pass, and with Stripe
     * configured the reconciliation and witness passes. Executions live in {@code invoice_worker_scheduled_tasks}, so they survive
     * restarts and run on one worker of a group.
     */
    private Scheduler scheduler(InvoiceWorkerConfig config, Clock clock) {
        LedgerCalls ledger = new LedgerCalls(config.ledgerApiUrl(), config.ledgerServiceKey());
        DunningPass dunning = new DunningPass(database, new DunningPolicy(config.gracePolicy()), ledger, clock,
                config.dunningInterval(), registry);
        List<RecurringTask<?>> recurring = new ArrayList<>(List.of(dunning.passTask()));
        if (config.reconciles()) {
            com.stripe.StripeClient stripe = StripeReconciliation.client(config.stripeApiKey(), config.stripeApiBase());
            StripeReconciliation reconciliation = new StripeReconciliation(database, stripe, ledger, clock, registry);
            recurring.add(Tasks.recurring("invoice-worker-reconcile-pass", FixedDelay.of(config.reconcileInterval()))
                    .execute((instance, context) -> reconciliation.run()));
            InvoiceWitness witness = new InvoiceWitness(database, stripe, ledger, clock, registry);
            recurring.add(Tasks.recurring("invoice-worker-witness-pass", FixedDelay.of(config.dunningInterval()))
                    .execute((instance, context) -> witness.run()));
        }
        return Scheduler.create(database, dunning.graceEndTask()).startTasks(recurring).tableName("invoice_worker_scheduled_tasks")
                .clock(clock::instant).pollingInterval(config.dunningInterval()).threads(1)
                .shutdownMaxWait(Duration.ofSeconds(10)).build();
    }

    /** A small pool on its own login, its tables migrated first (as the owner when one is configured). */
    private static HikariDataSource open(InvoiceWorkerConfig config) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(config.database().jdbcUrl());
        if (config.database().user() != null) {
            hc.setUsername(config.database().user());
        }
        if (config.database().password() != null) {
            hc.setPassword(config.database().password());
        }
        hc.setPoolName("invoice-worker");
        hc.setMaximumPoolSize(config.dunning() ? 5 : 3); // dunning: db-scheduler polls and runs its pass beside the follower
        hc.setConnectionTimeout(5_000);
        HikariDataSource ds = new HikariDataSource(hc);
        try {
            // Own history table, baseline 0: the database may already carry the API's and the meter-reader's.
            DatabaseUrl owner = config.migrationDatabase();
            var flyway = owner == null ? Flyway.configure().dataSource(ds)
                    : Flyway.configure().dataSource(owner.jdbcUrl(), owner.user(), owner.password());
            flyway.locations("classpath:db/invoice-worker").table("flyway_invoice_worker_history")
                    .baselineOnMigrate(true).baselineVersion("0").load().migrate();
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return ds;
    }

    /** Probes on loopback, the system clock. */
    public static InvoiceWorker start(InvoiceWorkerConfig config) {
        return start(config, InetAddress.getLoopbackAddress());
    }

    /** {@code probeBind}: where the probe port listens (INVOICE_WORKER_BIND_ADDRESS, see {@link ProbeServer#bindAddress}). */
    public static InvoiceWorker start(InvoiceWorkerConfig config, InetAddress probeBind) {
        return start(config, probeBind, Clock.systemUTC());
    }

    /** {@code clock}: the worker's one clock (how long a gap has waited); tests move it. */
    public static InvoiceWorker start(InvoiceWorkerConfig config, InetAddress probeBind, Clock clock) {
        return new InvoiceWorker(config, probeBind, clock);
    }

    public long forkedTenants() {
        return follower.forkedTenants();
    }

    /** The consumer thread is running. */
    public boolean isHealthy() {
        return thread.isAlive() && follower.healthy();
    }

    /** Its database and Kafka answer. */
    public boolean isReady() {
        try (Connection c = database.getConnection()) {
            if (!c.isValid(2)) {
                return false;
            }
        } catch (SQLException e) {
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

    public int port() {
        return probes.port();
    }

    /** Entries whose link re-verified since start (each counted once). */
    public long verifiedEntries() {
        return follower.verifiedEntries();
    }

    /** The follower's committed housekeeping passes ({@link ChainFollower#gapPasses}). */
    long gapPasses() {
        return follower.gapPasses();
    }

    public long brokenChains() {
        return follower.brokenChains();
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.stop();
        }
        follower.stop();
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        probes.close();
        admin.close();
        database.close();
        log.info("invoice-worker stopped");
    }
}
