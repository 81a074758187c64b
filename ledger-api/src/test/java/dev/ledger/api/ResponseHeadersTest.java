package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every family of answer carries the security headers (an API answer a policy that loads nothing, the console its own),
 * HSTS only over TLS or when told the service is behind TLS, and large answers are compressed when the client asks.
 */
class ResponseHeadersTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static RunningLedger ledger;
    private static RunningLedger behindTls;
    private static String tenant;
    private static String tenantKey;

    @BeforeAll
    static void start() throws Exception {
        ledger = RunningLedger.start(SharedInfrastructure.get());
        behindTls = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.behind-tls", "true"));
        LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        tenant = "hdr-" + System.nanoTime() % 100_000_000;
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Headers")).status()).isEqualTo(201);
        tenantKey = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write", "audit:read",
                "finance:read"))).body().get("key").asText();
        LargeTenantRows.append(SharedInfrastructure.get().postgres.jdbcUrl(), tenant, 400);
    }

    @AfterAll
    static void stop() {
        for (RunningLedger l : new RunningLedger[] {ledger, behindTls}) {
            if (l != null) {
                l.close();
            }
        }
    }

    private static HttpResponse<byte[]> send(String base, String method, String path, String key, Map<String, String> headers,
                                             String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static void assertSecure(String what, HttpHeaders h, boolean console) {
        assertThat(h.firstValue("X-Content-Type-Options")).as(what).contains("nosniff");
        assertThat(h.firstValue("X-Frame-Options")).as(what).contains("DENY");
        assertThat(h.firstValue("Referrer-Policy")).as(what).contains("no-referrer");
        String csp = h.firstValue("Content-Security-Policy").orElse("");
        assertThat(csp).as(what).contains("default-src 'none'", "frame-ancestors 'none'");
        if (console) {
            assertThat(csp).as(what).contains("script-src 'self'");
        } else {
            assertThat(csp).as(what).doesNotContain("script-src");
        }
        assertThat(h.firstValue("Strict-Transport-Security")).as(what + ": no HSTS over plain HTTP").isEmpty();
    }

    @Test
    void givenEachFamilyOfAnswerThenItCarriesTheSecurityHeaders() throws Exception {
        String url = ledger.url();
        Map<String, HttpResponse<byte[]>> answers = new LinkedHashMap<>();
        answers.put("liveness 200", send(url, "GET", "/health", null, Map.of(), null));
        answers.put("readiness", send(url, "GET", "/ready", null, Map.of(), null));
        answers.put("no key 401", send(url, "GET", "/v1/tenants", null, Map.of(), null));
        answers.put("JSON 200", send(url, "GET", "/v1/tenants/" + tenant, tenantKey, Map.of(), null));
        answers.put("another tenant 404", send(url, "GET", "/v1/tenants/nobody-here", tenantKey, Map.of(), null));
        answers.put("wrong method 405", send(url, "DELETE", "/v1/tenants/" + tenant + "/entries", tenantKey, Map.of(), null));
        answers.put("malformed body 400", send(url, "POST", "/v1/evaluations", tenantKey, Map.of("Content-Type", "application/json",
                "Idempotency-Key", "hdr-1"), "{broken"));
        answers.put("non-canonical path 400", send(url, "GET", "/v1/tenants/a;b", tenantKey, Map.of(), null));
        answers.put("streamed export", send(url, "GET", "/v1/tenants/" + tenant + "/export", tenantKey, Map.of(), null));
        answers.put("CSV", send(url, "GET", "/v1/finance/usage?tenant_id=" + tenant, tenantKey, Map.of("Accept", "text/csv"), null));
        answers.put("OpenAPI", send(url, "GET", "/v3/api-docs", null, Map.of(), null));
        answers.put("metrics", send(url, "GET", "/actuator/prometheus", null, Map.of(), null));
        answers.forEach((what, r) -> {
            assertThat(r.statusCode()).as(what).isNotEqualTo(500);
            assertSecure(what + " (" + r.statusCode() + ")", r.headers(), false);
        });
        assertThat(answers.get("no key 401").statusCode()).isEqualTo(401);
        assertThat(answers.get("non-canonical path 400").statusCode()).isEqualTo(400);
        for (String path : List.of("/console", "/console/console.js", "/console/nothing.js")) {
            HttpResponse<byte[]> r = send(url, "GET", path, null, Map.of(), null);
            assertSecure(path + " (" + r.statusCode() + ")", r.headers(), true);
        }
        // a request Tomcat refuses itself, before any filter: its problem+json carries them too
        RequestRawHttp.Response refused = new RequestRawHttp(url).send("GET /v1/te nants HTTP/1.1", Map.of());
        assertThat(refused.status()).isEqualTo(400);
        assertThat(refused.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(refused.header("Content-Security-Policy")).contains("default-src 'none'");
    }

    @Test
    void givenTheServiceIsBehindTlsThenEveryAnswerAsksForHsts() throws Exception {
        for (String path : List.of("/health", "/v1/tenants", "/console", "/v1/nothing")) {
            HttpResponse<byte[]> r = send(behindTls.url(), "GET", path, null, Map.of(), null);
            assertThat(r.headers().firstValue("Strict-Transport-Security")).as(path + " (" + r.statusCode() + ")")
                    .contains("max-age=31536000; includeSubDomains");
        }
    }

    @Test
    void givenAClientThatAcceptsGzipThenLargeAnswersComeCompressedAndUnchanged() throws Exception {
        String url = ledger.url();
        for (Map.Entry<String, String> e : Map.of("/v1/tenants/" + tenant + "/entries?limit=1000", "application/json",
                "/v1/tenants/" + tenant + "/export", "application/x-ndjson").entrySet()) {
            HttpResponse<byte[]> plain = send(url, "GET", e.getKey(), tenantKey, Map.of("Accept", e.getValue()), null);
            HttpResponse<byte[]> gzipped = send(url, "GET", e.getKey(), tenantKey, Map.of("Accept", e.getValue(),
                    "Accept-Encoding", "gzip"), null);
            assertThat(plain.statusCode()).isEqualTo(200);
            assertThat(plain.headers().firstValue("Content-Encoding")).as(e.getKey() + " unasked").isEmpty();
            assertThat(gzipped.headers().firstValue("Content-Encoding")).as(e.getKey()).contains("gzip");
            assertThat(gzipped.body().length).as(e.getKey() + " smaller").isLessThan(plain.body().length / 2);
            // the same answer (an export's header line names when it was made)
            assertThat(withoutExportTime(gunzip(gzipped.body()))).as(e.getKey())
                    .isEqualTo(withoutExportTime(new String(plain.body(), StandardCharsets.UTF_8)));
        }
    }

    private static String withoutExportTime(String body) {
        return body.replaceFirst("\"exported_at\":\"[^\"]+\"", "");
    }

    private static String gunzip(byte[] bytes) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
