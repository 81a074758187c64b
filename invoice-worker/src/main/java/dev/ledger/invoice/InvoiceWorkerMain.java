package dev.ledger.invoice;

import java.util.concurrent.CountDownLatch;

/** Starts the invoice-worker from environment variables (see {@link InvoiceWorkerConfig#fromEnv}) until SIGTERM. */
public final class InvoiceWorkerMain {

    private InvoiceWorkerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        // Without TCP_NODELAY the JDK HttpServer stalls small responses behind delayed ACKs.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        InvoiceWorkerConfig config;
        java.net.InetAddress probeBind;
        try {
            config = InvoiceWorkerConfig.fromEnv(System.getenv());
            probeBind = dev.ledger.follower.ProbeServer.bindAddress(System.getenv("INVOICE_WORKER_BIND_ADDRESS"),
                    "INVOICE_WORKER_BIND_ADDRESS");
        } catch (IllegalArgumentException e) {
            System.err.println("invoice-worker: " + e.getMessage());
            System.exit(2);
            return;
        }
        InvoiceWorker worker = InvoiceWorker.start(config, probeBind, java.time.Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            worker.close();
            stopped.countDown();
        }, "invoice-worker-shutdown"));
        stopped.await();
    }
}
