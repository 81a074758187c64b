package dev.ledger.ops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The alert rules (ops/alerts) pass {@code promtool check rules} and their unit tests ({@code promtool test rules}),
 * every alert has a severity and a runbook that exists, and every dashboard (ops/dashboards) is Grafana JSON whose
 * every panel queries something. Whether the metrics they query exist is system-tests' EndToEndTest's to check, after a
 * scenario over all three services.
 */
class AlertRulesTest {

    static final Path REPO = Path.of("").toAbsolutePath().getParent();
    static final Path ALERTS = REPO.resolve("ops/alerts");
    static final Path DASHBOARDS = REPO.resolve("ops/dashboards");
    static final Path PROMTOOL = Path.of(System.getenv().getOrDefault("LEDGER_PROMTOOL", "/usr/bin/promtool"));

    private static String promtool(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(PROMTOOL.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(ALERTS.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("promtool " + String.join(" ", args) + ":\n" + out).isZero();
        return out;
    }

    @Test
    void givenTheAlertRulesThenPromtoolChecksThemAndTheirUnitTestsPass() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(PROMTOOL), "no promtool here (" + PROMTOOL + "): install Debian's prometheus "
                + "package (./ledger test does when it may) to check the alert rules");
        assertThat(promtool("check", "rules", "ledger.rules.yml")).contains("SUCCESS");
        assertThat(promtool("test", "rules", "ledger.rules.test.yml")).contains("SUCCESS");
    }

    @Test
    void givenEveryAlertThenItHasASeverityAndARunbookThatExists() throws IOException {
        String rules = Files.readString(ALERTS.resolve("ledger.rules.yml"));
        List<String> alerts = names(rules, "- alert: (\\S+)");
        assertThat(alerts).hasSizeGreaterThanOrEqualTo(15).doesNotHaveDuplicates();
        // each alert's block: from its name to the next one
        String[] blocks = rules.split("\\n\\s+- alert: ");
        for (int i = 1; i < blocks.length; i++) {
            String block = blocks[i];
            String name = block.substring(0, block.indexOf('\n')).trim();
            assertThat(block).as(name).containsPattern("severity: (page|ticket)\\n");
            Matcher runbook = Pattern.compile("runbook_url: (\\S+)").matcher(block);
            assertThat(runbook.find()).as(name + " has a runbook_url").isTrue();
            assertThat(REPO.resolve(runbook.group(1))).as(name + "'s runbook").isRegularFile();
        }
        // and the unit tests exercise every alert
        String tests = Files.readString(ALERTS.resolve("ledger.rules.test.yml"));
        for (String alert : alerts) {
            assertThat(tests).as("a unit test of " + alert).contains("alertname: " + alert + "\n");
        }
    }

    @Test
    void givenEveryDashboardThenItIsGrafanaJsonAndEveryPanelQueriesPrometheus() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(DASHBOARDS)) {
            files = s.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
        assertThat(files).extracting(p -> p.getFileName().toString()).contains("ledger-terminal-states.json",
                "ledger-gate-failures.json", "ledger-usage-revenue.json", "ledger-chain-health.json", "ledger-system-health.json");
        ObjectMapper json = new ObjectMapper();
        for (Path file : files) {
            JsonNode d = json.readTree(file.toFile());
            assertThat(d.path("uid").asText()).as(file + " uid").isNotBlank();
            assertThat(d.path("title").asText()).as(file + " title").isNotBlank();
            assertThat(d.path("panels")).as(file + " panels").isNotEmpty();
            for (JsonNode panel : d.path("panels")) {
                assertThat(panel.path("targets")).as(file + ": " + panel.path("title").asText()).isNotEmpty();
                for (JsonNode target : panel.path("targets")) {
                    assertThat(target.path("expr").asText()).as(file + ": " + panel.path("title").asText()).isNotBlank();
                }
            }
        }
    }

    private static List<String> names(String text, String regex) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
