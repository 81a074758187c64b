package dev.ledger.invoice;

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
 * The invoice-worker logs in as its own role (invoice_worker, a member of invoice_worker_app): its migrations run as
 * the owner, its login may use its own tables and nothing of the ledger's; production refuses the owner or a
 * superuser as its login.
 */
class FollowerInvoiceLoginTest {

    private static LocalPostgres postgres;
    private static LocalPostgres.Login login;

    @BeforeAll
    static void start() throws Exception {
        postgres = LocalPostgres.start(null, 0);
        login = postgres.serviceLogin("invoice_worker", "invoice_worker_app", "invoice-worker-password-0123456789");
        // the ledger's own tables, as ledger-api's migrations leave them
        Flyway.configure().dataSource(postgres.jdbcUrl(), null, null).locations("classpath:db/migration")
                .baselineOnMigrate(true).baselineVersion("0").load().migrate();
    }

    @AfterAll
    static void stop() throws Exception {
        postgres.close();
    }

    private static Map<String, String> env(String databaseUrl, String migrationUrl) {
        Map<String, String> env = new HashMap<>(Map.of("DATABASE_URL", databaseUrl,
                "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9", "INVOICE_WORKER_PORT", "0"));
        if (migrationUrl != null) {
            env.put("LEDGER_MIGRATION_DATABASE_URL", migrationUrl);
        }
        return env;
    }

    @Test
    void givenItsOwnLoginAndTheOwnerForMigrations_thenItMigratesAndWorksButCannotTouchTheLedger() throws Exception {
        InvoiceWorkerConfig config = InvoiceWorkerConfig.fromEnv(env(login.databaseUrl(), postgres.databaseUrl()));
        assertThat(config.toString()).doesNotContain(login.password());
        try (InvoiceWorker worker = InvoiceWorker.start(config)) {
            assertThat(worker.isHealthy()).isTrue();
        }
        // a restart with its own login only: the schema is up to date, so nothing needs the owner
        try (InvoiceWorker again = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(env(login.databaseUrl(), null)))) {
            assertThat(again.isHealthy()).isTrue();
        }
        assertThat(InvoiceWorkerMain.loginRefusal(config)).isNull();

        try (Connection c = DriverManager.getConnection(login.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("insert into invoice_worker_offset (topic, kafka_partition, next_offset) values ('roles-test', 0, 1)");
            s.execute("delete from invoice_worker_offset where topic = 'roles-test'");
            for (String sql : List.of("select count(*) from domain_event_entry", "select count(*) from api_key",
                    "select count(*) from checkpoint_key",
                    "alter table invoice_worker_chain disable trigger all", "drop table invoice_worker_offset")) {
                assertThatThrownBy(() -> s.execute(sql)).as(sql).isInstanceOf(SQLException.class);
            }
        }
    }

    @Test
    void givenTheSuperuserAsItsLogin_thenProductionRefusesIt() {
        InvoiceWorkerConfig config = InvoiceWorkerConfig.fromEnv(env(postgres.databaseUrl(), null));

        assertThat(InvoiceWorkerMain.loginRefusal(config))
                .contains("invoice-worker is connected to PostgreSQL as 'postgres', a superuser");
    }
}
