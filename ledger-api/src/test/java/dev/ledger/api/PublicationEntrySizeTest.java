package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ISSUE11 item 2: every entry's stored size is limited where entries are stored (413 entry_too_large, nothing
 * recorded), and a limit that could exceed the producer's max.request.size is refused at start.
 */
class PublicationEntrySizeTest {

    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.publication.max-entry-bytes", 8192));
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    @Test
    void givenAnAdminActionLargerThanTheEntryLimit_whenItIsWritten_thenItAnswers413EntryTooLargeAndNothingIsRecorded() {
        String id = "ps" + Long.toString(System.nanoTime() % 1_000_000, 36);
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", id)).status()).isEqualTo(201);
        LedgerClient t = admin.withKey(admin.post("/v1/tenants/" + id + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:write")))
                .body().get("key").asText());
        long before = t.post("/v1/evaluations", LedgerClient.evaluation("ev_before"), "before").body().get("sequence").asLong();

        LedgerClient.Answer large = t.post("/v1/admin-actions", Map.of("actor", "ops", "action", "import", "target", "catalog",
                "details", Map.of("blob", "x".repeat(10_000))), "large");
        assertThat(large.status()).isEqualTo(413);
        assertThat(large.code()).isEqualTo("entry_too_large");
        assertThat(large.header("Content-Type")).isEqualTo("application/problem+json");
        assertThat(large.raw().body()).doesNotContain("Exception").doesNotContain("at dev.");

        LedgerClient.Answer again = t.post("/v1/admin-actions", Map.of("actor", "ops", "action", "import", "target", "catalog",
                "details", Map.of("blob", "x".repeat(10_000))), "large");
        assertThat(again.code()).as("the key was not taken: nothing was recorded").isEqualTo("entry_too_large");
        long after = t.post("/v1/evaluations", LedgerClient.evaluation("ev_after"), "after").body().get("sequence").asLong();
        assertThat(after).as("the chain has no entry between the two").isEqualTo(before + 1);

        LedgerClient.Answer small = t.post("/v1/admin-actions", Map.of("actor", "ops", "action", "import", "target", "catalog",
                "details", Map.of("blob", "x".repeat(1_000))), "small");
        assertThat(small.status()).isEqualTo(201);
    }

    @Test
    void givenAnEntryLimitWhoseRecordsCouldExceedTheProducersRequestSize_whenTheLedgerStarts_thenItRefusesToStart() {
        assertThatThrownBy(() -> RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.publication.max-entry-bytes", 262144,
                "ledger.publication.producer-max-request-bytes", 200000)).close())
                .hasStackTraceContaining("LEDGER_PUBLICATION_MAX_ENTRY_BYTES")
                .hasStackTraceContaining("max.request.size");
    }
}
