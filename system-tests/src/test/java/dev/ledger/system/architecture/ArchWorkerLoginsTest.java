package dev.ledger.system.architecture;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.ops.postgres.LocalPostgres;
import dev.ledger.schema.ServiceLogin;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Each worker with a database connects as its own role ({@link ServiceLogin#WORKERS}) and that role has no grant at
 * all on the ledger's tables: after the ledger's and the worker's migrations (as the owner would run them), the login
 * may use its own tables and holds no privilege on any table of {@code db/migration}. Every worker migration folder of
 * the schema module ({@code db/<worker>}) must belong to a login listed there.
 */
class ArchWorkerLoginsTest {

    private static LocalPostgres postgres;
    private static final Map<String, LocalPostgres.Login> logins = new HashMap<>();

    @BeforeAll
    static void start() throws Exception {
        postgres = LocalPostgres.start(null, 0);
        for (ServiceLogin.WorkerLogin w : ServiceLogin.WORKERS) {
            logins.put(w.login(), postgres.serviceLogin(w.login(), w.group(), password()));
        }
        // the ledger's tables, as ledger-api's migrations leave them, then each worker's own
        Flyway.configure().dataSource(postgres.jdbcUrl(), null, null).locations("classpath:db/migration")
                .baselineOnMigrate(true).baselineVersion("0").load().migrate();
        for (ServiceLogin.WorkerLogin w : ServiceLogin.WORKERS) {
            Flyway.configure().dataSource(postgres.jdbcUrl(), null, null).locations("classpath:" + w.migrations())
                    .table(w.historyTable()).baselineOnMigrate(true).baselineVersion("0").load().migrate();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        postgres.close();
    }

    private static String password() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    @Test
    void everyWorkerDatabaseHasItsOwnLogin() {
        Set<String> folders = new TreeSet<>();
        for (Path schema : ModuleFiles.locations("schema")) {
            for (String f : ModuleFiles.files(schema).keySet()) {
                if (f.startsWith("db/") && f.endsWith(".sql") && !f.startsWith("db/migration/")) {
                    folders.add(f.substring(0, f.lastIndexOf('/')));
                }
            }
        }
        assertThat(folders).as("worker migration folders").contains("db/meter-reader");
        assertThat(ServiceLogin.WORKERS.stream().map(ServiceLogin.WorkerLogin::migrations).toList())
                .as("each worker migration folder has its worker's login in ServiceLogin.WORKERS").containsAll(folders);
        assertThat(ServiceLogin.WORKERS.stream().map(ServiceLogin.WorkerLogin::login).distinct().count())
                .as("no two workers share a login").isEqualTo(ServiceLogin.WORKERS.size());
    }

    @Test
    void eachWorkerLoginIsItsOwnRoleWithNoGrantOnTheLedgersTables() throws Exception {
        List<String> ledgerTables = ModuleFiles.ledgerTables();
        assertThat(ledgerTables).contains("domain_event_entry", "api_key", "checkpoint_key");
        for (ServiceLogin.WorkerLogin w : ServiceLogin.WORKERS) {
            LocalPostgres.Login login = logins.get(w.login());
            try (Connection c = DriverManager.getConnection(login.jdbcUrl())) {
                assertThat(ServiceLogin.refusal(c, w.service())).as("%s logs in as a plain service role", w.service()).isNull();
                List<String> granted = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement("select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace"
                        + " where n.nspname = current_schema() and c.relname = any(?) and (has_table_privilege(current_user, c.oid,"
                        + " 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')"
                        + " or has_any_column_privilege(current_user, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))")) {
                    ps.setArray(1, c.createArrayOf("text", ledgerTables.toArray()));
                    try (ResultSet rs = ps.executeQuery()) {
                        while (rs.next()) {
                            granted.add(rs.getString(1));
                        }
                    }
                }
                assertThat(granted).as("ledger tables %s's login %s holds a privilege on", w.service(), w.login()).isEmpty();
                try (Statement s = c.createStatement()) {
                    s.execute("select count(*) from " + w.historyTable());
                    for (String table : ledgerTables) {
                        assertThatThrownBy(() -> s.execute("select 1 from " + table + " limit 1")).as("%s reads %s", w.login(), table)
                                .isInstanceOf(SQLException.class).hasMessageContaining("permission denied");
                    }
                }
            }
        }
    }
}
