package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.LedgerClient.Answer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /v1/tenants/{t}/entries} as an auditor pages it: to the end with {@code next_after}, filtered by entry
 * type and by recorded time, each filtered page the same entries as the whole chain holds; bad filters refused with
 * 400 and another tenant's key answered 404.
 */
class EntryPagingApiTest {

    private static RunningLedger ledger;
    private static LedgerClient admin;
    private static final String TENANT = "paging-" + System.nanoTime() % 1_000_000;
    private static List<JsonNode> chain;
    /** The ledger's one clock: recorded times are moved, not waited for. */
    private static final MovableClock CLOCK = new MovableClock();

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of(), CLOCK);
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", TENANT, "name", "Paging")).status()).isEqualTo(201);
        LedgerClient usage = key(TENANT, "usage:write");
        for (int i = 0; i < 30; i++) {
            assertThat(usage.post("/v1/usage", Map.of("usage_id", "u" + i, "meter", "tokens", "quantity", i + 1,
                    "occurred_at", "2026-12-03T10:00:00Z"), "k" + i).status()).isEqualTo(201);
            if (i % 10 == 9) {
                CLOCK.advance(Duration.ofMinutes(1)); // three spells of recorded time
            }
        }
        assertThat(admin.post("/v1/tenants/" + TENANT + "/suspend", Map.of("reason", "audit")).status()).isEqualTo(200);
        assertThat(admin.post("/v1/tenants/" + TENANT + "/reactivate", Map.of("reason", "done")).status()).isEqualTo(200);
        chain = pages("");
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    private static LedgerClient key(String tenant, String scope) {
        Answer key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of(scope)));
        assertThat(key.status()).isEqualTo(201);
        return admin.withKey(key.body().get("key").asText());
    }

    /** Every page of the query, 7 entries a page, until next_after is absent. */
    private static List<JsonNode> pages(String query) {
        List<JsonNode> all = new ArrayList<>();
        long after = 0;
        for (int page = 0; page < 100; page++) {
            Answer a = admin.get("/v1/tenants/" + TENANT + "/entries?limit=7&after=" + after + query);
            assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
            a.body().get("entries").forEach(all::add);
            if (!a.body().has("next_after")) {
                return all;
            }
            after = a.body().get("next_after").asLong();
        }
        throw new AssertionError("paging did not end");
    }

    private static List<Long> sequences(List<JsonNode> entries) {
        return entries.stream().map(e -> e.get("sequence").asLong()).toList();
    }

    @Test
    void pagingToTheEndReadsTheWholeChainOnce() {
        assertThat(sequences(chain)).hasSize(1 + 1 + 30 + 2); // registered, the usage key, 30 usage, suspend, reactivate
        for (int i = 0; i < chain.size(); i++) {
            assertThat(chain.get(i).get("sequence").asLong()).isEqualTo(i + 1);
        }
    }

    @Test
    void givenTypeFiltersThenEachPageHoldsOnlyThoseEntriesInChainOrder() {
        List<JsonNode> usage = pages("&type=UsageRecorded");
        assertThat(sequences(usage)).isEqualTo(sequences(chain.stream()
                .filter(e -> e.get("type").asText().equals("UsageRecorded")).toList()));
        assertThat(usage).hasSize(30);
        assertThat(usage.get(29).at("/payload/quantity").asLong()).isEqualTo(30);

        List<JsonNode> status = pages("&type=TenantSuspended&type=TenantReactivated");
        assertThat(status).extracting(e -> e.get("type").asText()).containsExactly("TenantSuspended", "TenantReactivated");
        assertThat(pages("&type=EvaluationRecorded")).isEmpty();
    }

    @Test
    void givenARecordedTimeRangeThenOnlyEntriesRecordedInItAreListed() {
        Instant from = Instant.parse(chain.get(10).get("recorded_at").asText());
        Instant to = Instant.parse(chain.get(25).get("recorded_at").asText());
        List<Long> expected = sequences(chain.stream().filter(e -> {
            Instant at = Instant.parse(e.get("recorded_at").asText());
            return !at.isBefore(from) && at.isBefore(to);
        }).toList());
        assertThat(expected).isNotEmpty().hasSizeLessThan(chain.size());

        assertThat(sequences(pages("&from=" + from + "&to=" + to))).isEqualTo(expected);
        List<Long> usageSince = sequences(pages("&type=UsageRecorded&from=" + from));
        assertThat(usageSince).isEqualTo(sequences(chain.stream().filter(e -> e.get("type").asText().equals("UsageRecorded")
                && !Instant.parse(e.get("recorded_at").asText()).isBefore(from)).toList()));
    }

    @Test
    void badFiltersAreRefusedAndAnotherTenantsAuditorGetsNotFound() {
        for (String query : List.of("&type=NoSuchEntry", "&from=yesterday", "&from=2026-12-03T10:00:00Z&to=2026-12-03T09:00:00Z",
                "&type=dev.ledger.core.messages.UsageRecorded")) {
            Answer bad = admin.get("/v1/tenants/" + TENANT + "/entries?" + query.substring(1));
            assertThat(bad.status()).as(query).isEqualTo(400);
            assertThat(bad.code()).isEqualTo("invalid_parameter");
            assertThat(bad.raw().body()).doesNotContain("Exception");
        }
        String other = "paging-other-" + System.nanoTime() % 1_000_000;
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", other, "name", "Other")).status()).isEqualTo(201);
        LedgerClient otherAuditor = key(other, "audit:read");
        assertThat(otherAuditor.get("/v1/tenants/" + TENANT + "/entries?type=UsageRecorded").status()).isEqualTo(404);
        assertThat(otherAuditor.get("/v1/tenants/" + other + "/entries?type=TenantRegistered").body().get("entries"))
                .hasSize(1);
    }
}
