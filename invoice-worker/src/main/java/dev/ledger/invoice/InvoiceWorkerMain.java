package dev.ledger.invoice;

import dev.ledger.follower.ProbeServer;
import dev.ledger.schema.ServiceLogin;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Clock;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

/** Starts the invoice-worker from environment variables (see {@link InvoiceWorkerConfig#fromEnv}) until SIGTERM. */
public final class InvoiceWorkerMain {

    private InvoiceWorkerMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        // Without TCP_NODELAY the JDK HttpServer stalls small responses behind delayed ACKs.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        InvoiceWorkerConfig config;
        InetAddress probeBind;
        try {
            config = InvoiceWorkerConfig.fromEnv(System.getenv());
            probeBind = ProbeServer.bindAddress(System.getenv("INVOICE_WORKER_BIND_ADDRESS"), "INVOICE_WORKER_BIND_ADDRESS");
        } catch (IllegalArgumentException e) {
            System.err.println("invoice-worker: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (InvoiceWorkerConfig.production(System.getenv())) {
            String refusal = loginRefusal(config);
            if (refusal != null) {
                System.err.println("invoice-worker refuses to start: " + refusal);
                System.exit(2);
                return;
            }
        }
        InvoiceWorker worker = InvoiceWorker.start(config, probeBind, Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            worker.close();
            stopped.countDown();
        }, "invoice-worker-shutdown"));
        stopped.await();
    }

    /** Null when the worker's login is its own role, else why it is not (a superuser, or the tables' owner). */
    static String loginRefusal(InvoiceWorkerConfig config) {
        Properties login = new Properties();
        if (config.database().user() != null) {
            login.setProperty("user", config.database().user());
        }
        if (config.database().password() != null) {
            login.setProperty("password", config.database().password());
        }
        try (Connection c = DriverManager.getConnection(config.database().jdbcUrl(), login)) {
            return ServiceLogin.refusal(c, "invoice-worker");
        } catch (SQLException e) {
            return "could not check its database login (SQL state " + e.getSQLState() + ")";
        }
    }
}
