package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Recorded history cannot be changed through the database: not by the service's role, not by the owner. */
class AppendOnlyTest {

    private static final List<String> HISTORY = List.of("domain_event_entry", "idempotency_record");

    @BeforeAll
    static void someHistory() {
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get())) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String t = "ao-" + System.nanoTime() % 100000;
            admin.post("/v1/tenants", Map.of("tenant_id", t, "name", "Append only"));
            String key = admin.post("/v1/tenants/" + t + "/api-keys", Map.of("scopes", List.of("evaluations:write"))).body().get("key").asText();
            assertThat(admin.withKey(key).post("/v1/evaluations", LedgerClient.evaluation("e1"), "k1").status()).isEqualTo(201);
        }
    }

    private static SQLException failure(String role, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl());
             Statement s = c.createStatement()) {
            if (role != null) {
                s.execute("set role " + role);
            }
            return catchThrowableOfType(SQLException.class, () -> s.execute(sql));
        }
    }

    @Test
    void theServiceRoleCannotUpdateDeleteOrTruncateHistory() throws SQLException {
        for (String table : HISTORY) {
            for (String sql : List.of("update " + table + " set created_at = created_at", "delete from " + table, "truncate " + table)) {
                String statement = sql.replace("created_at = created_at", table.equals("domain_event_entry") ? "type = type" : "sequence = sequence");
                SQLException e = failure("ledger_app", statement);
                assertThat((Throwable) e).as(statement).isNotNull();
                assertThat(e.getSQLState()).as(statement).isEqualTo("42501");
            }
        }
    }

    @Test
    void theOwnerIsStoppedByTheAppendOnlyTriggers() throws SQLException {
        for (String table : HISTORY) {
            String set = table.equals("domain_event_entry") ? "type = type" : "sequence = sequence";
            for (String sql : List.of("update " + table + " set " + set, "delete from " + table, "truncate " + table)) {
                SQLException e = failure(null, sql);
                assertThat((Throwable) e).as(sql).isNotNull();
                assertThat(e.getMessage()).as(sql).contains("append-only");
            }
        }
    }

    @Test
    void theServiceRoleCanStillAppendAndRead() throws SQLException {
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl());
             Statement s = c.createStatement()) {
            s.execute("set role ledger_app");
            assertThat(s.executeQuery("select count(*) from domain_event_entry").next()).isTrue();
        }
    }
}
