package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ISSUE11 item 9: every append transaction is bounded on the server (PostgreSQL transaction_timeout) from the moment
 * it takes its global index, so it commits or vanishes well within the publisher's gap timeout.
 */
class PublicationAppendBoundTest {

    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.publication.append-transaction-timeout", "1s",
                "ledger.publication.gap-timeout", "3s"));
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    @Test
    void givenAnAppendStuckAfterTakingItsGlobalIndex_whenItOutlivesTheBound_thenPostgresEndsItAndNothingIsRecorded() throws Exception {
        String id = "pb" + Long.toString(System.nanoTime() % 1_000_000, 36);
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", id)).status()).isEqualTo(201);
        LedgerClient t = admin.withKey(admin.post("/v1/tenants/" + id + "/api-keys", Map.of("scopes", List.of("evaluations:write")))
                .body().get("key").asText());
        long before = t.post("/v1/evaluations", LedgerClient.evaluation("ev_0"), "k0").body().get("sequence").asLong();
        try (Connection other = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl())) {
            other.setAutoCommit(false);
            // an uncommitted claim of the key: the append inserts its entry, then waits on this key's unique index
            try (PreparedStatement ps = other.prepareStatement("insert into idempotency_record (tenant_id, idempotency_key,"
                    + " request_digest, sequence) values (?, 'k:stuck', ?, 999999)")) {
                ps.setString(1, id);
                ps.setBytes(2, new byte[32]);
                ps.executeUpdate();
            }
            long started = System.nanoTime();
            LedgerClient.Answer stuck = t.post("/v1/evaluations", LedgerClient.evaluation("ev_stuck"), "stuck");
            long millis = (System.nanoTime() - started) / 1_000_000;
            assertThat(stuck.status()).as(stuck.raw().body()).isGreaterThanOrEqualTo(500);
            assertThat(millis).as("ended by the 1 s append bound, not by the 5 s statement timeout").isLessThan(4000);
            other.rollback();
        }
        LedgerClient.Answer retried = t.post("/v1/evaluations", LedgerClient.evaluation("ev_stuck"), "stuck");
        assertThat(retried.status()).isEqualTo(201);
        assertThat(retried.body().get("sequence").asLong()).as("the ended append left nothing behind").isEqualTo(before + 1);
    }
}
