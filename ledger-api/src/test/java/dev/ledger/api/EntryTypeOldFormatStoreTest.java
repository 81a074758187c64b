package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.TenantRegistered;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A store written in chain format 1 (entry types were Java class names) is refused at start with a message naming the
 * problem and what to do, before anything is appended behind its entries; a store in chain format 2 starts.
 */
class EntryTypeOldFormatStoreTest {

    /** What chain format 1 stored as the type of a registration. */
    private static final String FORMAT_1_TYPE = "dev.ledger.core.tenant.TenantRegistered";

    @Test
    void givenAStoreHoldingAnEntryStoredUnderAJavaClassName_whenTheLedgerStarts_thenItRefusesNamingTheFormatAndTheRemedy()
            throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String run = "oldfmt" + Long.toString(System.nanoTime() % 2_000_000_000L, 36);
        infra.postgres.createDatabase(run);
        Map<String, Object> ownDatabase = Map.of("ledger.entries-topic", run + ".entries", "DATABASE_URL",
                infra.ledgerApiLogin.databaseUrl(run), "LEDGER_MIGRATION_DATABASE_URL", infra.postgres.databaseUrl(run));
        // given a store in chain format 2 (migrated and written by this ledger), which starts again
        try (RunningLedger ledger = RunningLedger.start(infra, ownDatabase)) {
            assertThat(new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY).post("/v1/tenants",
                    Map.of("tenant_id", "fresh", "name", "Fresh")).status()).isEqualTo(201);
        }
        RunningLedger.start(infra, ownDatabase).close();
        // and then an entry as chain format 1 wrote it, behind them
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl(run))) {
            insertFormatOneEntry(c, "legacy");
        }

        // when the ledger starts, then it refuses
        assertThatThrownBy(() -> RunningLedger.start(infra, ownDatabase).close()).satisfies(e -> {
            StringBuilder all = new StringBuilder();
            for (Throwable t = e; t != null; t = t.getCause()) {
                all.append(t.getMessage()).append('\n');
            }
            assertThat(all).contains("ledger-api refuses to start: the event store is in chain format 1, not chain format 2")
                    .contains("entry 1 of chain legacy is stored with type \"" + FORMAT_1_TYPE + "\"")
                    .contains("a Java class name, as chain format 1 stored it")
                    .contains("start this ledger on a new, empty database");
        });
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl(run));
             var rs = c.createStatement().executeQuery("select count(*) from domain_event_entry where aggregate_identifier = 'legacy'")) {
            rs.next();
            assertThat(rs.getLong(1)).as("nothing was appended behind the old entry").isEqualTo(1);
        }
    }

    private static void insertFormatOneEntry(Connection c, String tenant) throws Exception {
        PublicationFixtures.insertFirstEntry(c, tenant, FORMAT_1_TYPE,
                LedgerJson.mapper().writeValueAsBytes(new TenantRegistered(tenant, "Legacy", null, "admin")), "{}".getBytes(StandardCharsets.UTF_8));
    }
}
