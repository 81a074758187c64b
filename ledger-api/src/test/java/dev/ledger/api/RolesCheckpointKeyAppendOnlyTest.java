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
            // the cascade locks checkpoint too: taken first, in the order a ledger's checkpoint insert takes them (the row,
            // then its key's row for the foreign key), a checkpoint issued meanwhile by a running ledger waits instead of
            // deadlocking with the truncate (seen in CI)
            owner.setAutoCommit(false);
            s.execute("lock table checkpoint in access exclusive mode");
            s.execute("lock table checkpoint_key in access exclusive mode");
            assertThatThrownBy(() -> s.execute("truncate checkpoint_key cascade"))
                    .isInstanceOf(SQLException.class).hasMessageContaining("TRUNCATE on checkpoint_key refused");
            owner.rollback();
        }
    }
}
