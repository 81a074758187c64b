package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.LedgerClient.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every error, whoever raises it (a handler, Spring MVC, a filter, Tomcat itself, an async timeout), answers RFC 9457
 * problem+json with its status and a stable code, and leaves no stack trace in the log.
 */
class ErrorResponsesTest {

    private static RunningLedger ledger;
    private static LedgerClient admin;
    private static LedgerClient tenantClient;
    private static String tenantKey;
    private static RequestRawHttp raw;
    private static RequestLogCapture log;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), ErrorInjection.PROPERTIES);
        log = RequestLogCapture.attach();
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        raw = new RequestRawHttp(ledger.url());
        String tenant = "err-" + System.nanoTime() % 100000;
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Errors")).status()).isEqualTo(201);
        tenantKey = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read")))
                .body().get("key").asText();
        tenantClient = admin.withKey(tenantKey);
    }

    @AfterAll
    static void stop() {
        log.close();
        ledger.close();
    }

    private static void assertProblem(int status, String code, String contentType, String body) {
        assertThat(contentType).startsWith("application/problem+json");
        var json = LedgerClient.parse(body);
        assertThat(json.path("status").asInt()).isEqualTo(status);
        assertThat(json.path("code").asText()).isEqualTo(code);
        assertThat(body).doesNotContain("\tat ").doesNotContain("Exception").doesNotContain("<html");
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return HTTP.send(b.header("Authorization", "Bearer " + tenantKey).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void givenAcceptTextHtmlOnAJsonEndpointThenItAnswers406ProblemJson() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/checkpoint-keys")).header("Accept", "text/html"));
        assertThat(r.statusCode()).isEqualTo(406);
        assertProblem(406, "not_acceptable", r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    /** JSON is the only representation: a format whose library happens to be on the class path is not served. */
    @Test
    void givenAcceptOfAnotherDataFormatThenItAnswers406ProblemJsonNotThatFormat() throws Exception {
        for (String format : List.of("application/yaml", "application/xml", "application/x-jackson-smile",
                "application/cbor")) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/caller"))
                    .header("Accept", format));
            assertThat(r.statusCode()).as(format).isEqualTo(406);
            assertProblem(406, "not_acceptable", r.headers().firstValue("Content-Type").orElse(""), r.body());
        }
        HttpResponse<String> json = send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/caller"))
                .header("Accept", "application/yaml;q=1, application/json;q=0.5"));
        assertThat(json.statusCode()).isEqualTo(200);
        assertThat(json.headers().firstValue("Content-Type").orElse("")).startsWith("application/json");
        assertThat(LedgerClient.parse(json.body()).path("kind").asText()).isEqualTo("tenant");
    }

    @Test
    void givenAMethodTheRouteDoesNotTakeThenItAnswers405ProblemJson() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/evaluations")).DELETE().header("Accept", "text/html"));
        assertThat(r.statusCode()).isEqualTo(405);
        assertProblem(405, "method_not_allowed", r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    @Test
    void givenABodyThatIsNotJsonThenItAnswers415ProblemJson() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/evaluations"))
                .POST(HttpRequest.BodyPublishers.ofString("hello")).header("Content-Type", "text/plain").header("Idempotency-Key", "k415"));
        assertThat(r.statusCode()).isEqualTo(415);
        assertProblem(415, "unsupported_media_type", r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    @Test
    void givenAnUnknownRouteWithAKeyThenItAnswers404ProblemJsonEvenToABrowser() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/not-a-route")).header("Accept", "text/html"));
        assertThat(r.statusCode()).isEqualTo(404);
        assertProblem(404, "not_found", r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    @Test
    void givenAFilterThatThrowsThenTheAnswerIs500ProblemJson() throws Exception {
        for (String kind : List.of("runtime", "error")) {
            HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/checkpoint-keys"))
                    .header("X-Inject-Failure", kind));
            assertThat(r.statusCode()).as(kind).isEqualTo(500);
            assertProblem(500, "internal_error", r.headers().firstValue("Content-Type").orElse(""), r.body());
            assertThat(r.body()).doesNotContain("injected");
        }
    }

    @Test
    void givenAnAsyncRequestThatTimesOutThenItAnswers503ProblemJson() throws Exception {
        HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/injected/never")));
        assertThat(r.statusCode()).isEqualTo(503);
        assertProblem(503, "request_timeout", r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    @Test
    void givenRequestsTomcatRefusesItselfThenTheyAnswerProblemJson() {
        for (String line : List.of("GET /v1/te nants HTTP/1.1", "GET /v1/<script> HTTP/1.1", "GET /v1/tenants%00x HTTP/1.1",
                "GET /v1/%2e%2e/%2e%2e/etc HTTP/1.1", "GET /v1/tenants/%zz HTTP/1.1")) {
            RequestRawHttp.Response r = raw.send(line, Map.of("Authorization", "Bearer " + tenantKey));
            assertThat(r.status()).as(line).isEqualTo(400);
            assertProblem(400, r.code(), r.header("Content-Type"), r.body());
            assertThat(r.body()).as(line).doesNotContain("Tomcat");
        }
        RequestRawHttp.Response badHeader = raw.send("GET /v1/checkpoint-keys HTTP/1.1", Map.of("Bad Header", "x"));
        assertThat(badHeader.status()).isEqualTo(400);
        assertProblem(400, badHeader.code(), badHeader.header("Content-Type"), badHeader.body());
    }

    @Test
    void givenAMalformedBodyThenTheAnswerIs400ProblemJson() {
        Answer a = tenantClient.post("/v1/evaluations", "{broken", "k-broken");
        assertThat(a.status()).isEqualTo(400);
        assertThat(a.code()).isEqualTo("malformed_json");
    }

    @Test
    void afterAllOfTheseTheLogHoldsNoStackTrace() throws Exception {
        givenAFilterThatThrowsThenTheAnswerIs500ProblemJson();
        givenAnAsyncRequestThatTimesOutThenItAnswers503ProblemJson();
        givenAcceptTextHtmlOnAJsonEndpointThenItAnswers406ProblemJson();
        givenRequestsTomcatRefusesItselfThenTheyAnswerProblemJson();
        givenAMethodTheRouteDoesNotTakeThenItAnswers405ProblemJson();
        assertThat(log.stackTraces()).isEmpty();
    }
}
