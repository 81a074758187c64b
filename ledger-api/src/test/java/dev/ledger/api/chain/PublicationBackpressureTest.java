package dev.ledger.api.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Appends wait for a publisher too far behind only while it makes progress, and never longer than the bound. */
class PublicationBackpressureTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000_000L);

    private PublicationBackpressure behind(int maxBacklog, Duration wait) {
        PublicationBackpressure b = new PublicationBackpressure(maxBacklog, wait, now::get);
        b.progressed(100);
        b.storeAt(100 + 5_000);
        return b;
    }

    private static long millis(Runnable r) {
        long start = System.nanoTime();
        r.run();
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    @Test
    void anAppendWaitsWhileAProgressingPublisherIsBehindAndGoesOnOnceItComesClose() throws Exception {
        PublicationBackpressure b = behind(1_000, Duration.ofSeconds(20));
        CompletableFuture<Long> waited = CompletableFuture.supplyAsync(() -> millis(b::await));
        assertThatThrownBy(() -> waited.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(java.util.concurrent.TimeoutException.class);
        b.progressed(100 + 4_500); // within the backlog now
        assertThat(waited.get(5, TimeUnit.SECONDS)).isBetween(250L, 5_000L);
    }

    @Test
    void anAppendWaitsAtMostTheBound() {
        PublicationBackpressure b = behind(1_000, Duration.ofMillis(400));
        assertThat(millis(b::await)).isBetween(350L, 3_000L);
    }

    @Test
    void aPublisherThatMadeNoProgressLatelyIsNotWaitedFor() {
        PublicationBackpressure b = behind(1_000, Duration.ofSeconds(20));
        now.addAndGet(PublicationBackpressure.PROGRESS_WITHIN_NANOS + 1); // Kafka unreachable: no cycle succeeded since
        assertThat(millis(b::await)).isLessThan(1_000L);
    }

    @Test
    void aStoppedOrNeverStartedPublisherOrABacklogOfZeroIsNotWaitedFor() {
        PublicationBackpressure stopped = behind(1_000, Duration.ofSeconds(20));
        stopped.stopped();
        assertThat(millis(stopped::await)).isLessThan(1_000L);
        PublicationBackpressure neverStarted = new PublicationBackpressure(1_000, Duration.ofSeconds(20), now::get);
        neverStarted.storeAt(50_000);
        assertThat(millis(neverStarted::await)).isLessThan(1_000L);
        PublicationBackpressure off = behind(0, Duration.ofSeconds(20));
        assertThat(off.enabled()).isFalse();
        assertThat(millis(off::await)).isLessThan(1_000L);
        PublicationBackpressure within = behind(5_000, Duration.ofSeconds(20));
        assertThat(millis(within::await)).isLessThan(1_000L);
    }
}
