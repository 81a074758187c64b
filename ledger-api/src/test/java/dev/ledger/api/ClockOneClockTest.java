package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.LedgerClient.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ledger-api reads the time from its one clock only: a ledger whose clock runs ten days ahead stamps every time it
 * writes or answers ten days ahead (entries' recorded_at and time-ordered identifiers, key issue and revocation times,
 * signed checkpoints, export headers). A read of the system clock anywhere of these would show today instead.
 */
class ClockOneClockTest {

    private static final Duration AHEAD = Duration.ofDays(10);
    private static final MovableClock clock = new MovableClock();
    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        clock.advance(AHEAD);
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.entries-topic", "clock-" + System.nanoTime()), clock);
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    /** Later than this only on the ledger's clock: the system clock is ten days behind it. */
    private static Instant movedOnly() {
        return Instant.now().plus(AHEAD.minusDays(1));
    }

    @Test
    void everyTimeTheLedgerWritesOrAnswersIsOnItsClock() throws Exception {
        String tenant = "clk" + Long.toString(System.nanoTime() % 1_000_000, 36);
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", tenant)).status()).isEqualTo(201);
        Answer key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")));
        assertThat(key.status()).isEqualTo(201);
        String keyId = key.body().get("key_id").asText();
        LedgerClient client = admin.withKey(key.body().get("key").asText());

        Answer receipt = client.post("/v1/evaluations", LedgerClient.evaluation("ev_clock"), "clock-1");
        assertThat(receipt.status()).isEqualTo(201);
        assertThat(Instant.parse(receipt.body().get("recorded_at").asText())).as("the entry's recorded_at").isAfter(movedOnly());
        long sequence = receipt.body().get("sequence").asLong();

        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl())) {
            assertThat(timestamp(c, "select created_at from api_key where key_id = ?", keyId)).as("the key's issue time").isAfter(movedOnly());
            UUID id = UUID.fromString(text(c, "select event_identifier from domain_event_entry where aggregate_identifier = ?"
                    + " and sequence_number = " + (sequence - 1), tenant));
            assertThat(id.version()).isEqualTo(7);
            assertThat(Instant.ofEpochMilli(id.getMostSignificantBits() >>> 16)).as("the time in the entry's identifier").isAfter(movedOnly());

            Answer checkpoint = client.post("/v1/tenants/" + tenant + "/checkpoints", Map.of());
            assertThat(checkpoint.status()).isEqualTo(201);
            assertThat(Instant.parse(checkpoint.body().get("issued_at").asText())).as("the checkpoint's issue time").isAfter(movedOnly());

            HttpResponse<String> export = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ledger.url()
                    + "/v1/tenants/" + tenant + "/export")).header("Authorization", "Bearer " + key.body().get("key").asText())
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(export.statusCode()).isEqualTo(200);
            String header = export.body().lines().findFirst().orElseThrow();
            assertThat(Instant.parse(LedgerClient.parse(header).get("exported_at").asText())).as("the export's time").isAfter(movedOnly());

            assertThat(admin.delete("/v1/tenants/" + tenant + "/api-keys/" + keyId).status()).isEqualTo(204);
            assertThat(timestamp(c, "select revoked_at from api_key where key_id = ?", keyId)).as("the key's revocation time").isAfter(movedOnly());
        }
    }

    private static Instant timestamp(Connection c, String sql, String arg) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as(sql).isTrue();
                return rs.getTimestamp(1).toInstant();
            }
        }
    }

    private static String text(Connection c, String sql, String arg) throws Exception {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, arg);
            try (ResultSet rs = ps.executeQuery()) {
                assertThat(rs.next()).as(sql).isTrue();
                return rs.getString(1);
            }
        }
    }
}
