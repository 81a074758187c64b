package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.model.Customer;
import com.stripe.model.Price;
import com.stripe.model.Product;
import com.stripe.model.billing.Meter;
import com.stripe.net.Webhook;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.PriceCreateParams;
import com.stripe.param.ProductCreateParams;
import com.stripe.param.SubscriptionCreateParams;
import com.stripe.param.billing.MeterCreateParams;
import dev.ledger.api.LedgerClient.Answer;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.ops.stripe.StripeEmulator;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Stripe's webhooks into the ledger, delivered by the Stripe emulator (signed as Stripe signs, retried, duplicated,
 * shuffled) and, for the refusals, by hand with stripe-java's own HMAC: a verified event is one entry in the chain
 * of the tenant owning its customer, an event nobody owns is held, and a bad, stale, future or unknown-secret signature
 * answers 400 and records nothing.
 */
class StripeWebhookIntakeTest {

    private static final String OLD_SECRET = "whsec_intake_old_0123456789";
    private static final String NEW_SECRET = "whsec_intake_new_9876543210";

    private static RunningLedger ledger;
    private static LedgerClient admin;
    private static StripeEmulator emulator;
    private static StripeClient stripe;
    private static String price;
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.stripe.webhook.secrets", OLD_SECRET + "," + NEW_SECRET));
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        emulator = StripeEmulator.start(0, Clock.systemUTC());
        emulator.webhookEndpoint(ledger.url() + "/v1/webhooks/stripe", OLD_SECRET, NEW_SECRET);
        stripe = StripeClient.builder().setApiKey("sk_test_intake").setApiBase(emulator.url()).build();
        Meter meter = stripe.v1().billing().meters().create(MeterCreateParams.builder().setDisplayName("Evaluations")
                .setEventName("evaluations").setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                        .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build()).build());
        Product product = stripe.v1().products().create(ProductCreateParams.builder().setName("Ledger").build());
        Price p = stripe.v1().prices().create(PriceCreateParams.builder().setCurrency("usd").setProduct(product.getId())
                .setUnitAmount(3L).setRecurring(PriceCreateParams.Recurring.builder()
                        .setInterval(PriceCreateParams.Recurring.Interval.MONTH)
                        .setUsageType(PriceCreateParams.Recurring.UsageType.METERED).setMeter(meter.getId()).build()).build());
        price = p.getId();
    }

    @AfterAll
    static void stop() {
        if (emulator != null) {
            emulator.close();
        }
        if (ledger != null) {
            ledger.close();
        }
    }

    private static String customer() throws Exception {
        Customer c = stripe.v1().customers().create(CustomerCreateParams.builder().setName("Intake").build());
        return c.getId();
    }

    private static String tenantOf(String customer) {
        String t = "hook-" + System.nanoTime() % 10_000_000;
        Answer created = admin.post("/v1/tenants", Map.of("tenant_id", t, "name", "Tenant " + t, "stripe_customer_id", customer));
        assertThat(created.status()).as(created.raw().body()).isEqualTo(201);
        return t;
    }

    private static void subscribe(String customer) throws Exception {
        stripe.v1().subscriptions().create(SubscriptionCreateParams.builder().setCustomer(customer)
                .addItem(SubscriptionCreateParams.Item.builder().setPrice(price).build()).build());
    }

    private static List<JsonNode> stripeEntries(String tenant) {
        Answer page = admin.get("/v1/tenants/" + tenant + "/entries?after=0&limit=1000");
        assertThat(page.status()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        page.body().get("entries").forEach(e -> {
            if (e.get("type").asText().equals("StripeEventRecorded")) {
                out.add(e);
            }
        });
        return out;
    }

    private static int entryCount(String tenant) {
        return admin.get("/v1/tenants/" + tenant + "/entries?after=0&limit=1000").body().get("entries").size();
    }

    private static List<JsonNode> held() {
        Answer a = admin.get("/v1/webhooks/stripe/held?limit=1000");
        assertThat(a.status()).as(a.raw().body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        a.body().get("held").forEach(out::add);
        return out;
    }

    private static HttpResponse<String> deliver(String body, String signature) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(ledger.url() + "/v1/webhooks/stripe"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (signature != null) {
            b.header("Stripe-Signature", signature);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String sign(String body, long t, String... secrets) throws Exception {
        StringBuilder s = new StringBuilder("t=").append(t);
        for (String secret : secrets) {
            s.append(",v1=").append(Webhook.Util.computeHmacSha256(secret, t + "." + body));
        }
        return s.toString();
    }

    private static String invoicePaid(String eventId, String customer) {
        return "{\"id\":\"" + eventId + "\",\"object\":\"event\",\"type\":\"invoice.paid\",\"created\":"
                + (System.currentTimeMillis() / 1000) + ",\"livemode\":false,\"api_version\":\"2026-07-29.dahlia\","
                + "\"data\":{\"object\":{\"id\":\"in_" + eventId.substring(4) + "\",\"object\":\"invoice\",\"customer\":\""
                + customer + "\",\"status\":\"paid\",\"amount_paid\":1200,\"currency\":\"usd\"}}}";
    }

    private static long now() {
        return System.currentTimeMillis() / 1000;
    }

    @Test
    void givenStripesDeliveriesWhenTheCustomerIsATenantsThenEachEventIsOneEntryOfItsChainAndRedeliveriesAddNothing()
            throws Exception {
        String customer = customer();
        String tenant = tenantOf(customer);
        subscribe(customer);
        StripeEmulator.WebhookReport first = emulator.deliverWebhooks();
        assertThat(first.failed()).isZero();
        List<JsonNode> recorded = stripeEntries(tenant);
        assertThat(recorded).extracting(e -> e.get("payload").get("event_type").asText()).containsExactly(
                "customer.subscription.created", "invoice.created", "invoice.finalized", "invoice.paid",
                "customer.subscription.updated");
        JsonNode paid = recorded.get(3).get("payload");
        assertThat(paid.get("object_type").asText()).isEqualTo("invoice");
        assertThat(paid.get("data").get("object").get("customer").asText()).isEqualTo(customer);
        assertThat(paid.get("data").get("object").get("status").asText()).isEqualTo("paid");
        assertThat(paid.get("created").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");

        // each of the next events three times, in a shuffled order: one entry per event id all the same
        emulator.duplicateWebhooks(3);
        emulator.shuffleWebhooks(7L);
        try {
            subscribe(customer);
            StripeEmulator.WebhookReport repeated = emulator.deliverWebhooks();
            assertThat(repeated.failed()).isZero();
            assertThat(repeated.delivered()).isEqualTo(15);
        } finally {
            emulator.duplicateWebhooks(1);
            emulator.shuffleWebhooks(null);
        }
        List<JsonNode> after = stripeEntries(tenant);
        Set<String> ids = new LinkedHashSet<>();
        after.forEach(e -> ids.add(e.get("payload").get("event_id").asText()));
        assertThat(after).hasSize(10);
        assertThat(ids).hasSize(10);
        assertThat(admin.post("/v1/tenants/" + tenant + "/verifications", Map.of()).body().get("status").asText())
                .isEqualTo("VALID");
    }

    @Test
    void givenAnEventOfACustomerNoTenantOwnsThenItIsHeldOnceUntilATenantOwnsTheCustomerThenRecordedInOrder() throws Exception {
        String stranger = customer();
        subscribe(stranger);
        assertThat(emulator.deliverWebhooks().failed()).isZero();
        List<JsonNode> mine = held().stream().filter(h -> h.get("customer_id").asText().equals(stranger)).toList();
        assertThat(mine).hasSize(5).allSatisfy(h -> assertThat(h.get("reason").asText()).isEqualTo("unknown_customer"));

        String body = invoicePaid("evt_held" + System.nanoTime(), stranger);
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> r = deliver(body, sign(body, now(), NEW_SECRET));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(LedgerClient.parse(r.body()).get("status").asText()).isEqualTo("held");
        }
        List<JsonNode> waiting = held().stream().filter(h -> h.get("customer_id").asText().equals(stranger)).toList();
        assertThat(waiting).hasSize(6);

        // once a tenant owns the customer, what waited is recorded in its chain, in the order received, and no longer held
        String owner = tenantOf(stranger);
        assertThat(stripeEntries(owner)).extracting(e -> e.get("payload").get("event_id").asText())
                .containsExactlyElementsOf(waiting.stream().map(h -> h.get("event_id").asText()).toList());
        assertThat(held().stream().filter(h -> h.get("customer_id").asText().equals(stranger)).toList()).isEmpty();
        HttpResponse<String> redelivered = deliver(body, sign(body, now(), NEW_SECRET));
        assertThat(LedgerClient.parse(redelivered.body()).get("status").asText()).isEqualTo("recorded");
        assertThat(redelivered.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(stripeEntries(owner)).hasSize(6);

        // a thin event (API v2) names its object instead of carrying it: held, never refused (Stripe would retry for days)
        String thin = "{\"id\":\"evt_thin" + System.nanoTime() + "\",\"object\":\"v2.core.event\","
                + "\"type\":\"v1.billing.meter.error_report_triggered\",\"created\":\"2026-12-04T10:00:00.123Z\","
                + "\"livemode\":false,\"related_object\":{\"id\":\"mtr_1\",\"type\":\"billing.meter\","
                + "\"url\":\"/v1/billing/meters/mtr_1\"}}";
        HttpResponse<String> thinAnswer = deliver(thin, sign(thin, now(), NEW_SECRET));
        assertThat(thinAnswer.statusCode()).as(thinAnswer.body()).isEqualTo(200);
        assertThat(LedgerClient.parse(thinAnswer.body()).get("reason").asText()).isEqualTo("thin_event");
        assertThat(held()).anySatisfy(h -> assertThat(h.get("event_type").asText()).isEqualTo("v1.billing.meter.error_report_triggered"));

        Answer anonymous = new LedgerClient(ledger.url(), null).get("/v1/webhooks/stripe/held");
        assertThat(anonymous.status()).isEqualTo(401);
    }

    @Test
    void givenABadStaleFutureOrUnknownSignatureThen400AndNothingRecordedAndARolledSecretWorks() throws Exception {
        String customer = customer();
        String tenant = tenantOf(customer);
        int entriesBefore = entryCount(tenant);
        int heldBefore = held().size();
        String body = invoicePaid("evt_sig" + System.nanoTime(), customer);

        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put("missing", null);
        refused.put("malformed", "v1=abc");
        refused.put("bad signature", "t=" + now() + ",v1=" + "0".repeat(64));
        refused.put("unknown secret", sign(body, now(), "whsec_somebody_else"));
        refused.put("another body", sign(body.replace("1200", "1"), now(), NEW_SECRET));
        for (Map.Entry<String, String> c : refused.entrySet()) {
            HttpResponse<String> r = deliver(body, c.getValue());
            assertThat(r.statusCode()).as(c.getKey() + ": " + r.body()).isEqualTo(400);
            assertThat(r.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(LedgerClient.parse(r.body()).get("code").asText()).as(c.getKey()).isEqualTo("webhook_signature_invalid");
        }
        for (long skew : new long[] {-301, 301, -3600, 86_400}) {
            HttpResponse<String> r = deliver(body, sign(body, now() + skew, NEW_SECRET));
            assertThat(r.statusCode()).as("skew " + skew + ": " + r.body()).isEqualTo(400);
            assertThat(LedgerClient.parse(r.body()).get("code").asText()).isEqualTo("webhook_timestamp_outside_tolerance");
        }
        assertThat(entryCount(tenant)).isEqualTo(entriesBefore);
        assertThat(held()).hasSize(heldBefore);

        // signed with the new secret only (the old one removed at Stripe), 200 s early: recorded, once
        HttpResponse<String> rolled = deliver(body, sign(body, now() - 200, NEW_SECRET));
        assertThat(rolled.statusCode()).as(rolled.body()).isEqualTo(200);
        JsonNode receipt = LedgerClient.parse(rolled.body());
        assertThat(receipt.get("status").asText()).isEqualTo("recorded");
        assertThat(receipt.get("tenant_id").asText()).isEqualTo(tenant);
        assertThat(receipt.get("sequence").asLong()).isEqualTo(entriesBefore + 1);
        HttpResponse<String> again = deliver(body, sign(body, now(), OLD_SECRET));
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(LedgerClient.parse(again.body()).get("hash").asText()).isEqualTo(receipt.get("hash").asText());
        assertThat(entryCount(tenant)).isEqualTo(entriesBefore + 1);

        String notJson = "{\"id\":";
        HttpResponse<String> malformed = deliver(notJson, sign(notJson, now(), NEW_SECRET));
        assertThat(malformed.statusCode()).isEqualTo(400);
        assertThat(LedgerClient.parse(malformed.body()).get("code").asText()).isEqualTo("malformed_json");

        String notAnEvent = "{\"id\":\"evt_x\",\"object\":\"charge\"}";
        HttpResponse<String> invalid = deliver(notAnEvent, sign(notAnEvent, now(), NEW_SECRET));
        assertThat(invalid.statusCode()).isEqualTo(422);
        assertThat(LedgerClient.parse(invalid.body()).get("code").asText()).isEqualTo("webhook_event_invalid");
    }

    @Test
    void givenNoSecretConfiguredThenEveryEventIsRefusedWith503() throws Exception {
        try (RunningLedger unconfigured = RunningLedger.start(SharedInfrastructure.get(), Map.of())) {
            String body = invoicePaid("evt_none" + System.nanoTime(), "cus_Nobody1");
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(unconfigured.url() + "/v1/webhooks/stripe"))
                    .header("Content-Type", "application/json").header("Stripe-Signature", sign(body, now(), NEW_SECRET))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(LedgerClient.parse(r.body()).get("code").asText()).isEqualTo("webhooks_not_configured");
        }
    }

    @Test
    void givenAnEventWhoseWebhookNeverCameWhenAServiceKeySubmitsItThenItIsRecordedOnceWhicheverWayItComesAndNoOtherKeyMay()
            throws Exception {
        String customer = customer();
        String tenant = tenantOf(customer);
        String eventId = "evt_lost" + System.nanoTime();
        String body = invoicePaid(eventId, customer);
        Map<String, Object> event = LedgerJson.mapper().readValue(body, new com.fasterxml.jackson.core.type.TypeReference<>() { });
        LedgerClient service = admin.withKey(admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
        LedgerClient tenantKey = admin.withKey(admin.post("/v1/tenants/" + tenant + "/api-keys",
                Map.of("scopes", List.of("evaluations:write"))).body().get("key").asText());

        assertThat(admin.withKey(null).post("/v1/stripe-events", event).status()).isEqualTo(401);
        Answer refused = tenantKey.post("/v1/stripe-events", event);
        assertThat(refused.status()).isEqualTo(403);
        assertThat(refused.body().get("code").asText()).isEqualTo("insufficient_scope");
        assertThat(stripeEntries(tenant)).isEmpty();

        Answer recorded = service.post("/v1/stripe-events", event);
        assertThat(recorded.status()).as(recorded.raw().body()).isEqualTo(200);
        assertThat(recorded.body().get("status").asText()).isEqualTo("recorded");
        assertThat(recorded.body().get("tenant_id").asText()).isEqualTo(tenant);
        assertThat(recorded.raw().headers().firstValue("Idempotent-Replayed")).isEmpty();
        Answer again = service.post("/v1/stripe-events", event);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.raw().headers().firstValue("Idempotent-Replayed")).contains("true");
        assertThat(again.body().get("sequence").asLong()).isEqualTo(recorded.body().get("sequence").asLong());
        // the webhook arriving late after all adds nothing either
        HttpResponse<String> late = deliver(body, sign(body, now(), NEW_SECRET));
        assertThat(late.statusCode()).isEqualTo(200);
        assertThat(late.headers().firstValue("Idempotent-Replayed")).contains("true");

        List<JsonNode> entries = stripeEntries(tenant);
        assertThat(entries).extracting(e -> e.get("payload").get("event_id").asText()).containsExactly(eventId);
        assertThat(entries.get(0).get("payload").get("data").get("object").get("status").asText()).isEqualTo("paid");

        Answer notAnEvent = service.post("/v1/stripe-events", Map.of("id", "evt_x", "object", "invoice"));
        assertThat(notAnEvent.status()).isEqualTo(422);
        assertThat(notAnEvent.body().get("code").asText()).isEqualTo("webhook_event_invalid");
    }
}
