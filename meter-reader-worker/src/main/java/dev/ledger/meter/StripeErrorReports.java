package dev.ledger.meter;

import com.fasterxml.jackson.databind.JsonNode;
import com.stripe.StripeClient;
import com.stripe.exception.StripeException;
import com.stripe.net.ApiResource;
import dev.ledger.core.messages.LedgerJson;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads Stripe's meter error reports: Stripe answers a meter event (v1, or a v2 stream call) before it validates it,
 * and reports the events it then refuses (a customer it does not have, an inactive meter, …) as v2 events
 * {@code v1.billing.meter.error_report_triggered} and {@code v1.billing.meter.no_meter_found}. Every interval this
 * lists those created since the newest one read (less an hour, for Stripe's clock and late ones), and for each one not
 * read before, in one transaction: parks every delivered window it names among its sample errors (status PARKED,
 * stage stripe, the reason Stripe gave), so an operator sees it on {@code GET /parked} and retries it once the cause
 * is fixed; counts the refused events by code ({@code meter_reader_stripe_refused_events}, which also counts events
 * Stripe left out of its samples) and its complete passes ({@code meter_reader_error_report_passes}: it is alive). The invoice witness holds an invoice whose Stripe quantity falls short either way.
 */
final class StripeErrorReports implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(StripeErrorReports.class);
    static final String ERROR_REPORT = "v1.billing.meter.error_report_triggered";
    static final String NO_METER = "v1.billing.meter.no_meter_found";
    private static final Duration OVERLAP = Duration.ofHours(1);
    /** Stripe keeps events 30 days; a first pass looks back that far. */
    private static final Duration FIRST_LOOK_BACK = Duration.ofDays(30);
    private static final int PAGES_PER_PASS = 50;

    private final StripeClient stripe;
    private final MeterReaderStore store;
    private final MeterReaderMetrics metrics;
    private final Duration interval;
    private final Clock clock;
    private volatile boolean running = true;

    StripeErrorReports(StripeClient stripe, MeterReaderStore store, MeterReaderMetrics metrics, Duration interval,
                       Clock clock) {
        this.stripe = stripe;
        this.store = store;
        this.metrics = metrics;
        this.interval = interval;
        this.clock = clock;
    }

    boolean enabled() {
        return !interval.isZero();
    }

    void stop() {
        running = false;
    }

    @Override
    public void run() {
        long last = System.nanoTime() - interval.toNanos();
        while (running) {
            if (System.nanoTime() - last >= interval.toNanos()) {
                last = System.nanoTime();
                try {
                    passOnce();
                } catch (SQLException | IOException | StripeException | RuntimeException e) {
                    log.warn("reading Stripe's meter error reports paused ({})", MeterReader.describe(e));
                }
            }
            try {
                Thread.sleep(Math.min(1_000, Math.max(20, interval.toMillis() / 4)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                running = false;
            }
        }
    }

    /** One pass: answers the windows parked. */
    int passOnce() throws SQLException, IOException, StripeException {
        Instant now = clock.instant();
        Instant newest = store.newestErrorReport();
        Instant since = newest == null ? now.minus(FIRST_LOOK_BACK) : newest.minus(OVERLAP);
        String url = "/v2/core/events?types=" + ERROR_REPORT + "&types=" + NO_METER + "&limit=100&"
                + URLEncoder.encode("created[gt]", StandardCharsets.UTF_8) + "="
                + URLEncoder.encode(since.toString(), StandardCharsets.UTF_8);
        int parked = 0;
        for (int page = 0; url != null && page < PAGES_PER_PASS; page++) {
            JsonNode list = LedgerJson.mapper().readTree(
                    stripe.rawRequest(ApiResource.RequestMethod.GET, url, null).body());
            for (JsonNode event : list.path("data")) {
                parked += Math.max(0, read(event, now));
            }
            url = list.path("next_page_url").isTextual() ? list.get("next_page_url").asText() : null;
        }
        metrics.errorReportPass();
        return parked;
    }

    /** Records one report and parks the windows it names; -1 when it was read before. */
    private int read(JsonNode event, Instant now) throws SQLException {
        String id = event.path("id").asText();
        JsonNode reason = event.path("data").path("reason");
        long refused = reason.path("error_count").asLong(0);
        Map<String, String> windows = new LinkedHashMap<>();
        Map<String, Long> byCode = new LinkedHashMap<>();
        for (JsonNode type : reason.path("error_types")) {
            String code = type.path("code").asText("unknown");
            byCode.merge(code, type.path("error_count").asLong(0), Long::sum);
            for (JsonNode sample : type.path("sample_errors")) {
                String identifier = sample.path("request").path("identifier").asText(null);
                if (identifier != null) {
                    windows.put(identifier, "stripe refused the event after accepting it: " + code + ": "
                            + sample.path("error_message").asText(""));
                }
            }
        }
        Instant created = Instant.parse(event.path("created").asText());
        int parked = store.recordErrorReport(id, created, refused, windows, now);
        if (parked < 0) {
            return parked;
        }
        byCode.forEach(metrics::stripeRefused);
        for (int i = 0; i < parked; i++) {
            metrics.windowParked("stripe");
        }
        log.error("Stripe refused {} meter event(s) after accepting them ({}, {}): {} window(s) parked for an operator",
                refused, RecordKey.forLog(event.path("type").asText()), RecordKey.forLog(byCode.keySet().toString()),
                parked);
        return parked;
    }
}
