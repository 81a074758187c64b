package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.LedgerClient.Answer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Keys from issue to revocation: tenant keys and service keys, their chain entries, caching and the Stripe link. */
class AuthKeyLifecycleTest {

    private static RunningLedger ledger;
    private static LedgerClient admin;

    @BeforeAll
    static void start() {
        // failed authentications are expected by the hundred here: their per-source limit has its own test
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.rate-limit.failed-auth-per-minute", 1_000_000));
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
    }

    @AfterAll
    static void stop() {
        ledger.close();
    }

    private static String newTenant() {
        String id = "kl-" + System.nanoTime() % 1_000_000;
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", id, "name", "Keys " + id)).status()).isEqualTo(201);
        return id;
    }

    record Probe(long startedNanos, int status) {
    }

    /** Waits until {@code n} answered probes match (at most 30 s). */
    private static void awaitProbes(ConcurrentLinkedQueue<Probe> probes, java.util.function.Predicate<Probe> which, int n) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (probes.stream().filter(which).count() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("fewer than " + n + " probes answered in 30 s");
            }
            java.util.concurrent.locks.LockSupport.parkNanos(1_000_000L);
        }
    }

    @Test
    void givenRequestsHammeringAKeyWhenItIsRevokedThenEveryRequestStartedAfterThe204Answers401() throws Exception {
        String tenant = newTenant();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 6; round++) {
                Answer issued = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("audit:read")));
                LedgerClient key = admin.withKey(issued.body().get("key").asText());
                assertThat(key.get("/v1/tenants/" + tenant).status()).isEqualTo(200);
                AtomicBoolean stop = new AtomicBoolean();
                ConcurrentLinkedQueue<Probe> probes = new ConcurrentLinkedQueue<>();
                List<java.util.concurrent.Future<?>> hammers = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    hammers.add(pool.submit(() -> {
                        while (!stop.get()) {
                            long started = System.nanoTime();
                            probes.add(new Probe(started, key.get("/v1/tenants/" + tenant).status()));
                        }
                    }));
                }
                awaitProbes(probes, p -> p.status() == 200, 16); // the hammers are at work with the live key
                Answer revoked = admin.delete("/v1/tenants/" + tenant + "/api-keys/" + issued.body().get("key_id").asText());
                long answered = System.nanoTime();
                assertThat(revoked.status()).isEqualTo(204);
                awaitProbes(probes, p -> p.startedNanos() > answered, 16); // and went on after the 204
                stop.set(true);
                for (var h : hammers) {
                    h.get(30, TimeUnit.SECONDS);
                }
                List<Probe> after = probes.stream().filter(p -> p.startedNanos() > answered).toList();
                assertThat(after).as("requests started after the 204 (round %d)", round).isNotEmpty();
                assertThat(after).as("round %d", round).allSatisfy(p -> assertThat(p.status()).isEqualTo(401));
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void givenTheAdminWhenIssuingAndRevokingAServiceKeyThenBothAreEntriesOfTheSystemChainWithTheActor() {
        Answer issued = admin.post("/v1/service-keys", Map.of());
        assertThat(issued.status()).isEqualTo(201);
        assertThat(issued.header("Cache-Control")).contains("no-store");
        String keyId = issued.body().get("key_id").asText();
        LedgerClient service = admin.withKey(issued.body().get("key").asText());
        String tenant = newTenant();
        assertThat(service.put("/v1/tenants/" + tenant + "/stripe-customer", Map.of("stripe_customer_id", "cus_Svc1")).status()).isEqualTo(200);

        assertThat(admin.delete("/v1/service-keys/" + keyId).status()).isEqualTo(204);
        assertThat(service.put("/v1/tenants/" + newTenant() + "/stripe-customer", Map.of("stripe_customer_id", "cus_Svc2")).status())
                .isEqualTo(401);
        assertThat(admin.delete("/v1/service-keys/" + keyId).status()).isEqualTo(404);

        List<JsonNode> entries = new ArrayList<>();
        admin.get("/v1/tenants/_system/entries?limit=1000").body().get("entries").forEach(entries::add);
        assertThat(entries.get(0).get("type").asText()).isEqualTo("TenantRegistered");
        JsonNode issue = entries.stream().filter(e -> e.get("type").asText().equals("ApiKeyIssued")
                && e.get("payload").get("key_id").asText().equals(keyId)).findFirst().orElseThrow();
        assertThat(issue.get("payload").get("actor").asText()).isEqualTo("admin");
        assertThat(issue.get("payload").get("scopes").toString()).isEqualTo("[\"billing:write\"]");
        JsonNode revoke = entries.stream().filter(e -> e.get("type").asText().equals("ApiKeyRevoked")
                && e.get("payload").get("key_id").asText().equals(keyId)).findFirst().orElseThrow();
        assertThat(revoke.get("payload").get("actor").asText()).isEqualTo("admin");
        assertThat(revoke.get("sequence").asLong()).isGreaterThan(issue.get("sequence").asLong());
        assertThat(admin.post("/v1/tenants/_system/verifications", Map.of()).body().get("status").asText()).isEqualTo("VALID");
    }

    @Test
    void theSystemChainIsNoTenant() {
        admin.post("/v1/service-keys", Map.of());
        Answer register = admin.post("/v1/tenants", Map.of("tenant_id", "_system", "name", "mine"));
        assertThat(register.status()).isEqualTo(422);
        assertThat(admin.post("/v1/tenants/_system/api-keys", Map.of("scopes", List.of("evaluations:write"))).status()).isEqualTo(404);
        assertThat(admin.post("/v1/tenants/_system/suspend", Map.of("reason", "x")).status()).isEqualTo(404);
    }

    @Test
    void givenAServiceKeyThenItLinksAStripeCustomerOnlyToATenantWithoutOne() {
        LedgerClient service = admin.withKey(admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
        String tenant = newTenant();
        assertThat(service.put("/v1/tenants/" + tenant + "/stripe-customer", Map.of("stripe_customer_id", "cus_First")).status()).isEqualTo(200);
        Answer same = service.put("/v1/tenants/" + tenant + "/stripe-customer", Map.of("stripe_customer_id", "cus_First"));
        assertThat(same.status()).isEqualTo(200);
        Answer other = service.put("/v1/tenants/" + tenant + "/stripe-customer", Map.of("stripe_customer_id", "cus_Other"));
        assertThat(other.status()).isEqualTo(409);
        assertThat(other.code()).isEqualTo("stripe_customer_already_linked");
        assertThat(admin.get("/v1/tenants/" + tenant).body().get("stripe_customer_id").asText()).isEqualTo("cus_First");
    }

    @Test
    void givenANewTenantKeyThenItsAnswerIsNeverStored() {
        String tenant = newTenant();
        Answer issued = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("audit:read")));
        assertThat(issued.status()).isEqualTo(201);
        assertThat(issued.header("Cache-Control")).contains("no-store");
    }
}
