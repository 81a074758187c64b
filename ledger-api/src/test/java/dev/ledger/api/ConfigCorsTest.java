package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Browsers may call the API from the LEDGER_CORS_ORIGINS origins only; a preflight needs no key. */
class ConfigCorsTest {

    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> preflight(String url, String origin) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url + "/v1/evaluations"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization,content-type,idempotency-key").build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void givenAnAllowedOrigin_whenItsBrowserSendsAPreflight_thenItIsAllowedWithoutAKey() throws Exception {
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(),
                Map.of("ledger.cors-origins", "https://console.example.com,https://audit.example.com"))) {
            HttpResponse<String> allowed = preflight(ledger.url(), "https://audit.example.com");

            assertThat(allowed.statusCode()).isEqualTo(200);
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://audit.example.com");
            assertThat(String.join(",", allowed.headers().allValues("Vary")).toLowerCase()).contains("origin");
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Methods").orElse("")).contains("POST");
            assertThat(allowed.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase())
                    .contains("authorization", "idempotency-key");

            HttpResponse<String> other = preflight(ledger.url(), "https://evil.example.net");
            assertThat(other.statusCode()).isEqualTo(403);
            assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
            assertThat(other.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
            assertThat(other.body()).contains("\"code\":\"cors_origin_refused\"");
        }
    }

    @Test
    void givenNoAllowlist_thenNoOriginIsAllowed() throws Exception {
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get())) {
            HttpResponse<String> answer = preflight(ledger.url(), "https://console.example.com");

            assertThat(answer.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
            // and no answer varies by origin, so a shared cache keeps one copy whatever page asked
            HttpResponse<String> keys = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/checkpoint-keys"))
                            .header("Origin", "https://console.example.com").build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(keys.statusCode()).isEqualTo(200);
            assertThat(String.join(",", keys.headers().allValues("Vary")).toLowerCase()).doesNotContain("origin");
        }
    }
}
