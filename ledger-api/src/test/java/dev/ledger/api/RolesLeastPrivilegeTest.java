package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * ledger-api and the meter-reader log in as their own roles: nothing they can do on their connections (RESET ROLE
 * included) reaches the append-only triggers or the history rows.
 */
class RolesLeastPrivilegeTest {

    @Test
    void givenTheServiceConnection_whenItResetsItsRoleAndDisablesTheTriggers_thenPostgresRefuses() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        try (RunningLedger ledger = RunningLedger.start(infra)) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            admin.post("/v1/tenants", Map.of("tenant_id", "roles-" + System.nanoTime() % 1_000_000, "name", "Roles"));
            DataSource pool = ledger.context().getBean(DataSource.class);
            try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
                c.setAutoCommit(true);
                assertThat(one(s, "select session_user")).isEqualTo("ledger_api");
                s.execute("reset role");

                assertThatThrownBy(() -> s.execute("alter table domain_event_entry disable trigger all"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("must be owner");
                assertThatThrownBy(() -> s.execute("update domain_event_entry set type = type"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
                assertThatThrownBy(() -> s.execute("delete from idempotency_record"))
                        .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
                assertThatThrownBy(() -> s.execute("set role postgres")).isInstanceOf(SQLException.class);
                assertThat(one(s, "select count(*) from domain_event_entry")).isNotEqualTo("0");
            }
        } finally {
            // on a build where the service could still disable them, put them back for the other tests
            try (Connection owner = DriverManager.getConnection(infra.postgres.jdbcUrl()); Statement s = owner.createStatement()) {
                s.execute("alter table domain_event_entry enable trigger all");
            }
        }
    }

    @Test
    void givenOnlyItsOwnLoginOnAnUpToDateSchema_thenTheLedgerStartsWithoutTheOwner() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        try (RunningLedger migrated = RunningLedger.start(infra)) {
            assertThat(migrated.url()).isNotBlank();
        }
        try (RunningLedger ledger = RunningLedger.start(infra, Map.of("LEDGER_MIGRATION_DATABASE_URL", ""))) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", "own-login-" + System.nanoTime() % 1_000_000,
                    "name", "Own login")).status()).isEqualTo(201);
        }
    }

    @Test
    void givenTheMeterReaderLogin_thenItCannotReadOrWriteTheEventStore() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        try (RunningLedger ignored = RunningLedger.start(infra); // the ledger's tables exist
             Connection c = DriverManager.getConnection(infra.meterReaderLogin.jdbcUrl()); Statement s = c.createStatement()) {
            assertThat(one(s, "select session_user")).isEqualTo("meter_reader");
            for (String sql : new String[] {"select count(*) from domain_event_entry", "select count(*) from api_key",
                    "insert into checkpoint_key (key_id, algorithm, public_key) values ('x', 'Ed25519', 'x')"}) {
                assertThatThrownBy(() -> s.execute(sql)).as(sql).isInstanceOf(SQLException.class)
                        .hasMessageContaining("permission denied");
            }
        }
    }

    private static String one(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
