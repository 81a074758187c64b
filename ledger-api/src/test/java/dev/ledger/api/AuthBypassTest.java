package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.LedgerClient.Answer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Authentication is denied by default and decided on the path Spring MVC routes on: no other spelling of a path
 * reaches a handler, no body is read before the key is checked, and a handler never meets a missing caller.
 */
class AuthBypassTest {

    private static RunningLedger ledger;
    private static LedgerClient admin;
    private static RequestRawHttp raw;
    private static RequestLogCapture log;
    private static String tenant;
    private static String tenantKey;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get());
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        raw = new RequestRawHttp(ledger.url());
        log = RequestLogCapture.attach();
        tenant = "byp-" + System.nanoTime() % 100000;
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Bypass")).status()).isEqualTo(201);
        tenantKey = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")))
                .body().get("key").asText();
    }

    @AfterAll
    static void stop() {
        log.close();
        ledger.close();
    }

    private static String batchBody() {
        return "{\"items\":[" + LedgerClient.parse(jsonOf(LedgerClient.evaluation("ev-bypass"))).toString()
                .replaceFirst("\\{", "{\"idempotency_key\":\"k-bypass\",") + "]}";
    }

    private static String jsonOf(Object o) {
        try {
            return dev.ledger.core.messages.LedgerJson.mapper().writeValueAsString(o);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void givenAPathParameterWhenPostingABatchWithoutAKeyThenItIsRefused400BeforeAnyHandler() {
        RequestRawHttp.Response r = raw.send("POST /v1;x/evaluations:batch HTTP/1.1",
                Map.of("Content-Type", "application/json"), batchBody());
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.header("Content-Type")).startsWith("application/problem+json");
        assertThat(r.code()).isEqualTo("non_canonical_path");
        assertThat(tenantEntries()).isEqualTo(2);
    }

    @Test
    void givenEncodedUnreservedCharactersWhenReadingEntriesWithoutAKeyThenTheyAreRefused400() {
        for (String path : List.of("/%761/tenants/" + tenant + "/entries", "/v1/%74enants/" + tenant + "/entries",
                "/v1/tenants/" + tenant + "/entrie%73", "/v1/tenants/%2e%2e/tenants/" + tenant, "/v1/tenants/" + tenant + "%3Bx/entries")) {
            RequestRawHttp.Response r = raw.send("GET " + path + " HTTP/1.1", Map.of());
            assertThat(r.status()).as(path).isEqualTo(400);
            assertThat(r.header("Content-Type")).as(path).startsWith("application/problem+json");
            assertThat(r.code()).as(path).isEqualTo("non_canonical_path");
        }
    }

    @Test
    void givenDotEmptyOrBackslashSegmentsThenTheyAreRefused400AsProblemJson() {
        for (String path : List.of("/v1/./tenants/" + tenant, "/v1//tenants/" + tenant, "/v1/x/../tenants/" + tenant,
                "/v1/tenants/" + tenant + "\\", "/v1/%2Ftenants/" + tenant, "/v1/tenants%5C" + tenant)) {
            RequestRawHttp.Response r = raw.send("GET " + path + " HTTP/1.1", Map.of());
            assertThat(r.status()).as(path).isEqualTo(400);
            assertThat(r.header("Content-Type")).as(path).startsWith("application/problem+json");
        }
    }

    @Test
    void givenNoKeyWhenCallingAnyPathOutsideTheAllowListThenItAnswers401() {
        LedgerClient anonymous = new LedgerClient(ledger.url(), null);
        for (String path : List.of("/v1/tenants/" + tenant, "/v1/nothing-here", "/nothing-here", "/error", "/actuator/env",
                "/actuator/beans", "/V1/tenants/" + tenant)) {
            Answer a = anonymous.get(path);
            assertThat(a.status()).as(path).isEqualTo(401);
            assertThat(a.code()).as(path).isEqualTo("unauthenticated");
            assertThat(a.header("Content-Type")).as(path).startsWith("application/problem+json");
        }
        for (String path : List.of("/health", "/v1/checkpoint-keys", "/v3/api-docs", "/actuator/health")) {
            assertThat(anonymous.get(path).status()).as(path).isEqualTo(200);
        }
    }

    @Test
    void givenNoKeyWhenPostingABodyThenTheAnswerIs401WithoutTheBodyBeingRead() {
        // the body is announced but never sent: a server that read it before authenticating would wait for it
        RequestRawHttp.Response r = raw.send("POST /v1/evaluations HTTP/1.1",
                Map.of("Content-Type", "application/json", "Content-Length", "50000", "Idempotency-Key", "k"), "{\"evaluation_id\":");
        assertThat(r.status()).isEqualTo(401);
        assertThat(r.code()).isEqualTo("unauthenticated");
        Answer malformed = new LedgerClient(ledger.url(), null).post("/v1/evaluations", "{not json", "k");
        assertThat(malformed.status()).isEqualTo(401);
    }

    @Test
    void givenAValidKeyThenTheCanonicalPathsWorkAndUnknownRoutesAnswer404ProblemJson() {
        LedgerClient t = admin.withKey(tenantKey);
        assertThat(t.get("/v1/tenants/" + tenant + "/entries").status()).isEqualTo(200);
        Answer unknown = t.get("/v1/no-such-route");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.code()).isEqualTo("not_found");
        assertThat(unknown.header("Content-Type")).startsWith("application/problem+json");
    }

    @Test
    void noneOfTheseRequestsLeftAStackTraceInTheLog() {
        givenAPathParameterWhenPostingABatchWithoutAKeyThenItIsRefused400BeforeAnyHandler();
        givenEncodedUnreservedCharactersWhenReadingEntriesWithoutAKeyThenTheyAreRefused400();
        givenNoKeyWhenPostingABodyThenTheAnswerIs401WithoutTheBodyBeingRead();
        assertThat(log.stackTraces()).isEmpty();
    }

    private static int tenantEntries() {
        return admin.get("/v1/tenants/" + tenant + "/entries").body().path("entries").size();
    }
}
