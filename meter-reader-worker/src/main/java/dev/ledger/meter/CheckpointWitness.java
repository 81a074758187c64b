package dev.ledger.meter;

import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKeys;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches each tenant's latest signed checkpoint from the ledger ({@code GET /v1/tenants/{t}/checkpoints/latest}
 * with the service key), verifies its Ed25519 signature with the keys of {@code GET /v1/checkpoint-keys}, and hands
 * it to the tenant's position: the chain the worker verified from the topic must hash to the signed root at that
 * size ({@link ForkDetector}). A producer with write access to the topic can chain forged entries correctly, but
 * cannot sign a root over them: the tenant stops with {@code checkpoint_mismatch} and a fork alert.
 */
final class CheckpointWitness implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(CheckpointWitness.class);
    private static final int PER_PASS = 100;

    private final LedgerWriteBack ledger;
    private final MeterReaderStore store;
    private final MeterReaderMetrics metrics;
    private final Duration interval;
    private final Clock clock;
    private volatile Supplier<Set<Integer>> ownedPartitions = Set::of;
    private volatile boolean running = true;
    private CheckpointKeys keys;
    private long failures;

    CheckpointWitness(LedgerWriteBack ledger, MeterReaderStore store, MeterReaderMetrics metrics, Duration interval,
                      Clock clock) {
        this.ledger = ledger;
        this.store = store;
        this.metrics = metrics;
        this.interval = interval;
        this.clock = clock;
    }

    boolean enabled() {
        return !interval.isZero();
    }

    void ownedPartitions(Supplier<Set<Integer>> owned) {
        this.ownedPartitions = owned;
    }

    void stop() {
        running = false;
    }

    @Override
    public void run() {
        while (running) {
            try {
                passOnce();
            } catch (SQLException | RuntimeException e) {
                log.warn("checkpoint witness paused ({})", MeterReader.describe(e));
            }
            pause(Math.min(1_000, Math.max(50, interval.toMillis() / 4)));
        }
    }

    /** Fetches the checkpoints of the tenants due; answers how many were fetched. */
    int passOnce() throws SQLException {
        Set<Integer> partitions = ownedPartitions.get();
        if (partitions.isEmpty()) {
            return 0;
        }
        Instant now = clock.instant();
        List<String> due = store.tenantsToWitness(partitions, now.minus(interval), PER_PASS);
        for (String tenant : due) {
            if (!running) {
                break;
            }
            witness(tenant, now);
        }
        return due.size();
    }

    private void witness(String tenant, Instant now) throws SQLException {
        LedgerWriteBack.Read read = ledger.latestCheckpoint(tenant);
        if (!read.ok()) {
            unavailable(tenant, read.problem(), now);
            return;
        }
        Checkpoint checkpoint;
        try {
            checkpoint = Checkpoint.fromJson(read.body());
        } catch (IllegalArgumentException e) {
            unavailable(tenant, "the ledger's checkpoint is malformed", now);
            return;
        }
        if (!checkpoint.tenantId().equals(tenant) || !signed(checkpoint)) {
            metrics.checkpoint("bad_signature");
            store.checkpointFetched(tenant, now);
            log.error("ALERT checkpoint of tenant {} (size {}) is not signed by a ledger checkpoint key; ignored",
                    tenant, checkpoint.size());
            return;
        }
        MeterReaderStore.Witnessed outcome = store.witness(tenant, checkpoint.size(), checkpoint.rootHash(), now);
        metrics.checkpoint(outcome.name().toLowerCase());
        if (outcome == MeterReaderStore.Witnessed.CONTRADICTS) {
            metrics.fork(ForkDetector.CHECKPOINT_MISMATCH);
            log.error("ALERT fork: tenant {} entries 1..{} on the topic do not hash to the root the ledger signed "
                    + "(checkpoint_mismatch); its usage is no longer reported", tenant, checkpoint.size());
        }
        failures = 0;
    }

    private boolean signed(Checkpoint checkpoint) {
        if (keys == null || !keys.contains(checkpoint.keyId())) {
            LedgerWriteBack.Read read = ledger.checkpointKeys(); // a rotation adds keys: fetch again for an unknown one
            if (read.ok()) {
                try {
                    keys = CheckpointKeys.fromJson(read.body());
                } catch (IllegalArgumentException e) {
                    log.warn("the ledger's checkpoint keys are malformed");
                }
            }
        }
        return keys != null && keys.verify(checkpoint);
    }

    private void unavailable(String tenant, String problem, Instant now) throws SQLException {
        metrics.checkpoint("unavailable");
        store.checkpointFetched(tenant, now);
        if (failures++ % 100 == 0) {
            log.warn("no checkpoint of tenant {} to witness its chain with: {}", tenant, problem);
        }
    }

    private void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }
}
