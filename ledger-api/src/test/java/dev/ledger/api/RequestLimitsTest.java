package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.LedgerClient.Answer;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Request bodies are bounded per endpoint before they are parsed, JSON by Jackson's stream limits, and integers are
 * taken only as JSON integers.
 */
class RequestLimitsTest {

    private static RunningLedger ledger;
    private static LedgerClient admin;
    private static LedgerClient tenant;
    private static String tenantId;
    private static String tenantKey;
    private static RequestRawHttp raw;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get());
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        raw = new RequestRawHttp(ledger.url());
        tenantId = "lim-" + System.nanoTime() % 1_000_000;
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenantId, "name", "Limits")).status()).isEqualTo(201);
        tenantKey = admin.post("/v1/tenants/" + tenantId + "/api-keys", Map.of("scopes",
                List.of("evaluations:write", "usage:write", "audit:write", "audit:read"))).body().get("key").asText();
        tenant = admin.withKey(tenantKey);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    private static int entries() {
        return admin.get("/v1/tenants/" + tenantId + "/entries?limit=1000").body().get("entries").size();
    }

    private static Map<String, Object> adminAction(Object details) {
        Map<String, Object> body = new HashMap<>();
        body.put("actor", "ops@acme");
        body.put("action", "policy.update");
        body.put("target", "pol_pii");
        body.put("details", details);
        return body;
    }

    @Test
    void givenATwoMegabyteAdminActionThenItIsRefused413BeforeItIsParsedAndNothingIsRecorded() {
        int before = entries();
        Answer a = tenant.post("/v1/admin-actions", adminAction(Map.of("blob", "x".repeat(2 * 1024 * 1024))), "big-1");
        assertThat(a.status()).isEqualTo(413);
        assertThat(a.code()).isEqualTo("body_too_large");
        assertThat(a.header("Content-Type")).startsWith("application/problem+json");
        // announced, never sent: refused on the announcement alone
        RequestRawHttp.Response announced = raw.send("POST /v1/admin-actions HTTP/1.1", Map.of("Authorization", "Bearer " + tenantKey,
                "Content-Type", "application/json", "Idempotency-Key", "big-2", "Content-Length", "2097152"), "{");
        assertThat(announced.status()).isEqualTo(413);
        assertThat(announced.code()).isEqualTo("body_too_large");
        assertThat(entries()).isEqualTo(before);
    }

    @Test
    void givenAChunkedBodyThatGrowsPastTheLimitThenItIsRefused413() throws Exception {
        byte[] body = LedgerClient.parse("{}").toString().getBytes(StandardCharsets.UTF_8);
        String json = "{\"actor\":\"a\",\"action\":\"b\",\"details\":{\"blob\":\"" + "y".repeat(200_000) + "\"}}";
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/admin-actions"))
                .header("Authorization", "Bearer " + tenantKey).header("Content-Type", "application/json").header("Idempotency-Key", "chunked-1")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(body).isNotEmpty();
        assertThat(r.statusCode()).isEqualTo(413);
        assertThat(LedgerClient.parse(r.body()).get("code").asText()).isEqualTo("body_too_large");
    }

    @Test
    void givenAFullBatchOfOrdinaryEvaluationsThenItFitsItsEndpointsLimit() {
        List<Map<String, Object>> items = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            Map<String, Object> item = new HashMap<>(LedgerClient.evaluation("ev-lim-" + i));
            item.put("idempotency_key", "k-lim-" + i);
            items.add(item);
        }
        Answer a = tenant.post("/v1/evaluations:batch", Map.of("items", items));
        assertThat(a.status()).isEqualTo(200);
        assertThat(a.body().get("results").get(999).get("status").asInt()).isEqualTo(201);
    }

    @Test
    void givenJsonDeeperOrLongerThanTheStreamLimitsThenItIsRefused400JsonLimitsExceeded() {
        String deep = "{\"actor\":\"a\",\"action\":\"b\",\"details\":{\"d\":" + "[".repeat(40) + "]".repeat(40) + "}}";
        Answer tooDeep = tenant.post("/v1/admin-actions", deep, "deep-1");
        assertThat(tooDeep.status()).isEqualTo(400);
        assertThat(tooDeep.code()).isEqualTo("json_limits_exceeded");
        String longNumber = "{\"usage_id\":\"u-n\",\"meter\":\"tokens\",\"quantity\":" + "9".repeat(40) + ",\"occurred_at\":\"2026-12-03T09:00:00Z\"}";
        Answer tooLong = tenant.post("/v1/usage", longNumber, "num-1");
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.code()).isEqualTo("json_limits_exceeded");
        Map<String, Object> item = new HashMap<>(LedgerClient.evaluation("ev-long-string"));
        item.put("idempotency_key", "k-long-string");
        item.put("subject", "s".repeat(70_000));
        Answer longString = tenant.post("/v1/evaluations:batch", Map.of("items", List.of(item)));
        assertThat(longString.status()).isEqualTo(400);
        assertThat(longString.code()).isEqualTo("json_limits_exceeded");
    }

    @Test
    void givenAQuantityAsAFloatOrAStringThenItIsRefused422WrongTypeNotCoerced() {
        for (String quantity : List.of("1.5", "\"3\"", "2.0", "true")) {
            String body = "{\"usage_id\":\"u-f-" + quantity.length() + quantity.hashCode() + "\",\"meter\":\"tokens\",\"quantity\":" + quantity
                    + ",\"occurred_at\":\"2026-12-03T09:00:00Z\"}";
            assertRefusedField(tenant.post("/v1/usage", body, "float-" + quantity.hashCode()), "quantity", "wrong_type",
                    quantity);
        }
        String ok = "{\"usage_id\":\"u-int\",\"meter\":\"tokens\",\"quantity\":3,\"occurred_at\":\"2026-12-03T09:00:00Z\"}";
        assertThat(tenant.post("/v1/usage", ok, "int-1").status()).isEqualTo(201);
    }

    /**
     * A JSON integer beyond 64 bits is valid JSON with a value too large, not a malformed body: the answer names the
     * member, and nothing is recorded.
     */
    @Test
    void givenAQuantityBeyondA64BitIntegerThenItIsRefused422TooLargeNamingIt() {
        int before = entries();
        for (String quantity : List.of("9223372036854775808", "-9223372036854775809", "99999999999999999999")) {
            String body = "{\"usage_id\":\"u-big-" + quantity.hashCode() + "\",\"meter\":\"tokens\",\"quantity\":"
                    + quantity + ",\"occurred_at\":\"2026-12-03T09:00:00Z\"}";
            assertRefusedField(tenant.post("/v1/usage", body, "big-" + quantity.hashCode()), "quantity", "too_large",
                    quantity);
        }
        assertRefusedField(tenant.post("/v1/tenants/" + tenantId + "/verifications",
                "{\"from_sequence\":1,\"to_sequence\":18446744073709551616}"), "to_sequence", "too_large", "a range");
        assertThat(entries()).as("nothing recorded").isEqualTo(before);
    }

    /** 422 validation_failed whose first field error is {@code field} with {@code code} and a message. */
    private static void assertRefusedField(Answer a, String field, String code, String sent) {
        assertThat(a.status()).as(sent).isEqualTo(422);
        assertThat(a.code()).as(sent).isEqualTo("validation_failed");
        JsonNode error = a.body().get("errors").get(0);
        assertThat(error.get("field").asText()).as(sent).isEqualTo(field);
        assertThat(error.get("code").asText()).as(sent).isEqualTo(code);
        assertThat(error.path("message").asText()).as("the contract's {field, code, message}").isNotBlank();
    }

    @Test
    void givenAUsageReportQuantityAsAFloatThenItIsRefused422WrongType() {
        LedgerClient service = admin.withKey(admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
        String body = "{\"meter\":\"tokens\",\"window_start\":\"2026-12-03T09:00:00Z\",\"window_end\":\"2026-12-03T09:01:00Z\","
                + "\"quantity\":1.5,\"stripe_identifier\":\"sid-float\"}";
        Answer a = service.post("/v1/tenants/" + tenantId + "/usage-reports", body);
        assertThat(a.status()).isEqualTo(422);
        assertThat(a.body().get("errors").get(0).get("code").asText()).isEqualTo("wrong_type");
    }
}
