package dev.ledger.api.bench;

import dev.ledger.api.Chromium;
import dev.ledger.api.LargeTenantRows;
import dev.ledger.api.LedgerClient;
import dev.ledger.api.RunningLedger;
import dev.ledger.api.SharedInfrastructure;
import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Issue 15 acceptance 3: a tenant with 1,000,000 usage entries over the last 30 days (two meters, every hour of the
 * first 29 days reported for one of them, a few short), projected by the finance projection; then 100 timed calls
 * each of {@code GET /v1/finance/usage} (by hour over 30 days, by day) and {@code GET /v1/finance/reconciliation} for
 * the month holding most of them, JSON and CSV, p50/p99/max printed; and the console's Usage page in headless
 * Chromium: from navigation until the chart and table are drawn and the page says ready, 10 loads of the default view
 * and 10 of the hourly 30-day view. Prints figures; asserts nothing about time.
 * Run: {@code ./ledger bench FinanceReadBench [-Dentries=N] [-Dcalls=N]}.
 */
class FinanceReadBench {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void financeReadsOfAMillionEntryTenant() throws Exception {
        int n = Integer.getInteger("entries", 1_000_000);
        int calls = Integer.getInteger("calls", 100);
        SharedInfrastructure infra = SharedInfrastructure.get();
        String jdbc = infra.postgres.jdbcUrl();
        try (RunningLedger ledger = RunningLedger.start(infra, Map.of())) {
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String tenant = "finbench-" + UUID.randomUUID().toString().substring(0, 8);
            admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Finance bench"));
            Instant to = Instant.now().truncatedTo(ChronoUnit.HOURS);
            Instant from = to.minus(Duration.ofDays(30));
            long t0 = System.nanoTime();
            long head = LargeTenantRows.appendUsage(jdbc, tenant, n, from, to, List.of("tokens", "evaluations"));
            System.out.printf("wrote %,d chained usage entries (%s to %s) in %.1f s%n", n, from, to, secs(t0));

            t0 = System.nanoTime();
            awaitProjected(jdbc, tenant, head, Duration.ofMinutes(15));
            double projectSecs = secs(t0);
            System.out.printf("finance projection, following the writes as they committed, was %.1f s behind their end%n", projectSecs);

            // Stripe's side: every hour of the first 29 days of tokens reported, one hour in 50 short by one unit
            LedgerClient service = admin.withKey(admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
            JsonNode hours = admin.get("/v1/finance/usage?granularity=hour&meter=tokens&tenant_id=" + tenant + "&from=" + from
                    + "&to=" + to).body().get("buckets");
            t0 = System.nanoTime();
            int reports = 0;
            for (JsonNode h : hours) {
                Instant start = Instant.parse(h.get("start").asText());
                if (start.isBefore(to.minus(Duration.ofDays(1)))) {
                    long q = h.get("ledger_quantity").asLong() - (reports % 50 == 0 ? 1 : 0);
                    LedgerClient.Answer a = service.post("/v1/tenants/" + tenant + "/usage-reports", Map.of("meter", "tokens",
                            "window_start", start.toString(), "window_end", start.plus(1, ChronoUnit.HOURS).toString(), "quantity", q,
                            "stripe_identifier", "bench-" + start.getEpochSecond()));
                    if (a.status() != 201) {
                        throw new IllegalStateException("usage report refused: " + a.raw().body());
                    }
                    reports++;
                }
            }
            head = headOf(jdbc, tenant);
            awaitProjected(jdbc, tenant, head, Duration.ofMinutes(5));
            System.out.printf("recorded %,d usage reports in %.1f s; the chain's head is %,d%n", reports, secs(t0), head);
            t0 = System.nanoTime();
            awaitPublished(jdbc, tenant, head, Duration.ofMinutes(15));
            System.out.printf("publication to Kafka caught up %.1f s after the reports (measurements start once it is idle)%n", secs(t0));

            // the projection followed the writes as they committed; a rebuild shows what it costs from nothing
            t0 = System.nanoTime();
            if (admin.post("/v1/admin/projections/finance/rebuild", Map.of()).status() != 202) {
                throw new IllegalStateException("rebuild refused");
            }
            long rebuiltHead = head;
            await(() -> "live".equals(admin.get("/v1/admin/projections").body().get("projections").get(0).get("state").asText())
                    && single(jdbc, "select coalesce((select sequence from finance_position where tenant_id = '" + tenant + "'), 0)")
                    >= rebuiltHead, Duration.ofMinutes(15), "the finance projection's rebuild");
            double rebuildSecs = secs(t0);
            System.out.printf("finance projection rebuilt from the event store in %.1f s (%,.0f entries/s, every tenant of the "
                    + "database included)%n", rebuildSecs, single(jdbc, "select count(*) from domain_event_entry") / rebuildSecs);

            YearMonth busiest = YearMonth.from(to.minus(Duration.ofDays(15)).atZone(ZoneOffset.UTC));
            String key = admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of("finance:read", "audit:read")))
                    .body().get("key").asText();
            String q = "tenant_id=" + tenant;
            List<String[]> rows = new ArrayList<>();
            rows.add(time(ledger.url(), key, "/v1/finance/usage?granularity=hour&" + q + "&from=" + from + "&to=" + to, "application/json",
                    calls, "usage, by hour over 30 days (2 meters)"));
            rows.add(time(ledger.url(), key, "/v1/finance/usage?granularity=day&" + q + "&from=" + from + "&to=" + to, "application/json",
                    calls, "usage, by day over 30 days"));
            rows.add(time(ledger.url(), key, "/v1/finance/usage?granularity=hour&" + q + "&from=" + from + "&to=" + to, "text/csv",
                    calls, "usage, by hour over 30 days, as CSV"));
            rows.add(time(ledger.url(), key, "/v1/finance/reconciliation?period=" + busiest + "&" + q, "application/json", calls,
                    "reconciliation of " + busiest));
            rows.add(time(ledger.url(), key, "/v1/finance/reconciliation?period=" + busiest + "&" + q, "text/csv", calls,
                    "reconciliation of " + busiest + ", as CSV"));

            System.out.println();
            System.out.printf("| %,d-entry tenant: %d calls each, one after another | p50 ms | p99 ms | max ms | bytes |%n", head, calls);
            System.out.println("|---|---|---|---|---|");
            rows.forEach(r -> System.out.println("| " + String.join(" | ", r) + " |"));

            if (!Chromium.available()) {
                System.out.println();
                System.out.println("console: not measured, " + Chromium.absence());
                return;
            }
            try (Chromium chromium = Chromium.start()) {
                ChromeDriver browser = chromium.driver();
                WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(30), Duration.ofMillis(100));
                browser.get(ledger.url() + "/console");
                wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key"))).sendKeys(key);
                browser.findElement(By.cssSelector("#sign-in-form button[type=submit]")).click();
                wait.until(d -> "ready".equals(d.findElement(By.id("page-usage")).getDomAttribute("data-state")));
                // times are the page's own User Timing marks (the console marks each state change), so the driver's
                // polling adds nothing to them
                long[] loads = new long[10];
                for (int i = 0; i < loads.length; i++) {
                    browser.navigate().refresh(); // the key is in the tab's session storage: the console signs in by itself
                    wait.until(d -> "ready".equals(d.findElement(By.id("page-usage")).getDomAttribute("data-state"))
                            && !d.findElements(By.cssSelector("#usage-charts figure canvas")).isEmpty());
                    // from the start of the navigation to the page drawn and ready
                    loads[i] = millisToNanos(browser.executeScript("return performance.getEntriesByName('usage-ready').pop().startTime"));
                }
                String buckets = browser.findElement(By.id("usage-status")).getText();
                long[] hourly = new long[10];
                for (int i = 0; i < hourly.length; i++) {
                    browser.executeScript("const g = document.getElementById('usage-granularity'); g.value = 'hour';"
                            + "document.getElementById('usage-from').value = arguments[0];"
                            + "document.getElementById('usage-to').value = arguments[1];", from.atZone(ZoneOffset.UTC).toLocalDate().toString(),
                            to.minus(1, ChronoUnit.DAYS).atZone(ZoneOffset.UTC).toLocalDate().toString());
                    browser.findElement(By.cssSelector("#usage-form button[type=submit]")).click();
                    wait.until(d -> "ready".equals(d.findElement(By.id("page-usage")).getDomAttribute("data-state"))
                            && d.findElement(By.id("usage-status")).getText().contains("hour buckets"));
                    // from the form's submit (the page's loading mark) to its ready mark
                    hourly[i] = millisToNanos(browser.executeScript("return performance.getEntriesByName('usage-ready').pop().startTime"
                            + " - performance.getEntriesByName('usage-loading').pop().startTime"));
                    browser.executeScript("document.getElementById('page-usage').dataset.state = 'stale';"
                            + "document.getElementById('usage-status').textContent = '';");
                }
                String hourBuckets = browser.findElement(By.cssSelector("#usage-table tbody")).findElements(By.tagName("tr")).size()
                        + " table rows";
                System.out.println();
                System.out.println("| console Usage page, headless Chromium, this machine | median ms | max ms | shown |");
                System.out.println("|---|---|---|---|");
                System.out.printf("| navigation start to drawn and ready, on reload (signed in from session storage; default view: by day, "
                        + "30 days) | %s | %s | %s |%n",
                        ms(median(loads)), ms(max(loads)), buckets);
                System.out.printf("| Show by hour over 30 days: submitted to drawn and ready | %s | %s | %s |%n", ms(median(hourly)), ms(max(hourly)),
                        hourBuckets);
            }
        }
    }

    private static String[] time(String url, String key, String path, String accept, int calls, String what) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + key)
                .header("Accept", accept).GET().build();
        long bytes = 0;
        for (int i = 0; i < 10; i++) { // warm-up
            bytes = check(HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray()), path).length;
        }
        long[] took = new long[calls];
        for (int i = 0; i < calls; i++) {
            long s = System.nanoTime();
            check(HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray()), path);
            took[i] = System.nanoTime() - s;
        }
        Arrays.sort(took);
        return new String[] {what, ms(took[calls / 2]), ms(took[Math.min(calls - 1, (int) Math.ceil(calls * 0.99) - 1)]),
                ms(took[calls - 1]), String.format("%,d", bytes)};
    }

    private static byte[] check(HttpResponse<byte[]> r, String path) {
        if (r.statusCode() != 200) {
            throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + new String(r.body()));
        }
        return r.body();
    }

    private static long headOf(String jdbc, String tenant) throws Exception {
        return single(jdbc, "select coalesce(max(sequence_number) + 1, 0) from domain_event_entry where aggregate_identifier = '"
                + tenant + "'");
    }

    private static void awaitProjected(String jdbc, String tenant, long head, Duration most) throws Exception {
        await(() -> single(jdbc, "select coalesce((select sequence from finance_position where tenant_id = '" + tenant + "'), 0)") >= head,
                most, "the finance projection of " + tenant);
    }

    private static void awaitPublished(String jdbc, String tenant, long head, Duration most) throws Exception {
        await(() -> single(jdbc, "select coalesce((select max(sequence) from publication_head where tenant_id = '" + tenant
                + "'), 0)") >= head, most, "publication of " + tenant);
    }

    private interface Condition {
        boolean holds() throws Exception;
    }

    private static void await(Condition c, Duration most, String what) throws Exception {
        long deadline = System.nanoTime() + most.toNanos();
        while (!c.holds()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(what + " did not catch up within " + most);
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
    }

    private static long single(String jdbc, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbc); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long millisToNanos(Object millis) {
        return (long) (((Number) millis).doubleValue() * 1e6);
    }

    private static long median(long[] xs) {
        long[] c = xs.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }

    private static long max(long[] xs) {
        return Arrays.stream(xs).max().orElse(0);
    }

    private static String ms(long nanos) {
        return String.format("%.1f", nanos / 1e6);
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }
}
