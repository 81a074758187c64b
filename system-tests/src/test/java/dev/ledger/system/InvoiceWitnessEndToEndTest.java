package dev.ledger.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.model.Customer;
import com.stripe.model.Invoice;
import com.stripe.model.InvoiceLineItem;
import com.stripe.model.Price;
import com.stripe.model.Product;
import com.stripe.model.billing.Meter;
import com.stripe.model.testhelpers.TestClock;
import com.stripe.param.CustomerCreateParams;
import com.stripe.param.InvoiceListParams;
import com.stripe.param.PriceCreateParams;
import com.stripe.param.ProductCreateParams;
import com.stripe.param.SubscriptionCreateParams;
import com.stripe.param.billing.MeterCreateParams;
import com.stripe.param.testhelpers.TestClockAdvanceParams;
import com.stripe.param.testhelpers.TestClockCreateParams;
import dev.ledger.api.LedgerClient;
import dev.ledger.api.MovableClock;
import dev.ledger.api.RunningLedger;
import dev.ledger.api.SharedInfrastructure;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKeys;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.verify.BundleVerification;
import dev.ledger.core.verify.BundleVerifier;
import dev.ledger.invoice.InvoiceWorker;
import dev.ledger.invoice.InvoiceWorkerConfig;
import dev.ledger.meter.MeterReader;
import dev.ledger.meter.MeterReaderConfig;
import dev.ledger.meter.MeterReaderPolicy;
import dev.ledger.ops.stripe.StripeEmulator;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every invoice witnessed by the ledger, through the whole system: ledger-api, the meter-reader and the invoice-worker
 * on one movable clock, the Stripe emulator's test clocks moving each customer's billing month. Three tenants record
 * evaluations; the meter-reader bills them to Stripe's meter; at the month's end each subscription's draft invoice is
 * reconciled (the ledger's count, Stripe's meter, the invoice's line) and witnessed: its metadata holds the ledger's
 * signed checkpoint, which the offline verifier holds against an export of the tenant's chain. One tenant's chain is
 * tampered with before the month ends: its invoice is held (auto_advance off), the ledger records why and the alert
 * metric rises, while the others finalize; another's meter holds units the ledger never recorded: its invoice is held
 * as {@code quantity_mismatch}. A second month for one tenant: its second invoice's record proves the tree
 * grew from the first invoice's checkpoint.
 */
class InvoiceWitnessEndToEndTest {

    private static final String SECRET = "whsec_witness_0123456789";
    private static final Duration WINDOW = Duration.ofSeconds(20);
    private static final Duration IDLE_CLOSE = Duration.ofSeconds(2);

    private record Billed(String tenant, String customer, TestClock clock, LedgerClient client) {
    }

    @Test
    void givenABillingMonthThenEachInvoiceCarriesAVerifyingCheckpointATamperedChainsIsHeldAndMonthTwoProvesConsistency()
            throws Exception {
        SharedInfrastructure infra = SharedInfrastructure.get();
        String topic = "e2e.witness." + System.nanoTime();
        MovableClock clock = new MovableClock();
        ZonedDateTime now = clock.instant().atZone(ZoneOffset.UTC);
        Instant monthStart = now.toLocalDate().withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant monthEnd = now.toLocalDate().withDayOfMonth(1).plusMonths(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant month2End = now.toLocalDate().withDayOfMonth(1).plusMonths(2).atStartOfDay(ZoneOffset.UTC).toInstant();
        try (RunningLedger ledger = RunningLedger.start(infra, Map.of("ledger.entries-topic", topic,
                "ledger.stripe.webhook.secrets", SECRET), clock);
             StripeEmulator emulator = StripeEmulator.start(0, clock)) {
            emulator.webhookEndpoint(ledger.url() + "/v1/webhooks/stripe", SECRET);
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            StripeClient stripe = StripeClient.builder().setApiKey("sk_test_e2e_witness").setApiBase(emulator.url())
                    .setMeterEventsBase(emulator.url()).setMaxNetworkRetries(0).build();
            Meter meter = stripe.v1().billing().meters().create(MeterCreateParams.builder().setDisplayName("Evaluations")
                    .setEventName("evaluations").setDefaultAggregation(MeterCreateParams.DefaultAggregation.builder()
                            .setFormula(MeterCreateParams.DefaultAggregation.Formula.SUM).build())
                    .setCustomerMapping(MeterCreateParams.CustomerMapping.builder().setEventPayloadKey("stripe_customer_id")
                            .setType(MeterCreateParams.CustomerMapping.Type.BY_ID).build())
                    .setValueSettings(MeterCreateParams.ValueSettings.builder().setEventPayloadKey("value").build()).build());
            Product product = stripe.v1().products().create(ProductCreateParams.builder().setName("Ledger").build());
            Price price = stripe.v1().prices().create(PriceCreateParams.builder().setCurrency("eur").setProduct(product.getId())
                    .setUnitAmount(7L).setRecurring(PriceCreateParams.Recurring.builder()
                            .setInterval(PriceCreateParams.Recurring.Interval.MONTH)
                            .setUsageType(PriceCreateParams.Recurring.UsageType.METERED).setMeter(meter.getId()).build()).build());

            Map<String, String> env = new HashMap<>();
            env.put("DATABASE_URL", infra.postgres.jdbcUrl());
            env.put("KAFKA_BOOTSTRAP_SERVERS", infra.kafka.bootstrapServers());
            env.put("STRIPE_API_BASE", emulator.url());
            env.put("LEDGER_API_URL", ledger.url());
            env.put("LEDGER_SERVICE_KEY", admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
            env.put("METER_READER_PORT", "0");
            env.put("METER_READER_TOPIC", topic);
            env.put("METER_READER_GROUP", "meter-reader-" + topic);
            env.put("METER_WINDOW_SECONDS", Long.toString(WINDOW.toSeconds()));
            env.put("METER_IDLE_CLOSE_SECONDS", Long.toString(IDLE_CLOSE.toSeconds()));
            env.put("INVOICE_WORKER_PORT", "0");
            env.put("INVOICE_WORKER_TOPIC", topic);
            env.put("INVOICE_WORKER_GROUP", "invoice-worker-" + topic);
            env.put("INVOICE_WORKER_DUNNING_INTERVAL_MS", "200");
            env.put("INVOICE_WORKER_RECONCILE_INTERVAL_SECONDS", "3600");
            try (MeterReader meterReader = MeterReader.start(MeterReaderConfig.fromEnv(env), MeterReaderPolicy.fromEnv(env), clock);
                 InvoiceWorker worker = InvoiceWorker.start(InvoiceWorkerConfig.fromEnv(env), InetAddress.getLoopbackAddress(), clock)) {
                List<Billed> billed = new ArrayList<>();
                int[] usage = {5, 7, 3, 2};
                for (int t = 0; t < usage.length; t++) {
                    billed.add(subscribe(stripe, admin, price, monthStart, "w" + t));
                }
                deliver(emulator);
                for (int t = 0; t < usage.length; t++) {
                    evaluations(billed.get(t).client(), usage[t], "m1");
                }
                billUsage(infra, emulator, stripe, clock, billed, meter, usage, monthStart, monthEnd);
                // tenant w3's meter gets 4 units the ledger never recorded: its invoice would bill 6 for the ledger's 2
                Billed overbilled = billed.get(3);
                stripe.v1().billing().meterEvents().create(com.stripe.param.billing.MeterEventCreateParams.builder()
                        .setEventName("evaluations").setIdentifier("not-from-the-ledger").setTimestamp(clock.instant().getEpochSecond() - 60)
                        .putPayload("stripe_customer_id", overbilled.customer()).putPayload("value", "4").build());

                // tenant w2's chain is tampered with before the month ends: one of its evaluations rewritten in the database
                Billed tampered = billed.get(2);
                try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl()); Statement s = c.createStatement()) {
                    s.execute("set session_replication_role = replica");
                    s.execute("update domain_event_entry set payload = overlay(payload placing '\\x58'::bytea from 12 for 1) "
                            + "where aggregate_identifier = '" + tampered.tenant() + "' and payload_type = 'EvaluationRecorded' "
                            + "and sequence_number = (select min(sequence_number) from domain_event_entry where aggregate_identifier = '"
                            + tampered.tenant() + "' and payload_type = 'EvaluationRecorded')");
                }

                for (Billed b : billed) {
                    advance(stripe, b.clock(), monthEnd.plusSeconds(1800)); // the month's draft
                }
                deliver(emulator);
                List<Invoice> drafts = new ArrayList<>();
                for (Billed b : billed) {
                    drafts.add(EndToEndTest.eventually(Duration.ofSeconds(60), () -> {
                        Invoice i = monthInvoice(stripe, b.customer(), monthEnd);
                        return i != null && (i.getMetadata().containsKey("ledger_checkpoint") || i.getMetadata().containsKey("ledger_hold"))
                                ? i : null;
                    }));
                }
                for (Billed b : billed) {
                    advance(stripe, b.clock(), monthEnd.plusSeconds(1800 + 3600)); // past the draft window
                }
                deliver(emulator);

                CheckpointKeys keys = CheckpointKeys.fromJson(admin.withKey(null).get("/v1/checkpoint-keys").body());
                for (int t = 0; t < 2; t++) {
                    Billed b = billed.get(t);
                    Invoice invoice = stripe.v1().invoices().retrieve(drafts.get(t).getId());
                    assertThat(invoice.getStatus()).as(b.tenant()).isIn("open", "paid");
                    long invoiced = 0;
                    for (InvoiceLineItem line : stripe.v1().invoices().lineItems().list(invoice.getId()).getData()) {
                        invoiced += line.getQuantity() == null ? 0 : line.getQuantity();
                    }
                    assertThat(invoiced).as("the invoice's metered quantity is the ledger's total").isEqualTo(usage[t]);
                    Checkpoint checkpoint = Checkpoint.fromMetadata(invoice.getMetadata().get("ledger_checkpoint"));
                    assertThat(checkpoint.tenantId()).isEqualTo(b.tenant());
                    assertThat(keys.verify(checkpoint)).as("signed with the published key").isTrue();
                    BundleVerification offline = offline(ledger, admin, b.tenant(), keys, checkpoint);
                    assertThat(offline.valid()).as(offline.summary()).isTrue();
                    JsonNode witnessed = entries(admin, b.tenant(), "InvoiceWitnessed").get(0).get("payload");
                    assertThat(witnessed.get("invoice_id").asText()).isEqualTo(invoice.getId());
                    assertThat(witnessed.get("quantities").get(0).get("ledger").asLong()).isEqualTo(usage[t]);
                    assertThat(witnessed.get("quantities").get(0).get("stripe").asLong()).isEqualTo(usage[t]);
                }

                Invoice held = stripe.v1().invoices().retrieve(drafts.get(2).getId());
                assertThat(held.getStatus()).as("the tampered tenant's invoice is not finalized").isEqualTo("draft");
                assertThat(held.getAutoAdvance()).isFalse();
                assertThat(held.getMetadata()).containsEntry("ledger_hold", "chain_broken").doesNotContainKey("ledger_checkpoint");
                JsonNode hold = entries(admin, tampered.tenant(), "InvoiceHeld").get(0).get("payload");
                assertThat(hold.get("invoice_id").asText()).isEqualTo(held.getId());
                assertThat(hold.get("reason").asText()).isEqualTo("chain_broken");
                assertThat(hold.get("detail").asText()).contains("hash_mismatch");
                Invoice mismatched = stripe.v1().invoices().retrieve(drafts.get(3).getId());
                assertThat(mismatched.getStatus()).isEqualTo("draft");
                assertThat(mismatched.getMetadata()).containsEntry("ledger_hold", "quantity_mismatch");
                JsonNode mismatch = entries(admin, overbilled.tenant(), "InvoiceHeld").get(0).get("payload");
                assertThat(mismatch.get("reason").asText()).isEqualTo("quantity_mismatch");
                assertThat(mismatch.get("detail").asText()).isEqualTo("evaluations: ledger 2, Stripe 6, invoiced 6");
                assertThat(entries(admin, overbilled.tenant(), "InvoiceWitnessed")).isEmpty();
                assertThat(metric(worker.port(), "invoice_worker_invoices_held")).as("the alert metric").isEqualTo(2.0);

                // month two for w0: more evaluations, its second invoice proves the tree grew from the first's checkpoint
                Billed second = billed.get(0);
                clock.advance(Duration.between(clock.instant(), monthEnd).plusHours(2));
                evaluations(second.client(), 4, "m2");
                billUsage(infra, emulator, stripe, clock, List.of(second), meter, new int[] {4}, monthEnd, month2End);
                advance(stripe, second.clock(), month2End.plusSeconds(1800));
                deliver(emulator);
                Invoice next = EndToEndTest.eventually(Duration.ofSeconds(60), () -> {
                    Invoice i = monthInvoice(stripe, second.customer(), month2End);
                    return i != null && i.getMetadata().containsKey("ledger_checkpoint") ? i : null;
                });
                List<JsonNode> witnesses = entries(admin, second.tenant(), "InvoiceWitnessed");
                assertThat(witnesses).hasSize(2);
                JsonNode record = witnesses.get(1).get("payload");
                assertThat(record.get("invoice_id").asText()).isEqualTo(next.getId());
                Checkpoint first = Checkpoint.fromJson(witnesses.get(0).get("payload").get("checkpoint"));
                Checkpoint latest = Checkpoint.fromMetadata(next.getMetadata().get("ledger_checkpoint"));
                assertThat(record.get("previous").get("invoice_id").asText()).isEqualTo(drafts.get(0).getId());
                assertThat(record.get("previous").get("size").asLong()).isEqualTo(first.size());
                List<byte[]> proof = new ArrayList<>();
                record.get("consistency_proof").forEach(h -> proof.add(Hex.parse(h.asText())));
                assertThat(MerkleTree.verifyConsistency(first.size(), latest.size(), first.rootHash(), latest.rootHash(), proof))
                        .as("the second invoice's record proves the first checkpoint's tree is a prefix of the second's").isTrue();
                // the offline verifier holds one export against both invoices' checkpoints: the second extends the first
                Checkpoint firstInvoice = Checkpoint.fromMetadata(stripe.v1().invoices().retrieve(drafts.get(0).getId())
                        .getMetadata().get("ledger_checkpoint"));
                assertThat(firstInvoice).isEqualTo(first);
                BundleVerification both = offline(ledger, admin, second.tenant(), keys, latest, firstInvoice);
                assertThat(both.valid()).as(both.summary()).isTrue();
                assertThat(both.checkpointsVerified()).isGreaterThanOrEqualTo(4); // the two in the export, the two given
                assertThat(meterReader.isHealthy()).isTrue();
            }
        }
    }

    private static Billed subscribe(StripeClient stripe, LedgerClient admin, Price price, Instant monthStart, String name)
            throws Exception {
        TestClock testClock = stripe.v1().testHelpers().testClocks().create(TestClockCreateParams.builder()
                .setFrozenTime(monthStart.getEpochSecond()).build());
        Customer customer = stripe.v1().customers().create(CustomerCreateParams.builder().setName(name).setTestClock(testClock.getId())
                .setInvoiceSettings(CustomerCreateParams.InvoiceSettings.builder().setDefaultPaymentMethod("pm_card_visa").build())
                .build());
        String tenant = "wit-" + name + "-" + System.nanoTime() % 1_000_000;
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", name, "stripe_customer_id", customer.getId()))
                .status()).isEqualTo(201);
        String key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("evaluations:write")))
                .body().get("key").asText();
        stripe.v1().subscriptions().create(SubscriptionCreateParams.builder().setCustomer(customer.getId())
                .addItem(SubscriptionCreateParams.Item.builder().setPrice(price.getId()).build()).build());
        return new Billed(tenant, customer.getId(), testClock, admin.withKey(key));
    }

    private static void evaluations(LedgerClient client, int n, String prefix) {
        for (int i = 0; i < n; i++) {
            assertThat(client.post("/v1/evaluations", LedgerClient.evaluation(prefix + "_" + i), prefix + "-" + i).status())
                    .isEqualTo(201);
        }
    }

    /** Moves the clock past the meter-reader's window and waits until Stripe's meter holds each tenant's usage. */
    private static void billUsage(SharedInfrastructure infra, StripeEmulator emulator, StripeClient stripe, MovableClock clock,
                                  List<Billed> billed, Meter meter, int[] usage, Instant from, Instant to) throws Exception {
        // the window may close only once the meter-reader has every entry: one it reads later counts in a later window
        for (Billed b : billed) {
            Boolean caughtUp = EndToEndTest.eventually(Duration.ofSeconds(60), () -> meterReaderHasHead(infra, b.tenant()));
            assertThat(caughtUp).as("the meter-reader verified tenant %s up to its head", b.tenant()).isTrue();
        }
        clock.advance(WINDOW.plus(IDLE_CLOSE).plusSeconds(1));
        for (int t = 0; t < billed.size(); t++) {
            Billed b = billed.get(t);
            long expected = usage[t];
            long total = EndToEndTest.eventually(Duration.ofSeconds(90), () -> {
                try {
                    long sum = 0;
                    for (var s : stripe.v1().billing().meters().eventSummaries().list(meter.getId(),
                            com.stripe.param.billing.MeterEventSummaryListParams.builder().setCustomer(b.customer())
                                    .setStartTime(from.getEpochSecond()).setEndTime(to.getEpochSecond()).build()).getData()) {
                        sum += s.getAggregatedValue().longValue();
                    }
                    return sum == expected ? sum : null;
                } catch (Exception e) {
                    return null;
                }
            });
            assertThat(total).isEqualTo(expected);
        }
    }

    /** True once the meter-reader's position of the tenant is the ledger's head, else null (for eventually). */
    private static Boolean meterReaderHasHead(SharedInfrastructure infra, String tenant) {
        try (Connection c = DriverManager.getConnection(infra.postgres.jdbcUrl());
             PreparedStatement ps = c.prepareStatement("select (select last_sequence from meter_reader_tenant where tenant_id = ?)"
                     + " = (select max(sequence_number) + 1 from domain_event_entry where aggregate_identifier = ?)")) {
            ps.setString(1, tenant);
            ps.setString(2, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1) ? Boolean.TRUE : null;
            }
        } catch (java.sql.SQLException e) {
            return null;
        }
    }

    /** The customer's subscription invoice made at the end of the period ending {@code periodEnd}, or null. */
    private static Invoice monthInvoice(StripeClient stripe, String customer, Instant periodEnd) {
        try {
            for (Invoice i : stripe.v1().invoices().list(InvoiceListParams.builder().setCustomer(customer).build()).getData()) {
                if ("subscription_cycle".equals(i.getBillingReason()) && i.getCreated() >= periodEnd.getEpochSecond()
                        && i.getCreated() < periodEnd.getEpochSecond() + 86_400) {
                    return i;
                }
            }
            return null;
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * Exports the tenant's chain and runs the offline verifier on it, trusting only the published keys and holding it
     * against the invoices' checkpoints as well ({@code ./ledger verify BUNDLE --checkpoint …}).
     */
    private static BundleVerification offline(RunningLedger ledger, LedgerClient admin, String tenant, CheckpointKeys keys,
                                              Checkpoint expected, Checkpoint... invoices) throws Exception {
        HttpResponse<byte[]> export = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ledger.url()
                        + "/v1/tenants/" + tenant + "/export")).header("Authorization", "Bearer " + RunningLedger.ADMIN_KEY).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(export.statusCode()).isEqualTo(200);
        Path bundle = Files.createTempFile("witness-" + tenant, ".ndjson");
        try {
            Files.write(bundle, export.body());
            boolean carried = Files.readAllLines(bundle).stream().filter(l -> l.startsWith("{\"kind\":\"checkpoint\""))
                    .map(l -> {
                        try {
                            return Checkpoint.fromJson(LedgerJson.mapper().readTree(l));
                        } catch (Exception e) {
                            return null;
                        }
                    }).anyMatch(expected::equals);
            assertThat(carried).as("the export holds the invoice's checkpoint, for the verifier to hold against the tree").isTrue();
            List<Checkpoint> held = new ArrayList<>(List.of(invoices));
            held.add(expected);
            return new BundleVerifier().trustingOnly(keys).holding(held).verify(bundle);
        } finally {
            Files.deleteIfExists(bundle);
        }
    }

    private static List<JsonNode> entries(LedgerClient admin, String tenant, String type) {
        List<JsonNode> out = new ArrayList<>();
        admin.get("/v1/tenants/" + tenant + "/entries?after=0&limit=1000").body().get("entries").forEach(e -> {
            if (e.get("type").asText().equals(type)) {
                out.add(e);
            }
        });
        return out;
    }

    private static double metric(int port, String name) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
        return body.lines().filter(l -> l.startsWith(name + " ") || l.startsWith(name + "{")).findFirst()
                .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).orElse(-1.0);
    }

    private static void advance(StripeClient stripe, TestClock clock, Instant to) throws Exception {
        stripe.v1().testHelpers().testClocks().advance(clock.getId(), TestClockAdvanceParams.builder()
                .setFrozenTime(to.getEpochSecond()).build());
    }

    private static void deliver(StripeEmulator emulator) {
        assertThat(emulator.deliverWebhooks().failed()).as("every delivery acknowledged").isZero();
    }
}
