package dev.ledger.system;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The metrics the alert rules (ops/alerts) and the dashboards (ops/dashboards) query, held against what the services
 * serve: a misspelled or removed metric would leave an alert that never fires and a panel that stays empty.
 */
final class MetricsCatalog {

    static final Path REPO = Path.of("").toAbsolutePath().getParent();
    private static final Pattern NAME = Pattern.compile("\\b((?:ledger|meter_reader|invoice_worker|http_server|hikaricp)_[a-z0-9_]*[a-z0-9])\\b");

    /**
     * Series that exist only from their first event, which the end-to-end scenario does not cause (each is checked by
     * the test named here instead), with why.
     */
    static final Map<String, String> FIRST_EVENT_ONLY = Map.of(
            "ledger_ratelimit_rejections_total", "per tenant, from its first 429 (ObservabilityMetricsTest)",
            "ledger_invoices_paid_minor_units_total", "per currency, from the first paid invoice (ObservabilityMetricsTest)",
            "ledger_chain_forks_total", "per reason, from the first fork (the chain follower's fork tests)",
            "meter_reader_stripe_errors_total", "per operation and code, from the first error (MeterReaderTest)",
            "meter_reader_windows_parked_total", "per stage, from the first parked window (MeterReaderTest)",
            "invoice_worker_witness_total", "per verdict and reason, from the first draft invoice (InvoiceWitnessEndToEndTest)");

    private MetricsCatalog() {
    }

    /** Every metric name an alert's expression or a dashboard panel's query names. */
    static TreeSet<String> queried() {
        TreeSet<String> names = new TreeSet<>();
        try {
            for (String line : Files.readAllLines(REPO.resolve("ops/alerts/ledger.rules.yml"))) {
                if (!line.trim().startsWith("#") && !line.contains("summary:") && !line.contains("description:")
                        && !line.contains("runbook_url:")) {
                    collect(line, names);
                }
            }
            ObjectMapper json = new ObjectMapper();
            try (Stream<Path> files = Files.list(REPO.resolve("ops/dashboards"))) {
                for (Path file : files.filter(p -> p.toString().endsWith(".json")).toList()) {
                    for (JsonNode panel : json.readTree(file.toFile()).path("panels")) {
                        for (JsonNode target : panel.path("targets")) {
                            collect(target.path("expr").asText(), names);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }

    private static void collect(String text, TreeSet<String> names) {
        Matcher m = NAME.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
    }

    /** Fails naming each queried metric that no scrape serves (beyond {@link #FIRST_EVENT_ONLY}). */
    static void assertEveryQueriedMetricIsServed(Map<String, String> scrapes) {
        TreeSet<String> queried = queried();
        assertThat(queried).as("metrics the alerts and dashboards query").hasSizeGreaterThan(30);
        List<String> missing = new ArrayList<>();
        for (String name : queried) {
            boolean served = scrapes.values().stream().anyMatch(text -> text.lines()
                    .anyMatch(l -> l.startsWith(name + "{") || l.startsWith(name + " ")));
            if (!served && !FIRST_EVENT_ONLY.containsKey(name)) {
                missing.add(name);
            }
        }
        assertThat(missing).as("queried by ops/alerts or ops/dashboards but served by none of " + scrapes.keySet()).isEmpty();
    }
}
