package dev.ledger.witness;

import dev.ledger.schema.ServiceLogin;
import java.util.concurrent.CountDownLatch;

/** Starts the witness from environment variables (see {@link WitnessConfig#fromEnv}) until SIGTERM. */
public final class WitnessMain {

    private WitnessMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        WitnessConfig config;
        try {
            config = WitnessConfig.fromEnv(System.getenv());
        } catch (IllegalArgumentException | NullPointerException e) {
            System.err.println("witness: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (config.production()) {
            String refusal = loginRefusal(config);
            if (refusal != null) {
                System.err.println("witness refuses to start: " + refusal);
                System.exit(2);
                return;
            }
        }
        WitnessService service = WitnessService.start(config, java.time.Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            service.close();
            stopped.countDown();
        }, "witness-shutdown"));
        stopped.await();
    }

    /** Null when the witness's login is its own role, else why it is not (a superuser, or the tables' owner). */
    static String loginRefusal(WitnessConfig config) {
        java.util.Properties login = new java.util.Properties();
        if (config.dbUser() != null) {
            login.setProperty("user", config.dbUser());
        }
        if (config.dbPassword() != null) {
            login.setProperty("password", config.dbPassword());
        }
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(config.jdbcUrl(), login)) {
            return ServiceLogin.refusal(c, "witness");
        } catch (java.sql.SQLException e) {
            return "could not check its database login (SQL state " + e.getSQLState() + ")";
        }
    }
}
