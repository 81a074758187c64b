package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.ops.postgres.LocalPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The meter-reader logs in as its own role: its migrations run as the owner, its login may use its own tables and
 * nothing of the ledger's; production refuses the owner or a superuser as its login.
 */
class RolesMeterReaderLoginTest {

    private static LocalPostgres postgres;
    private static LocalPostgres.Login login;

    @BeforeAll
    static void start() throws Exception {
        postgres = LocalPostgres.start(null, 0);
        login = postgres.serviceLogin("meter_reader", "meter_reader_app", "meter-reader-password-0123456789");
        // the ledger's own tables, as ledger-api's migrations leave them
        Flyway.configure().dataSource(postgres.jdbcUrl(), null, null).locations("classpath:db/migration")
                .baselineOnMigrate(true).baselineVersion("0").load().migrate();
    }

    @AfterAll
    static void stop() throws Exception {
        postgres.close();
    }

    private static Map<String, String> env(String databaseUrl, String migrationUrl) {
        Map<String, String> env = new HashMap<>(Map.of(
                "DATABASE_URL", databaseUrl,
                "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
                "STRIPE_API_BASE", "http://127.0.0.1:12111",
                "LEDGER_API_URL", "http://127.0.0.1:8080",
                "LEDGER_SERVICE_KEY", "lk_service_key"));
        if (migrationUrl != null) {
            env.put("LEDGER_MIGRATION_DATABASE_URL", migrationUrl);
        }
        return env;
    }

    @Test
    void givenItsOwnLoginAndTheOwnerForMigrations_thenItMigratesAndWorksButCannotTouchTheLedger() throws Exception {
        MeterReaderConfig config = MeterReaderConfig.fromEnv(env(login.databaseUrl(), postgres.databaseUrl()));
        assertThat(config.toString()).doesNotContain(login.password());

        try (MeterReaderStore store = MeterReaderStore.open(config)) {
            assertThat(storedOffsets(store)).isZero();
            assertThat(store.reachable()).isTrue();
        }
        // a restart with its own login only: the schema is up to date, so nothing needs the owner
        try (MeterReaderStore again = MeterReaderStore.open(MeterReaderConfig.fromEnv(env(login.databaseUrl(), null)))) {
            assertThat(storedOffsets(again)).isZero();
        }
        assertThat(MeterReaderMain.loginRefusal(config)).isNull();
        assertThatThrownBy(() -> DriverManager.getConnection(login.jdbcUrl().replace(login.password(), "wrong-password-0123456789")).close())
                .as("the login needs its password").isInstanceOf(SQLException.class).hasMessageContaining("password authentication failed");

        try (Connection c = DriverManager.getConnection(login.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("insert into meter_reader_offset (topic, kafka_partition, next_offset) values ('roles-test', 0, 1)");
            s.execute("delete from meter_reader_offset where topic = 'roles-test'");
            for (String sql : List.of("select count(*) from domain_event_entry", "select count(*) from api_key",
                    "select count(*) from checkpoint_key", "alter table meter_reader_window disable trigger all",
                    "drop table meter_reader_offset")) {
                assertThatThrownBy(() -> s.execute(sql)).as(sql).isInstanceOf(SQLException.class);
            }
        }
    }

    /** The offsets stored for the entries topic, read through the store's own pool (its login). */
    private static long storedOffsets(MeterReaderStore store) throws SQLException {
        try (Connection c = store.dataSource().getConnection(); Statement s = c.createStatement();
             java.sql.ResultSet rs = s.executeQuery("select count(*) from meter_reader_offset where topic = 'ledger.entries'")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void givenTheSuperuserAsItsLogin_thenProductionRefusesIt() {
        MeterReaderConfig config = MeterReaderConfig.fromEnv(env(postgres.databaseUrl(), null));

        assertThat(MeterReaderMain.loginRefusal(config)).contains("meter-reader is connected to PostgreSQL as 'postgres', a superuser");
    }
}
