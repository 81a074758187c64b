package dev.ledger.api;

import dev.ledger.ops.kafka.LocalKafka;
import dev.ledger.ops.postgres.LocalPostgres;
import dev.ledger.ops.stripe.StripeEmulator;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The real servers every integration test of this JVM shares: PostgreSQL 17, a KRaft Kafka broker and the Stripe
 * emulator, started once. Each test uses its own tenants, so tests never see each other's chains.
 */
public final class SharedInfrastructure {

    private static SharedInfrastructure instance;

    public final Path pgData;
    public LocalPostgres postgres;
    public final LocalKafka kafka;
    public final StripeEmulator stripe;
    /** The services' own logins (generated passwords), as the DBA of a deployment creates them; the owner is postgres. */
    public final LocalPostgres.Login ledgerApiLogin;
    public final LocalPostgres.Login meterReaderLogin;

    private SharedInfrastructure() throws Exception {
        pgData = Files.createTempDirectory("ledger-pg");
        postgres = LocalPostgres.start(pgData, 0);
        ledgerApiLogin = postgres.serviceLogin("ledger_api", "ledger_app", password());
        meterReaderLogin = postgres.serviceLogin("meter_reader", "meter_reader_app", password());
        kafka = LocalKafka.start(null, 0);
        stripe = StripeEmulator.start(0);
        // the JVM of a test run ends without anyone closing these: stop them and leave no data behind in /tmp
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kafka.close();
            try {
                postgres.close();
            } catch (Exception ignored) {
                // stopping anyway
            }
            try (var paths = Files.walk(pgData)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (Exception ignored) {
                // best effort
            }
        }, "shared-infrastructure-stop"));
    }

    private static String password() {
        byte[] b = new byte[24];
        new java.security.SecureRandom().nextBytes(b);
        return java.util.HexFormat.of().formatHex(b);
    }

    public static synchronized SharedInfrastructure get() {
        if (instance == null) {
            try {
                instance = new SharedInfrastructure();
            } catch (Exception e) {
                throw new IllegalStateException("could not start the local infrastructure", e);
            }
        }
        return instance;
    }

    /** Stops PostgreSQL and starts it again on the same data (same port), as an operator restart would. */
    public synchronized void restartPostgres() throws Exception {
        int port = postgres.port();
        postgres.close();
        postgres = LocalPostgres.start(pgData, port);
    }
}
