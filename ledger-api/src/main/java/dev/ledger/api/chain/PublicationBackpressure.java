package dev.ledger.api.chain;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;

/**
 * Backpressure from the publisher onto appends: while the publisher is more than {@code maxBacklog} entries behind
 * the store, an append batch waits (at most {@code maxWait}) for it to come closer. Under a sustained ingest above what
 * the publisher can send on a busy machine, the ledger so takes entries at the rate Kafka gets them instead of letting
 * Kafka fall further behind without bound (WriteLoadBench (a): 84,006 entries behind at the end of the phase without
 * it, none with it).
 *
 * <p>It waits only while the publisher is making progress (a cycle succeeded within {@link #PROGRESS_WITHIN_NANOS}):
 * with Kafka unreachable, or the publisher stopped, appends go on at once and publication catches up later, so an
 * outage of Kafka never stops the ledger.
 */
final class PublicationBackpressure {

    /** How recent the publisher's last successful cycle must be for appends to wait for it. */
    static final long PROGRESS_WITHIN_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final int maxBacklog;
    private final long maxWaitNanos;
    /** Elapsed time (System.nanoTime in service; moved by tests). */
    private final LongSupplier ticker;
    /** A lock, not a monitor, so that waiting appenders (virtual threads) never pin a carrier thread. */
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition progressed = lock.newCondition();
    private volatile long storeMax;
    private volatile long published;
    private volatile long lastProgress;
    private volatile boolean publishing;

    /** @param maxBacklog entries the publisher may be behind before appends wait (0: never wait) */
    PublicationBackpressure(int maxBacklog, java.time.Duration maxWait, LongSupplier ticker) {
        if (maxBacklog < 0 || maxWait.isNegative()) {
            throw new IllegalStateException("LEDGER_PUBLICATION_MAX_BACKLOG and LEDGER_PUBLICATION_BACKLOG_WAIT must not be negative");
        }
        this.maxBacklog = maxBacklog;
        this.maxWaitNanos = maxWait.toNanos();
        this.ticker = ticker;
    }

    boolean enabled() {
        return maxBacklog > 0;
    }

    /** The newest global index in the store, as the publisher last read it. */
    void storeAt(long newestIndex) {
        storeMax = newestIndex;
    }

    /** A publisher cycle succeeded; {@code position} is the highest global index it has passed. */
    void progressed(long position) {
        published = position;
        lastProgress = ticker.getAsLong();
        publishing = true;
        wakeWaiters();
    }

    /** The publisher stopped: nobody waits for it any more. */
    void stopped() {
        publishing = false;
        wakeWaiters();
    }

    private void wakeWaiters() {
        lock.lock();
        try {
            progressed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Entries (global indexes) the store holds beyond the publisher's position, as last seen. */
    long backlog() {
        return Math.max(0, storeMax - published);
    }

    /** Waits while the publisher is too far behind and making progress, at most the longest wait. */
    void await() {
        if (maxBacklog == 0) {
            return;
        }
        long deadline = System.nanoTime() + maxWaitNanos;
        lock.lock();
        try {
            while (backlog() > maxBacklog && progressing()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                progressed.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    private boolean progressing() {
        return publishing && ticker.getAsLong() - lastProgress <= PROGRESS_WITHIN_NANOS;
    }
}
