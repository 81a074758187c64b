package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.LedgerClient.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the console asks of the API besides finance: who a key is, the tenants it may pick, a chain's head, and
 * verification runs whose progress can be read while they go; and how the console itself is served (no key needed for
 * its files, a strict Content-Security-Policy, nothing else on the class path published).
 */
class ConsoleApiTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static RunningLedger ledger;
    private static LedgerClient admin;
    private static String tenant;
    private static String other;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get());
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        tenant = "cap-" + System.nanoTime() % 100_000_000;
        other = tenant + "-b";
        for (String t : List.of(tenant, other)) {
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", t, "name", "Console " + t)).status()).isEqualTo(201);
        }
    }

    @AfterAll
    static void stop() {
        if (ledger != null) {
            ledger.close();
        }
    }

    private static LedgerClient key(String t, String... scopes) {
        return admin.withKey(admin.post("/v1/tenants/" + t + "/api-keys", Map.of("scopes", List.of(scopes))).body().get("key").asText());
    }

    private static HttpResponse<String> plain(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(ledger.url() + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void givenKeysOfEachKindWhenTheyAskWhoTheyAreThenTheyAreToldTheirKindTenantAndScopes() {
        JsonNode a = admin.get("/v1/caller").body();
        assertThat(a.get("kind").asText()).isEqualTo("admin");
        assertThat(a.get("scopes")).extracting(JsonNode::asText).contains("audit:read", "finance:read", "billing:write");
        JsonNode t = key(tenant, "finance:read", "audit:read").get("/v1/caller").body();
        assertThat(t.get("kind").asText()).isEqualTo("tenant");
        assertThat(t.get("tenant_id").asText()).isEqualTo(tenant);
        assertThat(t.get("scopes")).extracting(JsonNode::asText).containsExactly("audit:read", "finance:read");
        assertThat(t.toString()).doesNotContain("lk_");
        LedgerClient service = admin.withKey(admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
        assertThat(service.get("/v1/caller").body().get("kind").asText()).isEqualTo("service");
        assertThat(admin.withKey("lk_nobody_nothing").get("/v1/caller").status()).isEqualTo(401);
    }

    @Test
    void givenTenantsWhenListedThenTheAdminPagesThroughAllAndATenantKeySeesOnlyItsOwn() {
        List<String> seen = new ArrayList<>();
        String after = "";
        int pages = 0;
        while (after != null) {
            JsonNode page = admin.get("/v1/tenants?limit=2&after=" + after).body();
            page.get("tenants").forEach(x -> seen.add(x.get("tenant_id").asText()));
            after = page.has("next_after") ? page.get("next_after").asText() : null;
            assertThat(++pages).isLessThan(10_000);
        }
        assertThat(seen).contains(tenant, other).isSorted().doesNotHaveDuplicates().noneMatch(id -> id.startsWith("_"));
        assertThat(key(tenant, "finance:read").get("/v1/tenants").body().get("tenants")).extracting(x -> x.get("tenant_id").asText())
                .containsExactly(tenant);
        LedgerClient service = admin.withKey(admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
        assertThat(service.get("/v1/tenants").status()).isEqualTo(403);
        assertThat(admin.get("/v1/tenants?limit=0").body().get("code").asText()).isEqualTo("invalid_parameter");
    }

    @Test
    void givenAChainWhenAnAuditorStartsAVerificationRunThenItsProgressEndsInTheVerdictAndItIsRecorded() {
        LedgerClient auditor = key(tenant, "audit:read");
        LedgerClient writer = key(tenant, "evaluations:write");
        for (int i = 0; i < 5; i++) {
            assertThat(writer.post("/v1/evaluations", LedgerClient.evaluation("ev-" + i), "ev-" + i).status()).isEqualTo(201);
        }
        JsonNode head = auditor.get("/v1/tenants/" + tenant + "/head").body();
        long sequence = head.get("sequence").asLong();
        assertThat(sequence).isGreaterThanOrEqualTo(8);
        JsonNode last = auditor.get("/v1/tenants/" + tenant + "/entries?after=" + (sequence - 1)).body().get("entries").get(0);
        assertThat(head.get("hash").asText()).isEqualTo(last.get("hash").asText());
        assertThat(head.get("recorded_at").asText()).isEqualTo(last.get("recorded_at").asText());

        Answer started = auditor.post("/v1/tenants/" + tenant + "/verification-runs", Map.of());
        assertThat(started.status()).isEqualTo(202);
        String runId = started.body().get("run_id").asText();
        assertThat(started.raw().headers().firstValue("Location").orElse(""))
                .isEqualTo("/v1/tenants/" + tenant + "/verification-runs/" + runId);
        JsonNode run = started.body();
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (run.get("state").asText().equals("running")) {
            assertThat(System.nanoTime()).as("the run ended").isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // poll
            run = auditor.get("/v1/tenants/" + tenant + "/verification-runs/" + runId).body();
        }
        assertThat(run.get("state").asText()).isEqualTo("done");
        assertThat(run.get("from_sequence").asLong()).isEqualTo(1);
        assertThat(run.get("to_sequence").asLong()).isEqualTo(sequence);
        assertThat(run.get("checked").asLong()).isEqualTo(sequence);
        assertThat(run.get("verification").get("status").asText()).isEqualTo("VALID");
        assertThat(run.get("verification").get("head_sequence").asLong()).isEqualTo(sequence);
        assertThat(run.has("finished_at")).isTrue();
        // the verdict is in the chain, as a synchronous verification's is
        JsonNode recorded = auditor.get("/v1/tenants/" + tenant + "/entries?type=VerificationRecorded").body().get("entries");
        assertThat(recorded).isNotEmpty();
        JsonNode verdict = recorded.get(recorded.size() - 1).get("payload");
        assertThat(verdict.get("status").asText()).isEqualTo("VALID");
        assertThat(verdict.get("to_sequence").asLong()).isEqualTo(sequence);

        // another tenant's auditor finds neither the chain nor the run; a key without audit:read may not start one
        LedgerClient stranger = key(other, "audit:read");
        assertThat(stranger.get("/v1/tenants/" + tenant + "/verification-runs/" + runId).status()).isEqualTo(404);
        assertThat(stranger.get("/v1/tenants/" + other + "/verification-runs/" + runId).status()).isEqualTo(404);
        assertThat(stranger.post("/v1/tenants/" + tenant + "/verification-runs", Map.of()).status()).isEqualTo(404);
        assertThat(stranger.get("/v1/tenants/" + tenant + "/head").status()).isEqualTo(404);
        assertThat(key(tenant, "finance:read").post("/v1/tenants/" + tenant + "/verification-runs", Map.of()).status()).isEqualTo(403);

        // a range beyond the head fails as the synchronous call would, with its code
        Answer beyond = auditor.post("/v1/tenants/" + tenant + "/verification-runs", Map.of("to_sequence", sequence + 1000));
        JsonNode failed = beyond.body();
        while (failed.get("state").asText().equals("running")) {
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // poll
            failed = auditor.get("/v1/tenants/" + tenant + "/verification-runs/" + failed.get("run_id").asText()).body();
        }
        assertThat(failed.get("state").asText()).isEqualTo("failed");
        assertThat(failed.get("problem").get("code").asText()).isEqualTo("invalid_range");
    }

    @Test
    void givenTheConsoleWhenFetchedWithoutAKeyThenItsFilesComeWithAStrictPolicyAndNothingElseIsServed() throws Exception {
        for (String path : List.of("/console", "/console/", "/console/index.html")) {
            HttpResponse<String> page = plain(path);
            assertThat(page.statusCode()).as(path).isEqualTo(200);
            assertThat(page.body()).contains("<title>Ledger console</title>");
            String csp = page.headers().firstValue("Content-Security-Policy").orElse("");
            assertThat(csp).contains("default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
                    "frame-ancestors 'none'").doesNotContain("unsafe-inline", "unsafe-eval", "http:", "https:");
            assertThat(page.headers().firstValue("X-Content-Type-Options")).contains("nosniff");
        }
        HttpResponse<String> chart = plain("/console/vendor/uplot/uPlot.iife.min.js");
        assertThat(chart.statusCode()).isEqualTo(200);
        assertThat(chart.body()).contains("uPlot");
        assertThat(plain("/console/console.js").body()).contains("sessionStorage");
        // no inline script or style anywhere in the page: the policy would refuse it
        String html = plain("/console").body();
        assertThat(html).doesNotContainPattern("<script(?![^>]*\\ssrc=)").doesNotContain("<style", " style=", "onclick=", "onload=");
        // the webjar itself, class path resources and unknown console files are not served
        assertThat(plain("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js").statusCode()).isIn(401, 404);
        assertThat(admin.get("/webjars/uplot/1.6.30/dist/uPlot.iife.min.js").status()).isEqualTo(404);
        assertThat(admin.get("/application.properties").status()).isEqualTo(404);
        assertThat(plain("/console/nothing.js").statusCode()).isEqualTo(404);
        assertThat(plain("/console/../application.properties").statusCode()).isIn(400, 404);
    }
}
