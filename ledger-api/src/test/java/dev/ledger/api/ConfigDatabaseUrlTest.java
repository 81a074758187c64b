package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.ops.postgres.LocalPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** DATABASE_URL is what ledger-api connects to, whatever application.properties defaults to; a bad one never leaks. */
@ExtendWith(OutputCaptureExtension.class)
class ConfigDatabaseUrlTest {

    @Test
    void givenOnlyDatabaseUrlPointingAtAnotherServer_thenTheLedgerRecordsThere() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        Path dir = Files.createTempDirectory("ledger-pg-other");
        try (LocalPostgres other = LocalPostgres.start(dir, 0)) {
            assertThat(other.port()).isNotEqualTo(infra.postgres.port());
            String tenant = "dburl-" + System.nanoTime() % 1_000_000;
            // no spring.datasource.url and no migration URL: DATABASE_URL alone (the owner there, so it migrates too)
            try (RunningLedger ledger = RunningLedger.start(infra, Map.of("DATABASE_URL", other.databaseUrl(),
                    "LEDGER_MIGRATION_DATABASE_URL", ""))) {
                LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
                assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Elsewhere")).status()).isEqualTo(201);
            }
            assertThat(tenantExists(other.jdbcUrl(), tenant)).as("tenant on the DATABASE_URL server").isTrue();
            assertThat(tenantExists(infra.postgres.jdbcUrl(), tenant)).as("tenant on the shared server").isFalse();
        } finally {
            try (var paths = Files.walk(dir)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void givenAMalformedDatabaseUrl_thenTheStartFailsNamingItButNeverShowingThePassword(CapturedOutput output) {
        String password = "s3cret-XYZ";
        String malformed = "postgresql://ledger_api:" + password + "@db internal:5432/ledger";

        assertThatThrownBy(() -> RunningLedger.start(SharedInfrastructure.get(), Map.of("DATABASE_URL", malformed)).close())
                .satisfies(e -> {
                    StringBuilder messages = new StringBuilder();
                    for (Throwable t = e; t != null; t = t.getCause()) {
                        messages.append(t).append('\n');
                    }
                    assertThat(messages).contains("DATABASE_URL is not a valid PostgreSQL URL").doesNotContain(password);
                });
        assertThat(output.getAll()).doesNotContain(password);
    }

    private static boolean tenantExists(String jdbcUrl, String tenant) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl);
             PreparedStatement ps = c.prepareStatement("select 1 from tenant where tenant_id = ?")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (java.sql.SQLException noTable) {
            return false;
        }
    }
}
