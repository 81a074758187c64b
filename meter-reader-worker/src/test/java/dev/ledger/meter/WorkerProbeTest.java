package dev.ledger.meter;

import dev.ledger.follower.ChainFollower;
import dev.ledger.follower.ProbeServer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Issue 11 item 18 (the workers' part): the meter-reader's probe port listens on loopback unless configured, a
 * client that never finishes its request cannot hold the probe threads, and record keys from the topic (bytes anyone
 * with write access chose) are never logged raw.
 */
class WorkerProbeTest extends BillingWorldTest {

    @Override
    int partitions() {
        return 1;
    }

    @Test
    void givenNoBindAddress_thenTheProbePortAnswersOnLoopbackOnlyAndOnAnotherAddressWhenConfigured() throws Exception {
        Optional<InetAddress> external = externalAddress();
        Assumptions.assumeTrue(external.isPresent(), "this machine has no non-loopback IPv4 address");
        MeterReader reader = world.start(Map.of());
        assertThat(status("127.0.0.1", reader.port())).isEqualTo(200);
        assertThrows(IOException.class, () -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(external.get(), reader.port()), 2_000);
            }
        }, "the probe port must not be reachable on " + external.get());
        world.stop(reader);

        MeterReader open = world.start(Map.of("METER_READER_BIND_ADDRESS", "0.0.0.0"));
        assertThat(status(external.get().getHostAddress(), open.port())).isEqualTo(200);
    }

    /** Until both of the probe server's threads sit reading a slow client's unfinished request. */
    private static void awaitProbeThreadsHeld() {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (Thread.getAllStackTraces().entrySet().stream()
                .filter(t -> t.getKey().getName().equals("meter-reader-http"))
                .filter(t -> Arrays.stream(t.getValue())
                        .anyMatch(f -> f.getClassName().equals("sun.net.httpserver.Request")))
                .count() < 2) {
            assertThat(System.nanoTime()).as("both probe threads held by slow clients").isLessThan(deadline);
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // poll
        }
    }

    @Test
    void givenClientsThatNeverFinishTheirRequests_thenHealthStillAnswersWithinTheRequestLimit() throws Exception {
        MeterReader reader = world.start(Map.of());
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) { // more than the probe server's two threads
                Socket s = new Socket("127.0.0.1", reader.port());
                OutputStream out = s.getOutputStream();
                out.write("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                slow.add(s);
            }
            awaitProbeThreadsHeld();
            long started = System.nanoTime();
            assertThat(status("127.0.0.1", reader.port())).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - started))
                    .isLessThan(Duration.ofSeconds(ProbeServer.MAX_REQUEST_SECONDS + 5));
        } finally {
            for (Socket s : slow) {
                s.close();
            }
        }
    }

    @Test
    void givenARecordThatIsNoEntryWithAHostileKey_thenTheLogShowsTheKeyEscapedAndTruncated() throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(ChainFollower.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            MeterReader reader = world.start(Map.of());
            byte[] key = ("tenant-x\n2026-12-03 ERROR forged log line \u001b[31m" + "k".repeat(200))
                    .getBytes(StandardCharsets.UTF_8);
            world.sendRecords(List.of(new ProducerRecord<>(world.topic, key, "not an entry".getBytes())));
            BillingWorld.await(() -> appender.list.stream().anyMatch(e -> e.getFormattedMessage().contains("unreadable")),
                    "the unreadable record logged");
            String line = appender.list.stream().map(ILoggingEvent::getFormattedMessage)
                    .filter(m -> m.contains("unreadable")).findFirst().orElseThrow();
            assertThat(line).doesNotContain("\n").doesNotContain("\u001b").contains("tenant-x\\x0a2026-12-03")
                    .contains("\\x1b[31m").doesNotContain("k".repeat(100));
            assertThat(reader.isHealthy()).isTrue();
        } finally {
            logger.detachAppender(appender);
        }
    }

    private static int status(String host, int port) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
        return http.send(HttpRequest.newBuilder(URI.create("http://" + host + ":" + port + "/health"))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static Optional<InetAddress> externalAddress() throws IOException {
        for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
            if (!ni.isUp() || ni.isLoopback()) {
                continue;
            }
            for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                if (a instanceof Inet4Address && !a.isLoopbackAddress()) {
                    return Optional.of(a);
                }
            }
        }
        return Optional.empty();
    }
}
