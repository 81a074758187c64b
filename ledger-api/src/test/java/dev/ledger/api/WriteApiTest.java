package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.LedgerClient.Answer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Writing and Tenants sections of API.md: every status and error code, isolation, idempotency. */
class WriteApiTest {

    private static final AtomicInteger TENANTS = new AtomicInteger();
    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.rate-limit.tenants.rl-tenant", 3));
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    record Tenant(String id, LedgerClient client, String keyId) {
    }

    static Tenant newTenant(String... scopes) {
        String id = "w" + TENANTS.incrementAndGet() + "-" + System.nanoTime() % 100000;
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", "Tenant " + id)).status()).isEqualTo(201);
        Answer key = admin.post("/v1/tenants/" + id + "/api-keys", Map.of("scopes", List.of(scopes.length == 0
                ? new String[] {"evaluations:write", "usage:write", "audit:write", "audit:read"} : scopes)));
        assertThat(key.status()).isEqualTo(201);
        return new Tenant(id, admin.withKey(key.body().get("key").asText()), key.body().get("key_id").asText());
    }

    @Test
    void registeringATenantTwiceAnswers409TenantExists() {
        Tenant t = newTenant();
        Answer again = admin.post("/v1/tenants", Map.of("tenant_id", t.id(), "name", "again"));
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.code()).isEqualTo("tenant_exists");
        assertThat(again.raw().headers().firstValue("Content-Type")).hasValue("application/problem+json");
    }

    @Test
    void aTenantShowsItsStatusAndTheFieldsOfTheContract() {
        Tenant t = newTenant();
        Answer got = t.client().get("/v1/tenants/" + t.id());
        assertThat(got.status()).isEqualTo(200);
        assertThat(got.body().get("status").asText()).isEqualTo("ACTIVE");
        assertThat(got.body().has("created_at")).isTrue();
        assertThat(got.body().has("stripe_customer_id")).isTrue();
    }

    @Test
    void missingOrWrongKeysAnswer401AndKeysWithoutTheScopeAnswer403() {
        Tenant t = newTenant("audit:read");
        assertThat(new LedgerClient(ledger.url(), null).post("/v1/evaluations", LedgerClient.evaluation("e"), "k").status()).isEqualTo(401);
        Answer wrong = t.client().withKey("lk_0123456789abcdef_" + "00".repeat(32)).post("/v1/evaluations", LedgerClient.evaluation("e"), "k");
        assertThat(wrong.status()).isEqualTo(401);
        assertThat(wrong.code()).isEqualTo("unauthenticated");
        Answer noScope = t.client().post("/v1/evaluations", LedgerClient.evaluation("e"), "k");
        assertThat(noScope.status()).isEqualTo(403);
        assertThat(noScope.code()).isEqualTo("insufficient_scope");
        assertThat(t.client().post("/v1/tenants", Map.of("tenant_id", "x", "name", "x")).status()).isEqualTo(403);
    }

    @Test
    void aTenantKeyNeverSeesAnotherTenant() {
        Tenant a = newTenant();
        Tenant b = newTenant();
        Answer other = a.client().get("/v1/tenants/" + b.id());
        assertThat(other.status()).isEqualTo(404);
        assertThat(a.client().get("/v1/tenants/does-not-exist").status()).isEqualTo(404);
        assertThat(a.client().post("/v1/tenants/" + b.id() + "/api-keys", Map.of("scopes", List.of("audit:read"))).status()).isEqualTo(403);
    }

    @Test
    void aRevokedKeyStopsWorkingAtOnce() {
        Tenant t = newTenant();
        assertThat(t.client().post("/v1/evaluations", LedgerClient.evaluation("before"), "before").status()).isEqualTo(201);
        assertThat(admin.delete("/v1/tenants/" + t.id() + "/api-keys/" + t.keyId()).status()).isEqualTo(204);
        assertThat(t.client().post("/v1/evaluations", LedgerClient.evaluation("after"), "after").status()).isEqualTo(401);
        assertThat(admin.delete("/v1/tenants/" + t.id() + "/api-keys/" + t.keyId()).status()).isEqualTo(404);
    }

    @Test
    void theSameKeyAndBodyReplaysTheFirstReceiptAndAnotherBodyIsRefused() {
        Tenant t = newTenant();
        Answer first = t.client().post("/v1/evaluations", LedgerClient.evaluation("ev_1"), "key-1");
        Answer again = t.client().post("/v1/evaluations", LedgerClient.evaluation("ev_1"), "key-1");
        assertThat(first.status()).isEqualTo(201);
        assertThat(again.status()).isEqualTo(201);
        assertThat(again.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(again.body()).isEqualTo(first.body());
        Answer other = t.client().post("/v1/evaluations", LedgerClient.evaluation("ev_2"), "key-1");
        assertThat(other.status()).isEqualTo(422);
        assertThat(other.code()).isEqualTo("idempotency_key_reused");
        Answer next = t.client().post("/v1/evaluations", LedgerClient.evaluation("ev_3"), "key-3");
        assertThat(next.body().get("sequence").asLong()).isEqualTo(first.body().get("sequence").asLong() + 1);
    }

    @Test
    void thirtyTwoParallelIdenticalRequestsRecordOneEntryAndGetOneAnswer() throws Exception {
        Tenant t = newTenant();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        try {
            List<Callable<Answer>> calls = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                calls.add(() -> t.client().post("/v1/evaluations", LedgerClient.evaluation("ev_same"), "same-key"));
            }
            List<Answer> answers = new ArrayList<>();
            for (Future<Answer> f : pool.invokeAll(calls)) {
                answers.add(f.get());
            }
            assertThat(answers).allSatisfy(a -> assertThat(a.status()).as(a.raw().body()).isEqualTo(201));
            assertThat(answers.stream().map(Answer::body).distinct()).hasSize(1);
            assertThat(answers.stream().filter(a -> a.header("Idempotent-Replayed") == null)).hasSize(1);
            Answer next = t.client().post("/v1/evaluations", LedgerClient.evaluation("ev_next"), "next-key");
            assertThat(next.body().get("sequence").asLong()).isEqualTo(answers.get(0).body().get("sequence").asLong() + 1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void writesWithoutAnIdempotencyKeyOrWithABadOneAre400() {
        Tenant t = newTenant();
        Answer missing = t.client().post("/v1/evaluations", LedgerClient.evaluation("e"), null);
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.code()).isEqualTo("idempotency_key_missing");
        Answer tooLong = t.client().post("/v1/evaluations", LedgerClient.evaluation("e"), "k".repeat(256));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.code()).isEqualTo("idempotency_key_invalid");
    }

    @Test
    void unknownMembersAndEvaluatedContentAreRefusedWith400UnknownField() {
        Tenant t = newTenant();
        for (String field : List.of("prompt", "input", "output", "content", "tenant_id", "sequence")) {
            Map<String, Object> body = new HashMap<>(LedgerClient.evaluation("e"));
            body.put(field, "something");
            Answer a = t.client().post("/v1/evaluations", body, "k-" + field);
            assertThat(a.status()).as(field).isEqualTo(400);
            assertThat(a.code()).as(field).isEqualTo("unknown_field");
        }
    }

    @Test
    void invalidEvaluationsAnswer422WithTheFieldsThatAreWrong() {
        Tenant t = newTenant();
        Map<String, Object> body = new HashMap<>(LedgerClient.evaluation("e"));
        body.put("terminal_state", "MAYBE");
        Answer state = t.client().post("/v1/evaluations", body, "k1");
        assertThat(state.status()).isEqualTo(422);
        assertThat(state.code()).isEqualTo("validation_failed");
        body = new HashMap<>(LedgerClient.evaluation("e"));
        body.put("input_digest", "sha256:XYZ");
        body.put("occurred_at", "yesterday");
        Answer digest = t.client().post("/v1/evaluations", body, "k2");
        assertThat(digest.status()).isEqualTo(422);
        assertThat(digest.body().get("errors").findValuesAsText("field")).contains("input_digest", "occurred_at");
        Answer malformed = t.client().post("/v1/evaluations", "{not json", "k3");
        assertThat(malformed.status()).isEqualTo(400);
        assertThat(malformed.code()).isEqualTo("malformed_json");
        Answer usage = t.client().post("/v1/usage", Map.of("usage_id", "u1", "meter", "tokens", "quantity", 0,
                "occurred_at", "2026-11-21T10:00:00Z"), "k4");
        assertThat(usage.status()).isEqualTo(422);
    }

    @Test
    void aSuspendedTenantsWritesAnswer402UntilItIsReactivated() {
        Tenant t = newTenant();
        Answer suspended = admin.post("/v1/tenants/" + t.id() + "/suspend", Map.of("reason", "unpaid"));
        assertThat(suspended.status()).isEqualTo(200);
        assertThat(suspended.body().get("status").asText()).isEqualTo("SUSPENDED");
        Answer refused = t.client().post("/v1/evaluations", LedgerClient.evaluation("e1"), "k1");
        assertThat(refused.status()).isEqualTo(402);
        assertThat(refused.code()).isEqualTo("tenant_suspended");
        Answer reactivated = admin.post("/v1/tenants/" + t.id() + "/reactivate", Map.of("reason", "paid"));
        assertThat(reactivated.body().get("status").asText()).isEqualTo("ACTIVE");
        assertThat(t.client().post("/v1/evaluations", LedgerClient.evaluation("e1"), "k1").status()).isEqualTo(201);
    }

    @Test
    void usageAndAdminActionsGetReceiptsInTheSameChain() {
        Tenant t = newTenant();
        Answer usage = t.client().post("/v1/usage", Map.of("usage_id", "u1", "meter", "tokens", "quantity", 1200,
                "occurred_at", "2026-11-21T10:00:00Z"), "u1");
        assertThat(usage.status()).isEqualTo(201);
        assertThat(usage.body().get("usage_id").asText()).isEqualTo("u1");
        Answer action = t.client().post("/v1/admin-actions", Map.of("actor", "alice@acme", "action", "policy.published",
                "target", "pol_pii@7", "details", Map.of("note", "ok")), "a1");
        assertThat(action.status()).isEqualTo(201);
        assertThat(action.body().get("prev_hash").asText()).isEqualTo(usage.body().get("hash").asText());
    }

    @Test
    void anEvaluationIdIsUniqueForeverAndARepeatWithOtherContentIs409() {
        Tenant t = newTenant();
        Answer first = t.client().post("/v1/evaluations", LedgerClient.evaluation("ev_once"), "key-a");
        Answer sameContent = t.client().post("/v1/evaluations", LedgerClient.evaluation("ev_once"), "key-b");
        assertThat(sameContent.status()).isEqualTo(201);
        assertThat(sameContent.body()).isEqualTo(first.body());
        Map<String, Object> other = new HashMap<>(LedgerClient.evaluation("ev_once"));
        other.put("terminal_state", "APPROVED");
        Answer conflict = t.client().post("/v1/evaluations", other, "key-c");
        assertThat(conflict.status()).isEqualTo(409);
        assertThat(conflict.code()).isEqualTo("duplicate_evaluation_id");
        Map<String, Object> usage = Map.of("usage_id", "u1", "meter", "tokens", "quantity", 5, "occurred_at", "2026-11-21T10:00:00Z");
        assertThat(t.client().post("/v1/usage", usage, "u-a").status()).isEqualTo(201);
        Answer usageConflict = t.client().post("/v1/usage", Map.of("usage_id", "u1", "meter", "tokens", "quantity", 6,
                "occurred_at", "2026-11-21T10:00:00Z"), "u-b");
        assertThat(usageConflict.status()).isEqualTo(409);
        assertThat(usageConflict.code()).isEqualTo("duplicate_usage_id");
    }

    @Test
    void aBatchAnswersEachItemOnItsOwnAndOneBadItemFailsNoNeighbour() {
        Tenant t = newTenant();
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Map<String, Object> item = new HashMap<>(LedgerClient.evaluation("b_" + i));
            item.put("idempotency_key", "bk-" + i);
            items.add(item);
        }
        Map<String, Object> bad = new HashMap<>(LedgerClient.evaluation("b_bad"));
        bad.put("idempotency_key", "bk-bad");
        bad.put("prompt", "secret content");
        items.add(150, bad);
        Answer batch = t.client().post("/v1/evaluations:batch", Map.of("items", items));
        assertThat(batch.status()).isEqualTo(200);
        var results = batch.body().get("results");
        assertThat(results.size()).isEqualTo(301);
        assertThat(results.get(150).get("status").asInt()).isEqualTo(400);
        assertThat(results.get(150).get("error").get("code").asText()).isEqualTo("unknown_field");
        long previous = 0;
        for (int i = 0; i < 301; i++) {
            if (i == 150) {
                continue;
            }
            assertThat(results.get(i).get("status").asInt()).isEqualTo(201);
            long seq = results.get(i).get("receipt").get("sequence").asLong();
            assertThat(seq).isGreaterThan(previous);
            previous = seq;
        }
        Answer again = t.client().post("/v1/evaluations:batch", Map.of("items", items.subList(0, 3)));
        assertThat(again.body().get("results").get(1).get("status").asInt()).isEqualTo(200);
        assertThat(again.body().get("results").get(1).get("receipt")).isEqualTo(results.get(1).get("receipt"));
    }

    /**
     * The batch body is read as a stream, each item straight into its record: an item refused anywhere inside (a wrong
     * type deep in its gates, an unknown member after its gates, not an object at all) fails alone, and the reader
     * finds the next item's start exactly, so every neighbour is recorded as sent.
     */
    @Test
    void givenBatchItemsBadAnywhereInsideThenEachFailsAloneAndEveryNeighbourIsRecordedAsSent() throws Exception {
        Tenant t = newTenant();
        com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        java.util.function.IntFunction<String> good = i -> {
            Map<String, Object> item = new HashMap<>(LedgerClient.evaluation("st_" + i));
            item.put("idempotency_key", "st-" + i);
            try {
                return mapper.writeValueAsString(item);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        };
        String gates = "\"gates\":[{\"gate\":\"pii\",\"outcome\":\"FAIL\",\"reason_code\":\"PII_EMAIL\"}]";
        String rest = "\"evaluation_id\":\"st_bad\",\"policy_id\":\"p\",\"policy_version\":\"1\",\"subject\":\"s\","
                + "\"input_digest\":\"sha256:" + "ab".repeat(32) + "\",\"terminal_state\":\"APPROVED\","
                + "\"occurred_at\":\"2026-11-21T10:00:00Z\",\"idempotency_key\":\"st-bad\"";
        List<String> items = new ArrayList<>(List.of(good.apply(0),
                "{" + rest + ",\"gates\":[{\"gate\":\"pii\",\"outcome\":{\"deep\":[1,{\"x\":[]}]},\"reason_code\":\"R\"}]}",
                good.apply(1),
                "{" + rest + "," + gates + ",\"prompt\":{\"text\":\"secret\",\"parts\":[{\"a\":1}]}}",
                good.apply(2),
                "[{\"evaluation_id\":\"inside an array\"}]",
                "17",
                "null",
                good.apply(3),
                "{" + rest + ",\"gates\":[],\"terminal_state\":\"MAYBE\"}",
                good.apply(4)));
        Answer batch = t.client().post("/v1/evaluations:batch", "{\"items\":[" + String.join(",", items) + "]}");
        assertThat(batch.status()).isEqualTo(200);
        var results = batch.body().get("results");
        List<String> answers = new ArrayList<>();
        for (var r : results) {
            answers.add(r.get("status").asInt() + (r.has("error") ? " " + r.get("error").get("code").asText() : ""));
        }
        assertThat(answers).containsExactly("201", "422 validation_failed", "201", "400 unknown_field", "201",
                "400 malformed_json", "400 malformed_json", "400 malformed_json", "201", "422 validation_failed", "201");
        int[] goodAt = {0, 2, 4, 8, 10};
        for (int n = 0; n < goodAt.length; n++) {
            assertThat(results.get(goodAt[n]).get("receipt").get("evaluation_id").asText()).isEqualTo("st_" + n);
        }
        Answer broken = t.client().post("/v1/evaluations:batch", "{\"items\":[" + good.apply(5) + ",{\"evaluation_id\":");
        assertThat(broken.status()).isEqualTo(400);
        assertThat(broken.code()).isEqualTo("malformed_json");
        assertThat(t.client().post("/v1/evaluations:batch", Map.of("items", List.of(), "extra", 1)).code()).isEqualTo("unknown_field");
    }

    @Test
    void aTenantOverItsRateLimitGets429WithRetryAfterAndOtherTenantsAreUnaffected() {
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", "rl-tenant", "name", "Rate limited")).status()).isEqualTo(201);
        String key = admin.post("/v1/tenants/rl-tenant/api-keys", Map.of("scopes", List.of("audit:read"))).body().get("key").asText();
        LedgerClient limited = admin.withKey(key);
        List<Answer> answers = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            answers.add(limited.get("/v1/tenants/rl-tenant"));
        }
        Answer refused = answers.stream().filter(a -> a.status() == 429).findFirst().orElseThrow();
        assertThat(refused.code()).isEqualTo("rate_limited");
        assertThat(Integer.parseInt(refused.header("Retry-After"))).isPositive();
        Tenant other = newTenant();
        assertThat(other.client().get("/v1/tenants/" + other.id()).status()).isEqualTo(200);
    }
}
