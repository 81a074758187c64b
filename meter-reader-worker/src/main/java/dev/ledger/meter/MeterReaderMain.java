package dev.ledger.meter;

import dev.ledger.schema.ServiceLogin;
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
        if (MeterReaderConfig.production(System.getenv())) {
            String refusal = loginRefusal(config);
            if (refusal != null) {
                System.err.println("meter-reader refuses to start: " + refusal);
                System.exit(2);
                return;
            }
        }
        MeterReader reader = MeterReader.start(config, policy, java.time.Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            reader.close();
            stopped.countDown();
        }, "meter-reader-shutdown"));
        stopped.await();
    }

    /** Null when the worker's login is its own role, else why it is not (a superuser, or the tables' owner). */
    static String loginRefusal(MeterReaderConfig config) {
        java.util.Properties login = new java.util.Properties();
        if (config.dbUser() != null) {
            login.setProperty("user", config.dbUser());
        }
        if (config.dbPassword() != null) {
            login.setProperty("password", config.dbPassword());
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(config.jdbcUrl(), login)) {
            return ServiceLogin.refusal(c, "meter-reader");
        } catch (java.sql.SQLException e) {
            return "could not check its database login (SQL state " + e.getSQLState() + ")";
        }
    }
}
