package dev.ledger.invoice;

import dev.ledger.core.chain.ChainVerifier;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.chain.TopicBytes;
import dev.ledger.follower.ConsumerLag;
import dev.ledger.follower.FollowerKafka;
import dev.ledger.follower.ProbeServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The invoice-worker as it stands: consumes {@code ledger.entries} (group {@code invoice-worker}, read_committed),
 * re-verifies every tenant's chain links in memory and counts entries. Chain state lives only in memory, so it
 * commits no offsets and re-reads its partitions from the beginning whenever it is assigned them. Invoices and
 * dunning are not built yet.
 */
public final class InvoiceWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InvoiceWorker.class);
    private static final int MAX_POLL_RECORDS = 500;
    private static final int MAX_PARTITION_FETCH_BYTES = 4 * 1024 * 1024;

    private final InvoiceWorkerConfig config;
    private final KafkaConsumer<String, byte[]> consumer;
    private final Admin admin;
    private final ChainWatch chains;
    /** Which partition carries each tenant, to forget the right tenants when a partition moves away. */
    private final Map<String, Integer> tenantPartition = new HashMap<>();
    /** Assigned partitions whose first records were deleted by the topic's retention (log start offset above 0). */
    private final Map<Integer, Long> truncatedPartitions = new HashMap<>();
    private final AtomicLong retentionLost = new AtomicLong();
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicLong verified = new AtomicLong();
    private final AtomicLong broken = new AtomicLong();
    private final AtomicLong forked = new AtomicLong();
    private final AtomicLong tenants = new AtomicLong();
    private final AtomicLong lag = new AtomicLong();
    private final Thread thread;
    private final ProbeServer probes;
    private volatile boolean running = true;
    private volatile boolean failed;

    private InvoiceWorker(InvoiceWorkerConfig config, InetAddress probeBind, Clock clock) {
        this.config = config;
        this.chains = new ChainWatch(config.maxHeldPerTenant(), config.gapWait(), clock);
        Map<String, Object> props = FollowerKafka.consumerProperties(config.kafkaBootstrapServers(), config.consumerGroup(),
                "invoice-worker-" + UUID.randomUUID().toString().substring(0, 8), MAX_POLL_RECORDS, MAX_PARTITION_FETCH_BYTES,
                config.kafkaSecurity());
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.admin = Admin.create(config.kafkaSecurity().with(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.kafkaBootstrapServers(),
                AdminClientConfig.CLIENT_ID_CONFIG, "invoice-worker-readiness")));
        Gauge.builder("invoice_worker_verified_entries", verified, AtomicLong::get)
                .description("entries whose chain link re-verified").register(registry);
        Gauge.builder("invoice_worker_broken_chains", broken, AtomicLong::get)
                .description("tenants whose chain failed verification").register(registry);
        Gauge.builder("ledger_chain_forked_tenants", forked, AtomicLong::get)
                .description("tenants stopped because two records of one sequence carry different hashes").register(registry);
        Gauge.builder("invoice_worker_tenants", tenants, AtomicLong::get).register(registry);
        Gauge.builder("invoice_worker_tenants_lost_to_retention", retentionLost, AtomicLong::get)
                .description("tenants whose first entries the topic's retention deleted before this worker read them")
                .register(registry);
        Gauge.builder("invoice_worker_consumer_lag", lag, AtomicLong::get).register(registry);
        this.thread = new Thread(this::consume, "invoice-worker-consumer");
        try {
            this.probes = ProbeServer.start("invoice-worker", probeBind, config.httpPort(), this::isHealthy, this::isReady,
                    registry::scrape, Map.of());
        } catch (RuntimeException e) {
            consumer.close();
            admin.close();
            throw e;
        }
        thread.start();
        log.info("invoice-worker started: kafka={} topic={} group={} port={}", config.kafkaBootstrapServers(),
                config.topic(), config.consumerGroup(), probes.port());
    }

    /** Probes on loopback. */
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
        return forked.get();
    }

    /** The consumer thread is running. */
    public boolean isHealthy() {
        return thread.isAlive() && !failed;
    }

    /** Kafka answers. */
    public boolean isReady() {
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
        return verified.get();
    }

    public long brokenChains() {
        return broken.get();
    }

    private void consume() {
        try {
            consumer.subscribe(List.of(config.topic()), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    List<Integer> gone = partitions.stream().map(TopicPartition::partition).toList();
                    tenantPartition.entrySet().removeIf(e -> {
                        if (gone.contains(e.getValue())) {
                            chains.forget(e.getKey());
                            return true;
                        }
                        return false;
                    });
                    publishGauges();
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    consumer.seekToBeginning(partitions); // chain state is in memory: verify from the first entry
                    for (Map.Entry<TopicPartition, Long> start : consumer.beginningOffsets(partitions).entrySet()) {
                        if (start.getValue() > 0) {
                            truncatedPartitions.put(start.getKey().partition(), start.getValue());
                        } else {
                            truncatedPartitions.remove(start.getKey().partition());
                        }
                    }
                }
            });
            while (running) {
                try {
                    for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(250))) {
                        accept(r);
                    }
                    for (ChainWatch.Gap g : chains.expireGaps()) {
                        Counter.builder("invoice_worker_chain_breaks").tag("reason", g.at().reason().name()).register(registry)
                                .increment();
                        log.error("ALERT chain broken: tenant {} at sequence {} ({}: {})", TopicBytes.forLog(g.tenantId()),
                                g.at().sequence(), g.at().reason(), g.at().detail());
                    }
                    publishGauges();
                } catch (WakeupException e) {
                    // close() was called
                }
            }
        } catch (RuntimeException e) {
            failed = true;
            log.error("invoice-worker consumer stopped", e);
        } finally {
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void accept(ConsumerRecord<String, byte[]> r) {
        StoredEntry entry;
        try {
            entry = EntryCodec.decode(r.value());
        } catch (RuntimeException e) {
            count("unreadable");
            log.error("ALERT unreadable record at {}-{} offset {} (key {})", r.topic(), r.partition(), r.offset(),
                    TopicBytes.forLog(r.key()));
            return;
        }
        tenantPartition.put(entry.tenantId(), r.partition());
        Long logStart = truncatedPartitions.get(r.partition());
        if (logStart != null && entry.sequence() > 1 && !chains.knows(entry.tenantId())) {
            // The first record of this tenant read from a partition whose beginning retention deleted: the tenant's
            // earlier entries are gone from the topic, not missing from its chain. Say so and verify from here on,
            // instead of waiting for ever for entries no broker holds.
            chains.resumeAfter(entry.tenantId(), entry.sequence() - 1, entry.prevHash());
            retentionLost.incrementAndGet();
            Counter.builder("invoice_worker_records_lost_to_retention").register(registry).increment();
            log.error("ALERT records lost to retention: tenant {} entries before sequence {} were deleted from {}-{} "
                    + "(log start offset {}) before this worker read them; its chain is re-verified from sequence {} on "
                    + "(set the topic's retention.ms=-1)", TopicBytes.forLog(entry.tenantId()), entry.sequence(), r.topic(),
                    r.partition(), logStart, entry.sequence());
        }
        ChainWatch.Outcome outcome = chains.accept(entry);
        count(outcome.name().toLowerCase());
        if (outcome == ChainWatch.Outcome.FORK) {
            Counter.builder("ledger_chain_forks").tag("reason", "fork").register(registry).increment();
            log.error("ALERT fork: tenant {} has a second record of sequence {} with another hash; the tenant is "
                    + "stopped", TopicBytes.forLog(entry.tenantId()), entry.sequence());
        }
        if (outcome == ChainWatch.Outcome.BROKEN) {
            ChainVerifier.Break b = chains.breakOf(entry.tenantId());
            Counter.builder("invoice_worker_chain_breaks").tag("reason", b.reason().name()).register(registry).increment();
            log.error("ALERT chain broken: tenant {} at sequence {} ({}: {})", TopicBytes.forLog(entry.tenantId()), b.sequence(), b.reason(),
                    b.detail());
        }
    }

    private void count(String outcome) {
        Counter.builder("invoice_worker_entries").tag("outcome", outcome).register(registry).increment();
    }

    private void publishGauges() {
        verified.set(chains.verifiedEntries());
        broken.set(chains.brokenChains());
        forked.set(chains.forkedTenants());
        tenants.set(chains.tenants());
        lag.set(ConsumerLag.of(consumer));
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(15_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        probes.close();
        admin.close();
        log.info("invoice-worker stopped");
    }
}
