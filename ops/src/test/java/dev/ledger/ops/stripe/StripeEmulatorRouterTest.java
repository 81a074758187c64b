package dev.ledger.ops.stripe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a new resource gets from the router alone: a toy "widgets" resource, written the way the package documentation
 * says, is routed with its path parameters, has its v1 POSTs replayed by the one idempotency mechanism, lists through
 * {@link ListPage}, answers errors in its dialect's shape and forgets things on the call's time, with no code of its
 * own for any of that and without touching another resource.
 */
class StripeEmulatorRouterTest {
    private static final Instant T = Instant.parse("2026-03-10T12:30:00Z");
    private final EmulatorClock clock = new EmulatorClock(Clock.fixed(T, ZoneOffset.UTC));
    private final Widgets widgets = new Widgets();
    private final Router router = new Router(clock).add(widgets);

    /** A resource as a newcomer would add one. */
    private static final class Widgets implements StripeResource {
        final Map<String, Map<String, Object>> byId = new LinkedHashMap<>();
        int created;
        final List<Instant> expiredAt = new ArrayList<>();

        @Override
        public void routes(Router router) {
            router.post("/v1/widgets", this::create);
            router.get("/v1/widgets", call -> ListPage.of("/v1/widgets", newestFirst(), call.params()));
            router.get("/v1/widgets/{widget}", call -> widget(call.pathParam("widget")));
            router.get("/v1/widgets/search", call -> Map.of("object", "search_result"));
            router.post("/v2/widgets/{widget}/spin", call -> {
                widget(call.pathParam("widget"));
                throw StripeApiException.invalid(null, "speed", "Too fast.");
            });
        }

        @Override
        public void expire(Instant now) {
            expiredAt.add(now);
        }

        private Map<String, Object> create(ApiCall call) {
            String name = FormParams.requireString(call.params(), "name");
            created++;
            String id = "wid_" + created;
            Map<String, Object> w = Wire.ordered("id", id, "object", "widget", "created", call.nowSeconds(),
                    "name", name);
            byId.put(id, w);
            return w;
        }

        private Map<String, Object> widget(String id) {
            Map<String, Object> w = byId.get(id);
            if (w == null) {
                throw StripeApiException.noSuch("widget", id);
            }
            return w;
        }

        private List<Map<String, Object>> newestFirst() {
            List<Map<String, Object>> all = new ArrayList<>(byId.values());
            Collections.reverse(all);
            return all;
        }
    }

    private Router.Answer call(String method, String path, String body, String idempotencyKey) {
        return router.dispatch(new Router.Request(method, path, null,
                body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8), "sk_test_x", idempotencyKey));
    }

    private static JsonNode json(Router.Answer answer) throws IOException {
        return Wire.json().readTree(answer.body());
    }

    @Test
    void givenANewResource_thenItsRoutesAreMatchedWithPathParametersAndLiteralSegmentsWin() throws IOException {
        Router.Answer created = call("POST", "/v1/widgets", "name=gear", null);
        assertThat(created.status()).isEqualTo(200);
        assertThat(json(created).get("created").asLong()).as("the call's time").isEqualTo(T.getEpochSecond());

        assertThat(json(call("GET", "/v1/widgets/wid_1", null, null)).get("name").asText()).isEqualTo("gear");
        assertThat(json(call("GET", "/v1/widgets/wid%5F1", null, null)).get("id").asText())
                .as("segments are percent-decoded").isEqualTo("wid_1");
        assertThat(json(call("GET", "/v1/widgets/search", null, null)).get("object").asText())
                .isEqualTo("search_result");
        Router.Answer missing = call("GET", "/v1/widgets/wid_9", null, null);
        assertThat(missing.status()).isEqualTo(404);
        assertThat(json(missing).at("/error/code").asText()).isEqualTo("resource_missing");
    }

    @Test
    void givenAV1PostWithAnIdempotencyKey_thenTheRouterReplaysItForTheResourceFor24Hours() throws IOException {
        Router.Answer first = call("POST", "/v1/widgets", "name=gear", "k-1");
        Router.Answer replay = call("POST", "/v1/widgets", "name=gear", "k-1");

        assertThat(replay.replayed()).isTrue();
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(widgets.created).as("the handler ran once").isEqualTo(1);
        Router.Answer otherParams = call("POST", "/v1/widgets", "name=cog", "k-1");
        assertThat(otherParams.status()).isEqualTo(400);
        assertThat(json(otherParams).at("/error/type").asText()).isEqualTo("idempotency_error");
        Router.Answer refused = call("POST", "/v1/widgets", "", "k-2");
        assertThat(refused.status()).isEqualTo(400);
        assertThat(call("POST", "/v1/widgets", "name=gear", "k-2").status())
                .as("a refused call is not stored").isEqualTo(200);

        clock.advance(Duration.ofHours(24));
        Router.Answer later = call("POST", "/v1/widgets", "name=gear", "k-1");
        assertThat(later.replayed()).isFalse();
        assertThat(json(later).get("id").asText()).isEqualTo("wid_3");
    }

    @Test
    void givenAListRoute_thenListPagePagesItWithStripesCursors() throws IOException {
        for (int i = 0; i < 3; i++) {
            call("POST", "/v1/widgets", "name=w" + i, null);
        }
        JsonNode page = json(router.dispatch(new Router.Request("GET", "/v1/widgets", "limit=2", new byte[0],
                "sk_test_x", null)));
        assertThat(page.get("object").asText()).isEqualTo("list");
        assertThat(page.get("has_more").asBoolean()).isTrue();
        assertThat(page.at("/data/0/id").asText()).isEqualTo("wid_3");
        JsonNode next = json(router.dispatch(new Router.Request("GET", "/v1/widgets",
                "limit=2&starting_after=wid_2", new byte[0], "sk_test_x", null)));
        assertThat(next.at("/data/0/id").asText()).isEqualTo("wid_1");
        assertThat(next.get("has_more").asBoolean()).isFalse();
    }

    @Test
    void givenAnErrorOrAnUnknownPath_thenEachDialectAnswersInItsOwnShape() throws IOException {
        call("POST", "/v1/widgets", "name=gear", null);

        Router.Answer v2 = call("POST", "/v2/widgets/wid_1/spin", "{}", null);
        assertThat(v2.status()).isEqualTo(400);
        assertThat(json(v2).at("/error/code").asText()).as("v2 always has a code")
                .isEqualTo("invalid_request_error");
        assertThat(json(v2).at("/error/message").asText()).as("v2 has no param member: it joins the message")
                .isEqualTo("Too fast. (speed)");
        assertThat(json(call("POST", "/v2/widgets/wid_1/spin", "[]", null)).at("/error/code").asText())
                .isEqualTo("invalid_json");

        Router.Answer v1Unknown = call("GET", "/v1/gadgets", null, null);
        assertThat(v1Unknown.status()).isEqualTo(404);
        assertThat(json(v1Unknown).at("/error/message").asText())
                .startsWith("Unrecognized request URL (GET: /v1/gadgets)");
        assertThat(json(v1Unknown).at("/error/code").isMissingNode()).isTrue();
        assertThat(json(call("DELETE", "/v1/widgets", null, null)).at("/error/message").asText())
                .as("a known path with another method is unknown too").startsWith("Unrecognized request URL");
        assertThat(json(call("POST", "/v2/gadgets", "{}", null)).at("/error/code").asText()).isEqualTo("not_found");
        assertThat(json(call("GET", "/_emulator/gadgets", null, null)).at("/error/message").asText())
                .startsWith("Unrecognized emulator URL");
    }

    @Test
    void givenCalls_thenEachRouteCountsItsArrivalsAndResourcesExpireOnTheCallsTime() {
        router.arrived("POST", "/v1/widgets");
        router.arrived("POST", "/v1/widgets/");
        router.arrived("GET", "/v1/widgets");
        router.arrived("POST", "/v1/gadgets");
        assertThat(router.calls("POST", "/v1/widgets")).isEqualTo(2);
        assertThat(router.calls("GET", "/v1/widgets")).isEqualTo(1);
        assertThatThrownBy(() -> router.calls("POST", "/v1/gadgets")).isInstanceOf(IllegalArgumentException.class);

        clock.advance(Duration.ofMinutes(5));
        call("GET", "/v1/widgets", null, null);
        assertThat(widgets.expiredAt).containsExactly(T.plus(Duration.ofMinutes(5)));
    }

    @Test
    void givenARouteDeclaredTwice_thenTheRouterRefusesIt() {
        assertThatThrownBy(() -> router.get("/v1/widgets", call -> Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("GET /v1/widgets");
    }
}
