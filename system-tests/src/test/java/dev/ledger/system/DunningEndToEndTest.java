package dev.ledger.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.model.Customer;
import com.stripe.model.Invoice;
import com.stripe.model.Price;
import com.stripe.model.Product;
import com.stripe.model.billing.Meter;
import com.stripe.model.testhelpers.TestClock;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.CustomerUpdateParams;
import com.stripe.param.InvoiceListParams;
import com.stripe.param.PriceCreateParams;
import com.stripe.param.ProductCreateParams;
import com.stripe.param.SubscriptionCreateParams;
import com.stripe.param.billing.MeterCreateParams;
import com.stripe.param.billing.MeterEventCreateParams;
import com.stripe.param.testhelpers.TestClockAdvanceParams;
import com.stripe.param.testhelpers.TestClockCreateParams;
import dev.ledger.api.LedgerClient;
import dev.ledger.api.MovableClock;
import dev.ledger.api.RunningLedger;
import dev.ledger.api.SharedInfrastructure;
import dev.ledger.invoice.InvoiceWorker;
import dev.ledger.invoice.InvoiceWorkerConfig;
import dev.ledger.ops.stripe.StripeEmulator;
import java.net.InetAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Dunning through the whole system, its time moved by the clocks, never slept: a tenant's card is declined when its
 * month's invoice finalizes, so the invoice-worker marks it PAST_DUE through the ledger's API; ledger-api and the worker
 * restart inside the grace period and nothing changes; the worker's clock passes the grace period's end and the
 * tenant is SUSPENDED (its writes answer 402); the invoice is paid and the tenant is ACTIVE again. Each of the three
 * entries names the Stripe event that caused it, one the ledger itself recorded from Stripe's webhook.
 */
class DunningEndToEndTest {

    private static final String SECRET = "whsec_dunning_0123456789";

    @Test
    void givenADeclinedCardThenPastDueSurvivesRestartsIsSuspendedAfterGraceAndIsActiveOncePaid() throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String topic = "e2e.dunning." + System.nanoTime();
        MovableClock clock = new MovableClock();
        ZonedDateTime now = clock.instant().atZone(ZoneOffset.UTC);
        Instant monthStart = now.toLocalDate().withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant monthEnd = now.toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        Map<String, Object> ledgerSettings = Map.of("ledger.entries-topic", topic, "ledger.stripe.webhook.secrets", SECRET);
        RunningLedger ledger = RunningLedger.start(infra, ledgerSettings, clock);
        InvoiceWorker worker = null;
        try (StripeEmulator emulator = StripeEmulator.start(0, clock)) {
            emulator.webhookEndpoint(ledger.url() + "/v1/webhooks/stripe", SECRET);
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String serviceKey = admin.post("/v1/service-keys", Map.of()).body().get("key").asText();
            worker = worker(infra, topic, ledger, serviceKey, clock);

            StripeClient stripe = StripeClient.builder().setApiKey("sk_test_e2e_dunning").setApiBase(emulator.url())
                    .setMeterEventsBase(emulator.url()).setMaxNetworkRetries(0).build();
            Meter meter = stripe.v1().billing().meters().create(MeterCreateParams.builder().setDisplayName("Evaluations")
                    .setEventName("evaluations").setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                            .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build()).build());
            Product product = stripe.v1().products().create(ProductCreateParams.builder().setName("Ledger").build());
            Price price = stripe.v1().prices().create(PriceCreateParams.builder().setCurrency("eur").setProduct(product.getId())
                    .setUnitAmount(7L).setRecurring(PriceCreateParams.Recurring.builder()
                            .setInterval(PriceCreateParams.Recurring.Interval.MONTH)
                            .setUsageType(PriceCreateParams.Recurring.UsageType.METERED).setMeter(meter.getId()).build()).build());
            TestClock testClock = stripe.v1().testHelpers().testClocks().create(TestClockCreateParams.builder()
                    .setFrozenTime(monthStart.getEpochSecond()).build());
            Customer customer = stripe.v1().customers().create(CustomerCreateParams.builder().setName("Dunned")
                    .setTestClock(testClock.getId()).setInvoiceSettings(CustomerCreateParams.InvoiceSettings.builder()
                            .setDefaultPaymentMethod("pm_card_chargeDeclined").build()).build());
            String tenant = "dun-" + System.nanoTime() % 1_000_000;
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Dunned", "stripe_customer_id",
                    customer.getId())).status()).isEqualTo(201);
            String tenantKey = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("usage:write")))
                    .body().get("key").asText();
            stripe.v1().subscriptions().create(SubscriptionCreateParams.builder().setCustomer(customer.getId())
                    .addItem(SubscriptionCreateParams.Item.builder().setPrice(price.getId()).build()).build());
            Instant usageAt = monthStart.plus(Duration.between(monthStart, clock.instant()).dividedBy(2));
            stripe.v1().billing().meterEvents().create(MeterEventCreateParams.builder().setEventName("evaluations")
                    .setIdentifier("dun-1").setTimestamp(usageAt.getEpochSecond())
                    .putPayload("stripe_customer_id", customer.getId()).putPayload("value", "10").build());
            deliver(emulator);
            advance(stripe, testClock, monthEnd.plusSeconds(1800)); // the month's draft
            deliver(emulator);
            advance(stripe, testClock, monthEnd.plusSeconds(1800 + 3600)); // finalized: the declined card fails
            deliver(emulator);

            assertThat(status(admin, tenant, "PAST_DUE")).isEqualTo("PAST_DUE");
            JsonNode pastDue = statusEntries(admin, tenant).get(0);
            assertThat(pastDue.get("type").asText()).isEqualTo("TenantMarkedPastDue");
            Map<String, String> stripeEvents = stripeEvents(admin, tenant);
            assertThat(stripeEvents.get(cause(pastDue).get("stripe_event_id").asText())).isEqualTo("invoice.payment_failed");
            assertThat(cause(pastDue).get("amount").asLong()).isEqualTo(70);
            assertThat(cause(pastDue).get("grace_policy").asText()).isEqualTo("P7D");
            Instant graceUntil = Instant.parse(pastDue.get("payload").get("grace_until").asText());
            assertThat(graceUntil).isBetween(clock.instant().plus(Duration.ofDays(7)).minusSeconds(120),
                    clock.instant().plus(Duration.ofDays(7)));
            assertThat(usage(ledger, tenantKey, clock, "in-grace")).as("a PAST_DUE tenant still records").isEqualTo(201);

            // both services restart inside the grace period: the deadline is in the worker's database, nothing moves
            worker.close();
            worker = null;
            ledger.close();
            clock.advance(Duration.ofDays(6));
            ledger = RunningLedger.start(infra, ledgerSettings, clock);
            admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            emulator.webhookEndpoint(ledger.url() + "/v1/webhooks/stripe", SECRET);
            worker = worker(infra, topic, ledger, serviceKey, clock);
            int entriesBefore = entries(admin, tenant).size();
            EndToEndTest.eventually(Duration.ofSeconds(30), () -> graceEndScheduled(infra, tenant) && nothingPending(infra, tenant)
                    ? Boolean.TRUE : null);
            assertThat(admin.get("/v1/tenants/" + tenant).body().get("status").asText()).isEqualTo("PAST_DUE");
            assertThat(entries(admin, tenant)).hasSize(entriesBefore);

            clock.advance(Duration.between(clock.instant(), graceUntil).plusSeconds(60)); // past the grace period's end
            assertThat(status(admin, tenant, "SUSPENDED")).isEqualTo("SUSPENDED");
            JsonNode suspended = statusEntries(admin, tenant).get(1);
            assertThat(suspended.get("type").asText()).isEqualTo("TenantSuspended");
            assertThat(cause(suspended).get("stripe_event_id").asText()).isEqualTo(cause(pastDue).get("stripe_event_id").asText());
            assertThat(suspended.get("payload").get("reason").asText()).contains("P7D").contains(cause(pastDue).get("invoice_id").asText());
            assertThat(usage(ledger, tenantKey, clock, "suspended")).as("a SUSPENDED tenant's writes").isEqualTo(402);

            stripe.v1().customers().update(customer.getId(), CustomerUpdateParams.builder().setInvoiceSettings(
                    CustomerUpdateParams.InvoiceSettings.builder().setDefaultPaymentMethod("pm_card_visa").build()).build());
            Invoice open = stripe.v1().invoices().list(InvoiceListParams.builder().setCustomer(customer.getId())
                    .setStatus(InvoiceListParams.Status.OPEN).build()).getData().get(0);
            assertThat(open.getId()).isEqualTo(cause(pastDue).get("invoice_id").asText());
            stripe.v1().invoices().pay(open.getId());
            deliver(emulator);

            assertThat(status(admin, tenant, "ACTIVE")).isEqualTo("ACTIVE");
            List<JsonNode> changes = statusEntries(admin, tenant);
            assertThat(changes).extracting(e -> e.get("type").asText())
                    .containsExactly("TenantMarkedPastDue", "TenantSuspended", "TenantReactivated");
            JsonNode reactivated = changes.get(2);
            stripeEvents = stripeEvents(admin, tenant);
            assertThat(stripeEvents.get(cause(reactivated).get("stripe_event_id").asText()))
                    .isIn("invoice.paid", "invoice.payment_succeeded");
            assertThat(cause(reactivated).get("amount").asLong()).isEqualTo(70);
            assertThat(changes).allSatisfy(e -> assertThat(e.get("payload").get("actor").asText()).startsWith("key:"));
            assertThat(usage(ledger, tenantKey, clock, "paid")).isEqualTo(201);
            assertThat(admin.post("/v1/tenants/" + tenant + "/verifications", Map.of()).body().get("status").asText())
                    .isEqualTo("VALID");
        } finally {
            if (worker != null) {
                worker.close();
            }
            ledger.close();
        }
    }

    private static InvoiceWorker worker(SharedInfrastructure infra, String topic, RunningLedger ledger, String serviceKey,
                                        MovableClock clock) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("DATABASE_URL", infra.postgres.jdbcUrl());
        env.put("KAFKA_BOOTSTRAP_SERVERS", infra.kafka.bootstrapServers());
        env.put("INVOICE_WORKER_PORT", "0");
        env.put("INVOICE_WORKER_TOPIC", topic);
        env.put("INVOICE_WORKER_GROUP", "invoice-worker-" + topic);
        env.put("LEDGER_API_URL", ledger.url());
        env.put("LEDGER_SERVICE_KEY", serviceKey);
        env.put("INVOICE_WORKER_DUNNING_INTERVAL_MS", "200");
        return InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(env), InetAddress.getLoopbackAddress(), clock);
    }

    private static String status(LedgerClient admin, String tenant, String expected) throws InterruptedException {
        return EndToEndTest.eventually(Duration.ofSeconds(60), () -> {
            String s = admin.get("/v1/tenants/" + tenant).body().get("status").asText();
            return s.equals(expected) ? s : null;
        });
    }

    private static int usage(RunningLedger ledger, String key, MovableClock clock, String id) {
        return new LedgerClient(ledger.url(), key).post("/v1/usage", Map.of("usage_id", id, "meter", "evaluations",
                "quantity", 1, "occurred_at", clock.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString()),
                "dun-" + id).status();
    }

    private static List<JsonNode> entries(LedgerClient admin, String tenant) {
        List<JsonNode> out = new ArrayList<>();
        admin.get("/v1/tenants/" + tenant + "/entries?after=0&limit=1000").body().get("entries").forEach(out::add);
        return out;
    }

    /** The tenant's status changes after its registration, in chain order. */
    private static List<JsonNode> statusEntries(LedgerClient admin, String tenant) {
        Set<String> types = Set.of("TenantMarkedPastDue", "TenantSuspended", "TenantReactivated");
        return entries(admin, tenant).stream().filter(e -> types.contains(e.get("type").asText())).toList();
    }

    /** The Stripe events the ledger recorded in the tenant's chain: id to type. */
    private static Map<String, String> stripeEvents(LedgerClient admin, String tenant) {
        Map<String, String> out = new LinkedHashMap<>();
        for (JsonNode e : entries(admin, tenant)) {
            if (e.get("type").asText().equals("StripeEventRecorded")) {
                out.put(e.get("payload").get("event_id").asText(), e.get("payload").get("event_type").asText());
            }
        }
        return out;
    }

    private static JsonNode cause(JsonNode statusEntry) {
        return statusEntry.get("payload").get("cause");
    }

    private static boolean graceEndScheduled(SharedInfrastructure infra, String tenant) {
        return !query(infra, "select task_instance from invoice_worker_scheduled_tasks where task_name = "
                + "'invoice-worker-grace-end' and task_instance like '" + tenant + "@%'").isEmpty();
    }

    private static boolean nothingPending(SharedInfrastructure infra, String tenant) {
        return query(infra, "select tenant_id from invoice_worker_dunning_pending where tenant_id = '" + tenant + "'").isEmpty();
    }

    private static Set<String> query(SharedInfrastructure infra, String sql) {
        Set<String> out = new TreeSet<>();
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl()); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static void advance(StripeClient stripe, TestClock clock, Instant to) throws Exception {
        stripe.v1().testHelpers().testClocks().advance(clock.getId(), TestClockAdvanceParams.builder()
                .setFrozenTime(to.getEpochSecond()).build());
    }

    private static void deliver(StripeEmulator emulator) {
        assertThat(emulator.deliverWebhooks().failed()).as("every delivery acknowledged").isZero();
    }
}
