package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.LedgerClient.Answer;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.MerkleTree;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Finance's read side over one tenant's month on the ledger's movable clock: usage by hour and day with what was
 * reported to Stripe, invoices with the witness's checkpoint or the hold's reason, an invoice's entries each proven
 * against its checkpoint, the month's reconciliation pending then reconciled by a recorded run, every answer as CSV,
 * another tenant's key answered 404 everywhere, and the projection rebuilt from the event store equal to the live one.
 */
class FinanceApiTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final MovableClock clock = new MovableClock();
    private static RunningLedger ledger;
    private static LedgerClient admin;
    private static LedgerClient service;
    private static LedgerClient finance;
    private static LedgerClient otherFinance;
    private static String financeKey;
    private static String otherFinanceKey;
    private static String tenant;
    private static String other;
    private static Instant hour;
    private static YearMonth month;

    @BeforeAll
    static void start() {
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.finance.interval", "100ms"), clock);
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        service = admin.withKey(admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
        tenant = "fin-" + System.nanoTime() % 100_000_000;
        other = tenant + "-b";
        for (String t : List.of(tenant, other)) {
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", t, "name", "Finance " + t)).status()).isEqualTo(201);
        }
        financeKey = key(tenant, "finance:read");
        otherFinanceKey = key(other, "finance:read");
        finance = admin.withKey(financeKey);
        otherFinance = admin.withKey(otherFinanceKey);
        // the next whole hour, a quarter past, so every entry below falls in one month's hours
        Instant now = clock.instant();
        hour = now.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
        if (hour.atZone(ZoneOffset.UTC).getHour() >= 22) {
            // the test's two hours must fall in one day (its day buckets add them up): after 22:00, tomorrow's 01:00
            hour = hour.atZone(ZoneOffset.UTC).toLocalDate().plusDays(1).atStartOfDay(ZoneOffset.UTC).plusHours(1).toInstant();
        }
        clock.advance(Duration.between(now, hour.plus(Duration.ofMinutes(15))));
        month = YearMonth.from(hour.atZone(ZoneOffset.UTC));
    }

    @AfterAll
    static void stop() {
        if (ledger != null) {
            ledger.close();
        }
    }

    private static String key(String t, String... scopes) {
        return admin.post("/v1/tenants/" + t + "/api-keys", Map.of("scopes", List.of(scopes))).body().get("key").asText();
    }

    private static void usage(LedgerClient client, String id, String meter, long quantity) {
        Answer a = client.post("/v1/usage", Map.of("usage_id", id, "meter", meter, "quantity", quantity,
                "occurred_at", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString()), id);
        assertThat(a.status()).as(a.raw().body()).isEqualTo(201);
    }

    private static long head(String t) throws Exception {
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl());
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("select (select coalesce(max(sequence_number) + 1, 0) from domain_event_entry "
                     + "where aggregate_identifier = '" + t + "') - coalesce((select sequence from finance_position where tenant_id = '"
                     + t + "'), 0)")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Waits (with a deadline) until the finance projection holds every entry of the tenant's chain. */
    private static void projected(String t) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (head(t) != 0) {
            assertThat(System.nanoTime()).as("the finance projection caught up with " + t).isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // poll
        }
    }

    private static HttpResponse<String> csv(String path, String key) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(ledger.url() + path)).header("Accept", "text/csv")
                .header("Authorization", "Bearer " + key).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String stripeEvent(String id, String type, String invoice, String status, long due, long paid) {
        return InvoiceEvents.event(id, type, invoice, "cus_" + tenant.replace("-", ""), status, due, paid, month, clock.instant());
    }

    @Test
    void givenAMonthOfUsageReportsAndInvoicesThenFinanceSeesItAllAsJsonAndCsvAndAnotherTenantSeesNoneOfIt() throws Exception {
        LedgerClient usage = admin.withKey(key(tenant, "usage:write", "evaluations:write"));
        String p = month.toString();
        // hour 1: 600 tokens, reported at once as the window [hour, hour + 1h); then 50 more into that reported window
        usage(usage, "u1", "tokens", 100);
        usage(usage, "u2", "tokens", 200);
        usage(usage, "u3", "tokens", 300);
        assertThat(service.post("/v1/tenants/" + tenant + "/usage-reports", Map.of("meter", "tokens", "window_start", hour.toString(),
                "window_end", hour.plus(1, ChronoUnit.HOURS).toString(), "quantity", 600, "stripe_identifier", "mr-" + tenant + "-1"))
                .status()).isEqualTo(201);
        clock.advance(Duration.ofMinutes(15));
        usage(usage, "u4", "tokens", 50);
        // hour 2: 400 tokens and two evaluations, none reported
        clock.advance(Duration.ofHours(1));
        usage(usage, "u5", "tokens", 400);
        assertThat(usage.post("/v1/evaluations", LedgerClient.evaluation("ev-1"), "ev-1").status()).isEqualTo(201);
        assertThat(usage.post("/v1/evaluations", LedgerClient.evaluation("ev-2"), "ev-2").status()).isEqualTo(201);
        projected(tenant);

        // usage by hour, then by day, and another tenant's key gets nothing of it
        String range = "&from=" + hour + "&to=" + hour.plus(3, ChronoUnit.HOURS);
        JsonNode hours = finance.get("/v1/finance/usage?granularity=hour&meter=tokens" + range).body();
        assertThat(hours.get("buckets")).hasSize(2);
        JsonNode first = hours.get("buckets").get(0);
        assertThat(first.get("tenant_id").asText()).isEqualTo(tenant);
        assertThat(first.get("start").asText()).isEqualTo(hour.toString());
        assertThat(first.get("ledger_quantity").asLong()).isEqualTo(650);
        assertThat(first.get("reported_quantity").asLong()).isEqualTo(600);
        assertThat(first.get("late_quantity").asLong()).isEqualTo(50);
        assertThat(hours.get("buckets").get(1).get("ledger_quantity").asLong()).isEqualTo(400);
        assertThat(hours.get("buckets").get(1).get("reported_quantity").asLong()).isZero();
        JsonNode days = finance.get("/v1/finance/usage?granularity=day&tenant_id=" + tenant + range).body();
        assertThat(days.get("buckets")).extracting(b -> b.get("meter").asText() + "=" + b.get("ledger_quantity").asLong())
                .contains("tokens=1050", "evaluations=2");
        assertThat(otherFinance.get("/v1/finance/usage?tenant_id=" + tenant).status()).isEqualTo(404);
        assertThat(otherFinance.get("/v1/finance/usage?granularity=hour" + range).body().get("buckets")).isEmpty();
        assertThat(finance.get("/v1/finance/usage?granularity=week").body().get("code").asText()).isEqualTo("invalid_parameter");
        assertThat(finance.get("/v1/finance/usage?granularity=hour&from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z").status())
                .isEqualTo(422);
        assertThat(service.get("/v1/finance/usage").status()).isEqualTo(403);

        HttpResponse<String> usageCsv = csv("/v1/finance/usage?granularity=hour&meter=tokens" + range, financeKey);
        assertThat(usageCsv.statusCode()).isEqualTo(200);
        assertThat(usageCsv.headers().firstValue("Content-Type").orElse("")).startsWith("text/csv");
        assertThat(usageCsv.headers().firstValue("Content-Disposition").orElse("")).startsWith("attachment; filename=\"usage-" + tenant);
        assertThat(usageCsv.body().split("\r\n")).containsExactly(
                "tenant_id,meter,start,end,ledger_quantity,reported_quantity,late_quantity",
                tenant + ",tokens," + hour + "," + hour.plus(1, ChronoUnit.HOURS) + ",650,600,50",
                tenant + ",tokens," + hour.plus(1, ChronoUnit.HOURS) + "," + hour.plus(2, ChronoUnit.HOURS) + ",400,0,0");
        HttpResponse<String> refusedCsv = csv("/v1/finance/usage?tenant_id=" + tenant, otherFinanceKey);
        assertThat(refusedCsv.statusCode()).isEqualTo(404);
        assertThat(refusedCsv.headers().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");

        // the month is still open: pending, with the ledger's and the reported figures
        JsonNode pending = finance.get("/v1/finance/reconciliation?period=" + p).body();
        assertThat(pending.get("closed").asBoolean()).isFalse();
        assertThat(pending.get("rows")).extracting(r -> r.get("meter").asText() + ":" + r.get("status").asText() + ":"
                + r.get("ledger_quantity").asLong() + "/" + r.get("reported_quantity").asLong())
                .containsExactlyInAnyOrder("evaluations:PENDING:2/0", "tokens:PENDING:1050/600");

        // two invoices: one witnessed with a checkpoint, one held for a quantity mismatch
        assertThat(service.put("/v1/tenants/" + tenant + "/stripe-customer", Map.of("stripe_customer_id", "cus_" + tenant.replace("-", "")))
                .status()).isEqualTo(200);
        String witnessed = "in_" + tenant.replace("-", "") + "a";
        String held = "in_" + tenant.replace("-", "") + "b";
        for (String e : List.of(stripeEvent("evt_" + tenant.replace("-", "") + "1", "invoice.created", witnessed, "draft", 1050, 0),
                stripeEvent("evt_" + tenant.replace("-", "") + "2", "invoice.paid", witnessed, "paid", 1050, 1050),
                stripeEvent("evt_" + tenant.replace("-", "") + "3", "invoice.created", held, "draft", 99, 0))) {
            Answer recorded = service.post("/v1/stripe-events", LedgerClient.parse(e));
            assertThat(recorded.body().get("status").asText()).as(recorded.raw().body()).isEqualTo("recorded");
        }
        String start = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toString();
        String end = month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toString();
        Answer witness = service.post("/v1/tenants/" + tenant + "/invoice-witnesses", Map.of("invoice_id", witnessed,
                "period_start", start, "period_end", end, "quantities", List.of(Map.of("meter", "tokens", "ledger", 1050,
                        "stripe", 1000, "invoiced", 1050))));
        assertThat(witness.body().get("status").asText()).as(witness.raw().body()).isEqualTo("witnessed");
        assertThat(service.post("/v1/tenants/" + tenant + "/invoice-holds", Map.of("invoice_id", held, "period_start", start,
                "period_end", end, "reason", "quantity_mismatch", "detail", "=tokens: ledger 1050, stripe 99",
                "quantities", List.of())).status()).isEqualTo(200);
        usage(usage, "u6", "tokens", 7); // after the witness: not in its checkpoint, not among its entries
        projected(tenant);

        JsonNode all = finance.get("/v1/finance/invoices").body();
        assertThat(all.get("invoices")).extracting(i -> i.get("invoice_id").asText()).containsExactly(witnessed, held);
        JsonNode w = all.get("invoices").get(0);
        assertThat(w.get("status").asText()).isEqualTo("paid");
        assertThat(w.get("amount_paid").asLong()).isEqualTo(1050);
        assertThat(w.get("ledger_checkpoint").asText()).isEqualTo(witness.body().get("ledger_checkpoint").asText());
        assertThat(w.get("held").asBoolean()).isFalse();
        JsonNode h = all.get("invoices").get(1);
        assertThat(h.get("held").asBoolean()).isTrue();
        assertThat(h.get("held_reason").asText()).isEqualTo("quantity_mismatch");
        assertThat(h.get("ledger_checkpoint").isNull()).isTrue();
        // paging to the end, and the filters
        JsonNode page1 = finance.get("/v1/finance/invoices?limit=1").body();
        assertThat(page1.get("invoices")).extracting(i -> i.get("invoice_id").asText()).containsExactly(witnessed);
        JsonNode page2 = finance.get("/v1/finance/invoices?limit=1&after=" + page1.get("next_after").asText()).body();
        assertThat(page2.get("invoices")).extracting(i -> i.get("invoice_id").asText()).containsExactly(held);
        JsonNode page3 = finance.get("/v1/finance/invoices?limit=1&after=" + page2.get("next_after").asText()).body();
        assertThat(page3.get("invoices")).isEmpty();
        assertThat(page3.has("next_after")).isFalse();
        assertThat(finance.get("/v1/finance/invoices?held=true").body().get("invoices")).extracting(i -> i.get("invoice_id").asText())
                .containsExactly(held);
        assertThat(finance.get("/v1/finance/invoices?status=paid").body().get("invoices")).hasSize(1);
        assertThat(otherFinance.get("/v1/finance/invoices").body().get("invoices")).isEmpty();
        assertThat(otherFinance.get("/v1/finance/invoices?tenant_id=" + tenant).status()).isEqualTo(404);
        HttpResponse<String> invoicesCsv = csv("/v1/finance/invoices", financeKey);
        String[] invoiceLines = invoicesCsv.body().split("\r\n");
        assertThat(invoiceLines).hasSize(3);
        assertThat(invoiceLines[0]).startsWith("invoice_id,tenant_id,customer_id,status,amount_due");
        assertThat(invoiceLines[1]).startsWith(witnessed + "," + tenant + ",").contains(",paid,1050,1050,0,usd,");
        // the hold's detail starts with "=": written so that a spreadsheet shows it as text, never runs it
        assertThat(invoiceLines[2]).contains(",true,quantity_mismatch,\"'=tokens: ledger 1050, stripe 99\"");

        // the witnessed invoice's entries: every billable entry of the month within its checkpoint, each proven
        Checkpoint checkpoint = Checkpoint.fromMetadata(w.get("ledger_checkpoint").asText());
        List<JsonNode> entries = new ArrayList<>();
        String next = "0";
        int pages = 0;
        while (next != null) {
            JsonNode page = finance.get("/v1/finance/invoices/" + witnessed + "/entries?limit=2&after=" + next).body();
            assertThat(page.get("checkpoint").get("size").asLong()).isEqualTo(checkpoint.size());
            page.get("entries").forEach(entries::add);
            next = page.has("next_after") ? page.get("next_after").asText() : null;
            pages++;
        }
        assertThat(pages).isEqualTo(4);
        assertThat(entries).extracting(e -> e.get("meter").asText() + "=" + e.get("quantity").asLong()).containsExactly(
                "tokens=100", "tokens=200", "tokens=300", "tokens=50", "tokens=400", "evaluations=1", "evaluations=1");
        for (JsonNode e : entries) {
            JsonNode proof = e.get("proof");
            List<byte[]> path = new ArrayList<>();
            proof.get("audit_path").forEach(n -> path.add(Hex.parse(n.asText())));
            assertThat(proof.get("tree_size").asLong()).isEqualTo(checkpoint.size());
            assertThat(MerkleTree.verifyInclusion(Hex.parse(e.get("hash").asText()), e.get("sequence").asLong() - 1, checkpoint.size(),
                    path, checkpoint.rootHash())).as("entry %s proven against the invoice's checkpoint", e.get("sequence")).isTrue();
        }
        JsonNode heldEntries = finance.get("/v1/finance/invoices/" + held + "/entries?limit=1000").body();
        assertThat(heldEntries.has("checkpoint")).isFalse();
        assertThat(heldEntries.get("entries")).hasSize(7).allSatisfy(e -> assertThat(e.get("proof").isNull()).isTrue());
        assertThat(otherFinance.get("/v1/finance/invoices/" + witnessed + "/entries").status()).isEqualTo(404);
        assertThat(csv("/v1/finance/invoices/" + witnessed + "/entries", otherFinanceKey).statusCode()).isEqualTo(404);
        String[] entryLines = csv("/v1/finance/invoices/" + witnessed + "/entries", financeKey).body().split("\r\n");
        assertThat(entryLines).hasSize(8);
        assertThat(entryLines[0]).isEqualTo("sequence,type,recorded_at,meter,quantity,hash,tree_size,audit_path,root_hash");
        assertThat(entryLines[1]).contains(",UsageRecorded,").contains(",tokens,100,").endsWith("," + Hex.of(checkpoint.rootHash()));

        // the month over: Stripe's figure from the witness (1000 tokens, 600 were reported) and none for evaluations
        YearMonth nextMonth = month.plusMonths(1);
        clock.advance(Duration.between(clock.instant(), nextMonth.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant()).plusMinutes(5));
        JsonNode closed = finance.get("/v1/finance/reconciliation?period=" + p).body();
        assertThat(closed.get("closed").asBoolean()).isTrue();
        assertThat(closed.get("rows")).extracting(r -> r.get("meter").asText() + ":" + r.get("status").asText())
                .containsExactly("tokens:MISMATCH", "evaluations:PENDING");
        JsonNode tokens = closed.get("rows").get(0);
        assertThat(tokens.get("stripe_quantity").asLong()).isEqualTo(1000);
        assertThat(tokens.get("stripe_source").asText()).isEqualTo("invoice_witness");
        assertThat(tokens.get("mismatches")).extracting(m -> m.get("kind").asText() + "=" + m.get("quantity").asLong())
                .containsExactly("late_usage=50", "not_reported=407", "stripe_extra=400");
        assertThat(tokens.get("mismatches").get(0).get("windows")).extracting(x -> x.get("start").asText() + "/" + x.get("end").asText())
                .containsExactly(hour + "/" + hour.plus(1, ChronoUnit.HOURS));

        // a run: Stripe's figures handed in, the outcome recorded in the chain, and the projection takes them up
        Answer run = service.post("/v1/tenants/" + tenant + "/reconciliations", Map.of("period", p,
                "stripe", List.of(Map.of("meter", "evaluations", "quantity", 0), Map.of("meter", "tokens", "quantity", 600))));
        assertThat(run.status()).as(run.raw().body()).isEqualTo(201);
        assertThat(run.body().get("rows")).extracting(r -> r.get("meter").asText() + ":" + r.get("status").asText())
                .containsExactly("evaluations:MISMATCH", "tokens:MISMATCH");
        assertThat(run.body().get("rows").get(0).get("mismatches")).extracting(m -> m.get("kind").asText())
                .containsExactly("not_reported");
        assertThat(run.body().get("rows").get(1).get("mismatches")).extracting(m -> m.get("kind").asText())
                .containsExactly("late_usage", "not_reported");
        JsonNode recorded = admin.get("/v1/tenants/" + tenant + "/entries?type=ReconciliationRecorded").body().get("entries");
        assertThat(recorded).hasSize(1);
        assertThat(recorded.get(0).get("sequence").asLong()).isEqualTo(run.body().get("sequence").asLong());
        assertThat(recorded.get(0).get("payload").get("period").asText()).isEqualTo(p);
        assertThat(recorded.get(0).get("payload").get("rows")).hasSize(2);
        projected(tenant);
        JsonNode after = finance.get("/v1/finance/reconciliation?period=" + p).body();
        assertThat(after.get("rows")).extracting(r -> r.get("meter").asText() + ":" + r.get("stripe_quantity").asLong() + ":"
                + r.get("stripe_source").asText()).containsExactly("evaluations:0:reconciliation", "tokens:600:reconciliation");
        String[] reconciliationCsv = csv("/v1/finance/reconciliation?period=" + p, financeKey).body().split("\r\n");
        assertThat(reconciliationCsv[0]).isEqualTo("tenant_id,meter,ledger_quantity,reported_quantity,stripe_quantity,status,kinds,windows");
        Instant h2 = hour.plus(1, ChronoUnit.HOURS);
        assertThat(reconciliationCsv[2]).isEqualTo(tenant + ",tokens,1057,600,600,MISMATCH,late_usage not_reported,late_usage:"
                + hour + "/" + h2 + " not_reported:" + hour + "/" + h2 + " not_reported:" + h2 + "/" + h2.plus(1, ChronoUnit.HOURS));
        assertThat(otherFinance.get("/v1/finance/reconciliation?period=" + p + "&tenant_id=" + tenant).status()).isEqualTo(404);
        assertThat(otherFinance.get("/v1/finance/reconciliation?period=" + p).body().get("rows")).isEmpty();
        assertThat(finance.post("/v1/tenants/" + tenant + "/reconciliations", Map.of("period", p)).status()).isEqualTo(403);
        assertThat(finance.get("/v1/finance/reconciliation?period=2026-13").body().get("code").asText()).isEqualTo("invalid_parameter");

        // rebuilt from the event store, the projection holds exactly what the live one held
        Map<String, List<String>> live = tables();
        Answer rebuild = admin.post("/v1/admin/projections/finance/rebuild", Map.of());
        assertThat(rebuild.status()).isEqualTo(202);
        assertThat(finance.post("/v1/admin/projections/finance/rebuild", Map.of()).status()).isEqualTo(403);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!admin.get("/v1/admin/projections").body().get("projections").get(0).get("state").asText().equals("live")) {
            assertThat(System.nanoTime()).as("the rebuild finished").isLessThan(deadline);
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // poll
        }
        projected(tenant);
        projected(other);
        assertThat(tables()).isEqualTo(live);
    }

    @Test
    void givenAChainThatLosesAnEntryThenItsProjectionStopsBeforeTheGapAndEveryOtherChainGoesOn() throws Exception {
        // "…-a" sorts before "…-b": a pass meets the broken chain first
        String broken = "gap-" + System.nanoTime() % 100_000_000 + "-a";
        String whole = broken.replace("-a", "-b");
        for (String t : List.of(broken, whole)) {
            assertThat(admin.post("/v1/tenants", Map.of("tenant_id", t, "name", "Gap " + t)).status()).isEqualTo(201);
        }
        LedgerClient brokenUsage = admin.withKey(key(broken, "usage:write"));
        usage(brokenUsage, "g1", "tokens", 10);
        long lost = brokenUsage.post("/v1/usage", Map.of("usage_id", "g2", "meter", "tokens", "quantity", 20,
                "occurred_at", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString()), "g2").body().get("sequence").asLong();
        usage(brokenUsage, "g3", "tokens", 30);
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("set session_replication_role = replica"); // the superuser, past the append-only trigger
            assertThat(s.executeUpdate("delete from domain_event_entry where aggregate_identifier = '" + broken
                    + "' and sequence_number = " + (lost - 1))).isEqualTo(1);
        }
        try (RequestLogCapture log = RequestLogCapture.attach()) {
            // rebuilt, the projection meets the gap on its way through the broken chain
            assertThat(admin.post("/v1/admin/projections/finance/rebuild", Map.of()).status()).isEqualTo(202);
            usage(admin.withKey(key(whole, "usage:write")), "w1", "tokens", 7);
            projected(whole);
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            JsonNode status = admin.get("/v1/admin/projections").body().get("projections").get(0);
            while (!status.get("state").asText().equals("live") || status.get("stalled").isEmpty()) {
                assertThat(System.nanoTime()).as("the projection is live again and names the broken chain").isLessThan(deadline);
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // poll
                status = admin.get("/v1/admin/projections").body().get("projections").get(0);
            }
            assertThat(status.get("stalled")).extracting(n -> n.get("tenant_id").asText() + "@" + n.get("missing_sequence").asLong())
                    .contains(broken + "@" + lost);
            assertThat(status.get("stalled")).extracting(n -> n.get("tenant_id").asText()).doesNotContain(whole);
            assertThat(status.get("last_error").isNull()).as(status.toString()).isTrue();

            // the broken chain's usage is there up to the gap and no further; the whole one's is all there
            String range = "&from=" + clock.instant().truncatedTo(ChronoUnit.DAYS) + "&to="
                    + clock.instant().truncatedTo(ChronoUnit.DAYS).plus(1, ChronoUnit.DAYS);
            assertThat(admin.get("/v1/finance/usage?granularity=day&meter=tokens&tenant_id=" + broken + range).body().get("buckets"))
                    .extracting(b -> b.get("ledger_quantity").asLong()).containsExactly(10L);
            assertThat(admin.get("/v1/finance/usage?granularity=day&meter=tokens&tenant_id=" + whole + range).body().get("buckets"))
                    .extracting(b -> b.get("ledger_quantity").asLong()).containsExactly(7L);

            // a reconciliation needs the whole chain: refused with its code, and nothing is recorded
            long before = head(broken);
            Answer refused = service.post("/v1/tenants/" + broken + "/reconciliations", Map.of("period", month.toString()));
            assertThat(refused.status()).isEqualTo(409);
            assertThat(refused.code()).isEqualTo("chain_broken");
            assertThat(refused.body().get("detail").asText()).contains("Entry " + lost + " is missing");
            assertThat(head(broken)).isEqualTo(before);
            // a broken chain is a finding the log names once, not an error it repeats with a stack trace
            assertThat(log.stackTraces()).isEmpty();
        }
    }

    /** Every row of the finance projection of this test's tenants, as text, in a stable order. */
    private static Map<String, List<String>> tables() throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl()); Statement s = c.createStatement()) {
            for (String table : List.of("finance_usage_hour", "finance_reported_window", "finance_late_usage", "finance_invoice",
                    "finance_stripe_quantity", "finance_position")) {
                List<String> rows = new ArrayList<>();
                try (ResultSet rs = s.executeQuery("select * from " + table + " where tenant_id in ('" + tenant + "', '" + other
                        + "') order by 1, 2, 3")) {
                    ResultSetMetaData md = rs.getMetaData();
                    while (rs.next()) {
                        StringBuilder row = new StringBuilder();
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            if (!md.getColumnName(i).equals("updated_at")) {
                                Object v = rs.getObject(i);
                                row.append(md.getColumnName(i)).append('=').append(v instanceof byte[] b ? Hex.of(b) : v).append(' ');
                            }
                        }
                        rows.add(row.toString());
                    }
                }
                assertThat(rows).as(table).isNotEmpty();
                out.put(table, rows);
            }
        }
        return out;
    }
}
