package dev.ledger.api.chain;

import dev.ledger.core.tenant.AppendEntries;
import dev.ledger.core.tenant.AppendOutcome;
import dev.ledger.core.tenant.TenantCommand;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Group commit per tenant: while one append transaction of a tenant is in flight, that tenant's further entries
 * queue up, and the next transaction takes all of them (up to {@link #MAX_BATCH}) as one command, one chain-head
 * update, one fsync. Nobody waits on a timer: batches form exactly while the previous commit is being flushed.
 * A batch that fails as a whole is retried item by item, so one bad item never fails its neighbours.
 *
 * <p>Items may name the unique keys their append will write (Idempotency-Key, entity key). One lookup per batch finds
 * the keys already recorded, and those items are answered "key taken" without being appended, so a replay costs no
 * failed transaction and a new write costs no lookup of its own. The lookup only saves work: the uniqueness
 * constraints written in the append's transaction still decide every race.
 */
@Component
public class AppendBatcher {

    static final int MAX_BATCH = 1000;

    /** One item's fate: its outcome and its committed link when appended, or that one of its keys is taken. */
    public record Appended(AppendOutcome outcome, ChainLinks.Link link, boolean keyTaken) {
        static final Appended KEY_TAKEN = new Appended(null, null, true);
    }

    private record Item(TenantCommand command, Map<String, String> metadata, List<String> keys, CompletableFuture<Appended> done) {
    }

    private static final class Lane {
        final Queue<Item> queue = new ConcurrentLinkedQueue<>();
        final AtomicBoolean draining = new AtomicBoolean();
    }

    private final CommandGateway commands;
    private final JdbcTemplate jdbc;
    private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();
    private final ExecutorService drainers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("append-", 0).factory());
    private final DistributionSummary batchSizes;
    private final Timer appendLatency;
    private final EntryMetrics entryMetrics;

    /** Waits while the publisher is too far behind (EntryPublisher.awaitBacklog); resolved late, the two are peers. */
    private final java.util.function.Supplier<EntryPublisher> publisher;
    private volatile EntryPublisher publisherFound;

    /** Without backpressure (no publisher): for tests of the batching alone. */
    public AppendBatcher(CommandGateway commands, MeterRegistry metrics, JdbcTemplate jdbc) {
        this(commands, metrics, jdbc, () -> null);
    }

    @org.springframework.beans.factory.annotation.Autowired
    public AppendBatcher(CommandGateway commands, MeterRegistry metrics, JdbcTemplate jdbc,
                         org.springframework.beans.factory.ObjectProvider<EntryPublisher> publisher) {
        this(commands, metrics, jdbc, (java.util.function.Supplier<EntryPublisher>) publisher::getIfAvailable);
    }

    private AppendBatcher(CommandGateway commands, MeterRegistry metrics, JdbcTemplate jdbc,
                          java.util.function.Supplier<EntryPublisher> publisher) {
        this.commands = commands;
        this.publisher = publisher;
        this.jdbc = jdbc;
        this.batchSizes = DistributionSummary.builder("ledger.append.batch.size").description("entries per append transaction")
                .register(metrics);
        this.appendLatency = Timer.builder("ledger.append.latency")
                .description("from an append transaction's command to its commit (a batch of one or more entries)")
                .publishPercentileHistogram().minimumExpectedValue(java.time.Duration.ofMillis(1))
                .maximumExpectedValue(java.time.Duration.ofSeconds(30)).register(metrics);
        this.entryMetrics = new EntryMetrics(metrics);
    }

    /** @param keys the unique keys (as stored in idempotency_record) this entry's append writes; may be empty */
    public CompletableFuture<Appended> submit(String tenantId, TenantCommand command, Map<String, String> metadata, List<String> keys) {
        Item item = new Item(command, metadata, keys, new CompletableFuture<>());
        Lane lane = lanes.computeIfAbsent(tenantId, t -> new Lane());
        lane.queue.add(item);
        if (lane.draining.compareAndSet(false, true)) {
            drainers.execute(() -> drain(tenantId, lane));
        }
        return item.done();
    }

    /**
     * Runs until the lane is empty. Whatever a batch throws, {@link Error}s included, fails that batch's items and
     * never this loop; and should anything still escape, the lane is released and handed to a new drainer, so a
     * tenant's later requests always get an answer.
     */
    private void drain(String tenantId, Lane lane) {
        try {
            drainLoop(tenantId, lane);
        } catch (Throwable escaped) {
            lane.draining.set(false);
            if (!lane.queue.isEmpty() && lane.draining.compareAndSet(false, true)) {
                drainers.execute(() -> drain(tenantId, lane));
            }
            if (escaped instanceof VirtualMachineError vm && !(escaped instanceof StackOverflowError)) {
                throw vm;
            }
        }
    }

    private void drainLoop(String tenantId, Lane lane) {
        while (true) {
            List<Item> batch = new ArrayList<>();
            Item next;
            while (batch.size() < MAX_BATCH && (next = lane.queue.poll()) != null) {
                batch.add(next);
            }
            if (!batch.isEmpty()) {
                try {
                    process(tenantId, batch);
                } catch (Throwable failed) {
                    fail(batch, failed);
                }
                continue;
            }
            lane.draining.set(false);
            // an item may have arrived between the last poll and the release: take the lane back if so
            if (lane.queue.isEmpty() || !lane.draining.compareAndSet(false, true)) {
                return;
            }
        }
    }

    private void process(String tenantId, List<Item> batch) {
        List<Item> fresh = batch;
        try {
            fresh = withoutTakenKeys(tenantId, batch);
        } catch (RuntimeException lookupFailed) {
            // the lookup only saves work; the append's own constraints still decide
        }
        if (!fresh.isEmpty()) {
            EntryPublisher p = publisherFound;
            if (p == null) {
                // looked up until it exists, then kept: resolving the bean per batch was a visible share of a small batch
                p = publisherFound = publisher.get();
            }
            if (p != null) {
                p.awaitBacklog(); // the lane's next items queue meanwhile and join this batch's successor
            }
            append(tenantId, fresh);
        }
    }

    /** Answers every item not answered yet with the failure (an item already answered keeps its answer). */
    private static void fail(List<Item> batch, Throwable failure) {
        for (Item item : batch) {
            item.done().completeExceptionally(failure);
        }
    }

    /**
     * Answers the items whose keys are recorded already, or repeat a key of an earlier item of this batch (the
     * caller reads what the first one recorded once it committed), and keeps the others, in order.
     */
    private List<Item> withoutTakenKeys(String tenantId, List<Item> batch) {
        List<String> keys = new ArrayList<>();
        for (Item item : batch) {
            keys.addAll(item.keys());
        }
        if (keys.isEmpty()) {
            return batch;
        }
        Set<String> taken = new HashSet<>(jdbc.query(con -> {
            var ps = con.prepareStatement("select idempotency_key from idempotency_record where tenant_id = ? and idempotency_key = any(?)");
            ps.setString(1, tenantId);
            ps.setArray(2, con.createArrayOf("varchar", keys.toArray()));
            return ps;
        }, (rs, i) -> rs.getString(1)));
        List<Item> kept = new ArrayList<>(batch.size());
        for (Item item : batch) {
            boolean clash = false;
            for (String key : item.keys()) {
                clash |= !taken.add(key); // recorded already, or claimed by an earlier item of this batch
            }
            if (clash) {
                item.done().complete(Appended.KEY_TAKEN);
            } else {
                kept.add(item);
            }
        }
        return kept;
    }

    /**
     * Sends the batch as one command; a batch that fails as a whole is retried item by item. Only the send is retried:
     * a batch that committed is answered from its result and never sent again, whatever answering it throws.
     */
    private void append(String tenantId, List<Item> batch) {
        batchSizes.record(batch.size());
        AppendResult result;
        try {
            result = send(tenantId, batch);
        } catch (RuntimeException batchFailed) {
            if (batch.size() == 1) {
                batch.get(0).done().completeExceptionally(batchFailed);
                return;
            }
            for (Item item : batch) {
                appendAlone(tenantId, item);
            }
            return;
        }
        complete(tenantId, batch, result);
    }

    private void appendAlone(String tenantId, Item item) {
        AppendResult result;
        try {
            result = send(tenantId, List.of(item));
        } catch (Throwable itemFailed) {
            item.done().completeExceptionally(itemFailed);
            return;
        }
        try {
            complete(tenantId, List.of(item), result);
        } catch (Throwable answerFailed) {
            item.done().completeExceptionally(answerFailed);
        }
    }

    private AppendResult send(String tenantId, List<Item> batch) {
        List<AppendEntries.NewEntry> entries = batch.stream().map(i -> new AppendEntries.NewEntry(i.command(), i.metadata())).toList();
        Timer.Sample sample = Timer.start();
        AppendResult result = commands.sendAndWait(new AppendEntries(tenantId, entries));
        sample.stop(appendLatency);
        return result;
    }

    private void complete(String tenantId, List<Item> batch, AppendResult result) {
        for (int i = 0; i < batch.size(); i++) {
            AppendOutcome outcome = result.outcomes().get(i);
            if (outcome.isAppended()) {
                entryMetrics.appended(batch.get(i).command());
            }
            ChainLinks.Link link = outcome.isAppended() ? result.link(tenantId, outcome.sequence()) : null;
            batch.get(i).done().complete(new Appended(outcome, link, false));
        }
    }

    @PreDestroy
    void close() {
        drainers.shutdown();
    }
}
