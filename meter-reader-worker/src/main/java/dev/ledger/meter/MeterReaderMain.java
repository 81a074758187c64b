package dev.ledger.meter;

import java.util.concurrent.CountDownLatch;

/** Starts the meter-reader from environment variables (see {@link MeterReaderConfig#fromEnv}) until SIGTERM. */
public final class MeterReaderMain {

    private MeterReaderMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        // Without TCP_NODELAY the JDK HttpServer stalls small responses behind delayed ACKs.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        MeterReaderConfig config;
        MeterReaderPolicy policy;
        try {
            config = MeterReaderConfig.fromEnv(System.getenv());
            policy = MeterReaderPolicy.fromEnv(System.getenv());
        } catch (IllegalArgumentException | NullPointerException e) {
            System.err.println("meter-reader: " + e.getMessage());
            System.exit(2);
            return;
        }
        MeterReader reader = MeterReader.start(config, policy, java.time.Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            reader.close();
            stopped.countDown();
        }, "meter-reader-shutdown"));
        stopped.await();
    }
}
