package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The keys that signed checkpoints are history: no UPDATE, DELETE or TRUNCATE, not even by the owner. */
class RolesCheckpointKeyAppendOnlyTest {

    @Test
    void givenRecordedCheckpointKeys_whenTheOwnerChangesOrTruncatesThem_thenTheTriggersRefuse() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        try (RunningLedger ignored = RunningLedger.start(infra); // records its signing key
             Connection owner = DriverManager.getConnection(infra.postgres.jdbcUrl()); Statement s = owner.createStatement()) {
            try (ResultSet rs = s.executeQuery("select count(*) from checkpoint_key")) {
                rs.next();
                assertThat(rs.getLong(1)).isPositive();
            }
            assertThatThrownBy(() -> s.execute("update checkpoint_key set public_key = 'forged'"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("UPDATE on checkpoint_key refused");
            assertThatThrownBy(() -> s.execute("delete from checkpoint_key"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("DELETE on checkpoint_key refused");
            assertThatThrownBy(() -> s.execute("truncate checkpoint_key cascade"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("TRUNCATE on checkpoint_key refused");
        }
    }
}
