package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DurabilityTest {

    @Test
    void theDatabaseTheLedgerRunsOnFsyncsEveryCommit() throws Exception {
        // embedded PostgreSQL defaults to fsync=off and synchronous_commit=off; the local stack turns both on
        assertThat(SharedInfrastructure.get().postgres.durabilitySettings()).isEqualTo("fsync=on synchronous_commit=on");
    }
}
