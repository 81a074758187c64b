package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.deque.html.axecore.results.Results;
import com.deque.html.axecore.selenium.AxeBuilder;
import dev.ledger.api.LedgerClient.Answer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real headless Chromium (Debian's chromium and chromedriver, which {@code ./ledger test} installs):
 * a finance and audit key signs in, sees the seeded tenant's usage charted and tabled, opens the held invoice and its
 * reason and a witnessed one whose proofs the browser itself checks, sees the month's mismatch first, verifies the chain
 * VALID, and after the database superuser changes an entry sees BROKEN with that entry's sequence. Nothing the page
 * loads may be refused by its Content-Security-Policy. A screenshot of each page goes to target/console-screenshots.
 */
class ConsoleBrowserTest {

    static final Path SHOTS = Path.of("target", "console-screenshots");

    private static final MovableClock clock = new MovableClock();
    private static RunningLedger ledger;
    private static LedgerClient admin;
    private static LedgerClient service;
    private static ChromeDriver browser;
    private static Chromium chromium;
    private static String tenant;
    private static String consoleKey;
    private static Instant hour;
    private static YearMonth month;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(Chromium.available(), Chromium.absence());
        ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("ledger.finance.interval", "100ms"), clock);
        admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
        service = admin.withKey(admin.post("/v1/service-keys", Map.of()).body().get("key").asText());
        tenant = "con-" + System.nanoTime() % 100_000_000;
        assertThat(admin.post("/v1/tenants", Map.of("tenant_id", tenant, "name", "Console " + tenant)).status()).isEqualTo(201);
        consoleKey = key("finance:read", "audit:read");
        Instant now = clock.instant();
        hour = now.truncatedTo(ChronoUnit.HOURS).plus(1, ChronoUnit.HOURS);
        clock.advance(Duration.between(now, hour.plus(Duration.ofMinutes(10))));
        month = YearMonth.from(hour.atZone(ZoneOffset.UTC));
        chromium = Chromium.start();
        browser = chromium.driver();
    }

    @AfterAll
    static void stop() throws Exception {
        if (chromium != null) {
            chromium.close();
        }
        if (ledger != null) {
            ledger.close();
        }
    }

    private static String key(String... scopes) {
        return admin.post("/v1/tenants/" + tenant + "/api-keys", Map.of("scopes", List.of(scopes))).body().get("key").asText();
    }

    private static void usage(LedgerClient client, String id, String meter, long quantity) {
        Answer a = client.post("/v1/usage", Map.of("usage_id", id, "meter", meter, "quantity", quantity,
                "occurred_at", clock.instant().truncatedTo(ChronoUnit.SECONDS).toString()), id);
        assertThat(a.status()).as(a.raw().body()).isEqualTo(201);
    }

    private static String stripeEvent(String id, String type, String invoice, String status, long due, long paid) {
        return InvoiceEvents.event(id, type, invoice, "cus_" + tenant.replace("-", ""), status, due, paid, month, clock.instant());
    }

    private static WebDriverWait waiting() {
        return new WebDriverWait(browser, Duration.ofSeconds(20), Duration.ofMillis(50));
    }

    private static void ready(String page) {
        waiting().until(d -> {
            String s = d.findElement(By.id("page-" + page)).getDomAttribute("data-state");
            assertThat(s).as(page + " page state (status: " + d.findElement(By.id(page.equals("invoices") ? "invoices-status-line"
                    : page + "-status")).getText() + ")").isNotEqualTo("error");
            return "ready".equals(s);
        });
    }

    private static void shot(String name) throws Exception {
        Files.createDirectories(SHOTS);
        Files.write(SHOTS.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
    }

    /** axe-core's WCAG 2.1 A and AA rules (labels, names, contrast, landmarks, ARIA) find nothing on the page as it stands. */
    private static void accessible(String what) {
        Results r = new AxeBuilder().withTags(List.of("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")).analyze(browser);
        assertThat(r.getErrorMessage()).as(what + ": axe-core ran").isNull();
        assertThat(r.getViolations()).as(what + ": WCAG 2.1 A/AA violations found by axe-core")
                .extracting(v -> v.getId() + " (" + v.getImpact() + ") at " + v.getNodes().stream().map(n -> String.valueOf(n.getTarget()))
                        .toList())
                .isEmpty();
    }

    private static void setValue(String id, String value) {
        browser.executeScript("document.getElementById(arguments[0]).value = arguments[1]", id, value);
    }

    @Test
    void givenASeededTenantWhenFinanceAndAuditUseTheConsoleThenTheySeeUsageHeldInvoicesMismatchesAndATamperedEntry() throws Exception {
        // a month of the tenant's life: usage in two hours, a report of the first hour, two invoices (one held)
        LedgerClient writer = admin.withKey(key("usage:write", "evaluations:write"));
        usage(writer, "u1", "tokens", 120);
        usage(writer, "u2", "tokens", 80);
        assertThat(service.post("/v1/tenants/" + tenant + "/usage-reports", Map.of("meter", "tokens", "window_start", hour.toString(),
                "window_end", hour.plus(1, ChronoUnit.HOURS).toString(), "quantity", 200, "stripe_identifier", "mr-" + tenant + "-1"))
                .status()).isEqualTo(201);
        clock.advance(Duration.ofHours(1));
        usage(writer, "u3", "tokens", 300);
        assertThat(service.put("/v1/tenants/" + tenant + "/stripe-customer", Map.of("stripe_customer_id", "cus_" + tenant.replace("-", "")))
                .status()).isEqualTo(200);
        String compact = tenant.replace("-", "");
        String witnessed = "in_" + compact + "a";
        String held = "in_" + compact + "b";
        for (String e : List.of(stripeEvent("evt_" + compact + "1", "invoice.created", witnessed, "open", 500, 0),
                stripeEvent("evt_" + compact + "2", "invoice.created", held, "draft", 99, 0))) {
            Answer recorded = service.post("/v1/stripe-events", LedgerClient.parse(e));
            assertThat(recorded.body().get("status").asText()).as(recorded.raw().body()).isEqualTo("recorded");
        }
        String start = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toString();
        String end = month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toString();
        Answer witness = service.post("/v1/tenants/" + tenant + "/invoice-witnesses", Map.of("invoice_id", witnessed,
                "period_start", start, "period_end", end, "quantities", List.of(Map.of("meter", "tokens", "ledger", 500))));
        assertThat(witness.body().get("status").asText()).as(witness.raw().body()).isEqualTo("witnessed");
        assertThat(service.post("/v1/tenants/" + tenant + "/invoice-holds", Map.of("invoice_id", held, "period_start", start,
                "period_end", end, "reason", "quantity_mismatch", "detail", "tokens: ledger 500, stripe 99",
                "quantities", List.of())).status()).isEqualTo(200);

        // sign in: the key goes into the tab's session storage, never into the address
        browser.get(ledger.url() + "/console");
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        shot("0-sign-in");
        accessible("sign-in");
        browser.findElement(By.id("api-key")).sendKeys("lk_wrong_key");
        browser.findElement(By.cssSelector("#sign-in-form button[type=submit]")).click();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("sign-in-error"), "not accepted"));
        browser.findElement(By.id("api-key")).clear();
        browser.findElement(By.id("api-key")).sendKeys(consoleKey);
        browser.findElement(By.cssSelector("#sign-in-form button[type=submit]")).click();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), tenant));
        assertThat(browser.getCurrentUrl()).doesNotContain(consoleKey.substring(3));
        assertThat((String) browser.executeScript("return sessionStorage.getItem('ledger.apiKey')")).isEqualTo(consoleKey);

        // Usage: the two hours, charted and in the table, ledger against reported
        ready("usage");
        browser.findElement(By.id("usage-granularity")).sendKeys("hour");
        setValue("usage-from", hour.atZone(ZoneOffset.UTC).toLocalDate().toString());
        setValue("usage-to", hour.plus(1, ChronoUnit.HOURS).atZone(ZoneOffset.UTC).toLocalDate().toString());
        browser.findElement(By.cssSelector("#usage-form button[type=submit]")).click();
        waiting().until(d -> d.findElements(By.cssSelector("#usage-table tbody tr")).size() == 2);
        ready("usage");
        List<String> usageRows = browser.findElements(By.cssSelector("#usage-table tbody tr")).stream().map(WebElement::getText).toList();
        assertThat(usageRows.get(0)).contains(tenant, "tokens", "200").endsWith("200 200 0");
        assertThat(usageRows.get(1)).contains(tenant, "tokens").endsWith("300 0 0");
        assertThat(browser.findElements(By.cssSelector("#usage-charts figure canvas"))).as("a uPlot chart drawn").isNotEmpty();
        assertThat(browser.findElement(By.cssSelector("#usage-charts figure h3")).getText()).isEqualTo(tenant + " · tokens");
        shot("1-usage");
        accessible("usage");

        // Invoices: the held one says why; the witnessed one's entries are proven by the browser itself
        browser.findElement(By.cssSelector("nav a[data-page=invoices]")).click();
        ready("invoices");
        WebElement heldRow = browser.findElement(By.cssSelector("tr[data-invoice='" + held + "']"));
        assertThat(heldRow.getText()).contains("Held: quantity_mismatch", "tokens: ledger 500, stripe 99", "USD 0.99");
        assertThat(browser.findElement(By.cssSelector("tr[data-invoice='" + witnessed + "']")).getText()).contains("open", "USD 5.00", "size");
        browser.findElement(By.cssSelector("tr[data-invoice='" + witnessed + "'] button")).click();
        waiting().until(d -> {
            List<WebElement> cells = d.findElements(By.cssSelector("#drill-table tbody tr td:last-child"));
            return cells.size() == 3 && cells.stream().allMatch(c -> c.getText().startsWith("verified in this browser"));
        });
        heldRow = browser.findElement(By.cssSelector("tr[data-invoice='" + held + "']"));
        heldRow.findElement(By.tagName("button")).click();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("drill-summary"), "Held (quantity_mismatch)"));
        shot("2-invoices-held");
        accessible("invoices with a drill-down");

        // Reconciliation: the month over and Stripe short of what was reported: the mismatch comes first, with its kind
        clock.advance(Duration.between(clock.instant(), month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant()
                .plus(Duration.ofHours(1))));
        Answer run = service.post("/v1/tenants/" + tenant + "/reconciliations", Map.of("period", month.toString(),
                "stripe", List.of(Map.of("meter", "tokens", "quantity", 150))));
        assertThat(run.status()).as(run.raw().body()).isEqualTo(201);
        // by keyboard alone: the page's link and the form's button answer Enter
        browser.findElement(By.cssSelector("nav a[data-page=reconciliation]")).sendKeys(Keys.ENTER);
        waiting().until(ExpectedConditions.visibilityOfElementLocated(By.id("reconciliation-period")));
        setValue("reconciliation-period", month.toString());
        browser.findElement(By.cssSelector("#reconciliation-form button[type=submit]")).sendKeys(Keys.ENTER);
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("reconciliation-status"), month + " (closed)"));
        WebElement firstRow = browser.findElement(By.cssSelector("#reconciliation-table tbody tr"));
        assertThat(firstRow.getDomAttribute("class")).isEqualTo("mismatch");
        assertThat(firstRow.getText()).startsWith("MISMATCH").contains("tokens", "500", "200", "150", "not_reported", "stripe_missing");
        shot("3-reconciliation");
        accessible("reconciliation");

        // Chain: VALID, then the superuser changes entry 3 and the console names it
        browser.findElement(By.cssSelector("nav a[data-page=chain]")).click();
        ready("chain");
        String headText = browser.findElement(By.id("chain-head-sequence")).getText();
        assertThat(Long.parseLong(headText.replace(",", ""))).isGreaterThan(8);
        assertThat(browser.findElement(By.id("chain-checkpoint")).getText()).startsWith("size ");
        browser.findElement(By.id("chain-verify")).click();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("verdict"), "VALID"));
        assertThat(browser.findElement(By.id("verify-progress-text")).getText()).endsWith("entries checked");
        shot("4-chain-valid");
        accessible("chain");
        try (Connection c = DriverManager.getConnection(SharedInfrastructure.get().postgres.jdbcUrl()); Statement s = c.createStatement()) {
            s.execute("set session_replication_role = replica");
            s.execute("update domain_event_entry set entry_hash = sha256('forged') where aggregate_identifier = '" + tenant
                    + "' and sequence_number = 2");
        }
        browser.findElement(By.id("chain-verify")).click();
        waiting().until(ExpectedConditions.textToBePresentInElementLocated(By.id("verdict"), "BROKEN"));
        assertThat(browser.findElement(By.id("verdict")).getText()).startsWith("BROKEN at sequence 3: hash_mismatch");
        shot("5-chain-broken");

        // the strict Content-Security-Policy refused nothing the console loads
        List<String> refused = browser.manage().logs().get(LogType.BROWSER).getAll().stream().map(LogEntry::getMessage)
                .filter(m -> m.contains("Content Security Policy") || m.contains("Refused")).toList();
        assertThat(refused).isEmpty();
    }
}
