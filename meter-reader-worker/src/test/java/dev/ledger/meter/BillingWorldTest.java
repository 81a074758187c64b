package dev.ledger.meter;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The lifecycle the billing tests share: real servers (PostgreSQL, Kafka, the Stripe emulator) for the test class, a
 * fresh {@link BillingWorld} (its own topic and clocks) for each test.
 */
abstract class BillingWorldTest {

    static BillingWorld.Servers servers;
    BillingWorld world;

    /** Partitions of each test's topic. */
    int partitions() {
        return 2;
    }

    @BeforeAll
    static void servers() throws Exception {
        servers = new BillingWorld.Servers();
    }

    @AfterAll
    static void stopServers() throws Exception {
        servers.close();
    }

    @BeforeEach
    void world() throws Exception {
        world = new BillingWorld(servers, partitions());
    }

    @AfterEach
    void closeWorld() {
        world.close();
    }
}
