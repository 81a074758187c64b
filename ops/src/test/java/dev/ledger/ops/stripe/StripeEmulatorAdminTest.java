package dev.ledger.ops.stripe;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The emulator's own admin endpoints and raw wire format, over plain HTTP (not part of Stripe's API). */
class StripeEmulatorAdminTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper json = new ObjectMapper();
    private StripeEmulator emulator;

    @BeforeEach
    void start() {
        emulator = StripeEmulator.start(0);
    }

    @AfterEach
    void stop() {
        emulator.close();
    }

    private HttpResponse<String> call(String method, String path, String contentType, String body,
                                      String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(emulator.url() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthClockAndFaultEndpointsWorkWithoutAuth() throws Exception {
        HttpResponse<String> health = call("GET", "/_emulator/health", null, null, null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json.readTree(health.body()).get("status").asText()).isEqualTo("UP");

        Instant before = emulator.now();
        HttpResponse<String> advanced = call("POST", "/_emulator/clock", "application/json",
                "{\"advance_seconds\":3600}", null);
        assertThat(advanced.statusCode()).isEqualTo(200);
        assertThat(emulator.now()).isAfterOrEqualTo(before.plusSeconds(3600));
        assertThat(call("POST", "/_emulator/clock", "application/x-www-form-urlencoded",
                "advance_seconds=60", null).statusCode()).isEqualTo(200);
        assertThat(emulator.now()).isAfterOrEqualTo(before.plusSeconds(3660));

        HttpResponse<String> faults = call("POST", "/_emulator/faults", "application/json",
                "{\"fraction\":1,\"seed\":1,\"timeout_ms\":50}", null);
        assertThat(faults.statusCode()).isEqualTo(200);
        HttpResponse<String> faulted = call("GET", "/v1/customers", null, null, "Bearer sk_test_x");
        assertThat(faulted.statusCode()).isIn(429, 500);
        assertThat(call("GET", "/_emulator/health", null, null, null).statusCode())
                .as("admin endpoints are never faulted").isEqualTo(200);
        call("POST", "/_emulator/faults", "application/json", "{\"fraction\":0,\"seed\":0}", null);
        assertThat(call("GET", "/v1/customers", null, null, "Bearer sk_test_x").statusCode()).isEqualTo(200);
    }

    @Test
    void apiSpeaksStripesWireFormat() throws Exception {
        HttpResponse<String> noKey = call("GET", "/v1/customers", null, null, null);
        assertThat(noKey.statusCode()).isEqualTo(401);
        assertThat(json.readTree(noKey.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");

        HttpResponse<String> created = call("POST", "/v1/customers", "application/x-www-form-urlencoded",
                "email=a%40example.com&metadata[tier]=gold", "Bearer sk_test_x");
        JsonNode customer = json.readTree(created.body());
        assertThat(created.statusCode()).isEqualTo(200);
        assertThat(customer.get("object").asText()).isEqualTo("customer");
        assertThat(customer.get("email").asText()).isEqualTo("a@example.com");
        assertThat(customer.at("/metadata/tier").asText()).isEqualTo("gold");
        assertThat(customer.get("livemode").asBoolean()).isFalse();

        HttpResponse<String> unknown = call("GET", "/v1/nope", null, null, "Bearer sk_test_x");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json.readTree(unknown.body()).at("/error/message").asText()).startsWith("Unrecognized request URL");

        HttpResponse<String> badParam = call("POST", "/v1/billing/meter_events", "application/x-www-form-urlencoded",
                "event_name=x&bogus=1", "Bearer sk_test_x");
        assertThat(badParam.statusCode()).isEqualTo(400);
        assertThat(json.readTree(badParam.body()).at("/error/param").asText()).isEqualTo("bogus");

        HttpResponse<String> stats = call("GET", "/_emulator/stats", null, null, null);
        assertThat(json.readTree(stats.body()).get("meter_event_calls").asInt()).isEqualTo(1);
        assertThat(emulator.meterEventCalls()).isEqualTo(1);
    }

    @Test
    void v2EndpointsSpeakJsonAndAnswerErrorsInTheV2Shape() throws Exception {
        HttpResponse<String> created = call("POST", "/v2/billing/meter_event_session", "application/json", "{}",
                "Bearer sk_test_x");
        assertThat(created.statusCode()).isEqualTo(200);
        JsonNode session = json.readTree(created.body());
        assertThat(session.get("object").asText()).isEqualTo("v2.billing.meter_event_session");
        String token = session.get("authentication_token").asText();
        assertThat(Duration.between(Instant.parse(session.get("created").asText()),
                Instant.parse(session.get("expires_at").asText()))).isEqualTo(Duration.ofMinutes(15));

        HttpResponse<String> unknownToken = call("POST", "/v2/billing/meter_event_stream", "application/json",
                "{\"events\":[]}", "Bearer mes_tok_nope");
        assertThat(unknownToken.statusCode()).isEqualTo(401);
        assertV2Error(unknownToken, "invalid_request_error", "unauthorized");

        HttpResponse<String> sessionFromToken = call("POST", "/v2/billing/meter_event_session", "application/json",
                "{}", "Bearer " + token);
        assertThat(sessionFromToken.statusCode()).isEqualTo(401);

        HttpResponse<String> numberValue = call("POST", "/v2/billing/meter_event_stream", "application/json",
                "{\"events\":[{\"event_name\":\"x\",\"payload\":{\"value\":5}}]}", "Bearer " + token);
        assertThat(numberValue.statusCode()).isEqualTo(400);
        assertV2Error(numberValue, "invalid_request_error", "parameter_invalid_string");

        HttpResponse<String> notJson = call("POST", "/v2/billing/meter_event_stream", "application/json", "events=1",
                "Bearer " + token);
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertV2Error(notJson, "invalid_request_error", "invalid_json");

        emulator.advanceClock(Duration.ofMinutes(16));
        HttpResponse<String> expired = call("POST", "/v2/billing/meter_event_stream", "application/json",
                "{\"events\":[{\"event_name\":\"x\",\"payload\":{\"value\":\"5\"}}]}", "Bearer " + token);
        assertThat(expired.statusCode()).isEqualTo(401);
        assertV2Error(expired, "temporary_session_expired", "billing_meter_event_session_expired");

        emulator.injectFaults(1, 3);
        HttpResponse<String> faulted = call("POST", "/v2/billing/meter_event_stream", "application/json", "{}",
                "Bearer " + token);
        assertThat(faulted.statusCode()).isIn(429, 500);
        assertThat(json.readTree(faulted.body()).at("/error/code").asText()).isNotEmpty();
        emulator.injectFaults(0, 0);

        JsonNode stats = json.readTree(call("GET", "/_emulator/stats", null, null, null).body());
        assertThat(stats.get("meter_event_sessions_created").asInt()).isEqualTo(1);
        assertThat(stats.get("meter_event_sessions_expired").asInt()).isEqualTo(1);
        assertThat(stats.get("meter_event_stream_calls").asInt()).isEqualTo(5);
        assertThat(stats.get("meter_event_calls").asInt()).isZero();
    }

    private void assertV2Error(HttpResponse<String> response, String type, String code) throws Exception {
        JsonNode error = json.readTree(response.body()).get("error");
        assertThat(error.get("type").asText()).isEqualTo(type);
        assertThat(error.get("code").asText()).isEqualTo(code);
        assertThat(error.get("message").asText()).isNotBlank();
    }
}
