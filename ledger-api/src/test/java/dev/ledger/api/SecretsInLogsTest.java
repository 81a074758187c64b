package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Everything the service logs during a run with keys issued, used, misused and revoked holds no secret. */
class SecretsInLogsTest {

    @Test
    void noKeyOrPepperAppearsInAnyLogLine() {
        List<String> secrets = new ArrayList<>(List.of(RunningLedger.ADMIN_KEY, "test-pepper-0123456789"));
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        Logger root = null;
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("logging.level.dev.ledger", "DEBUG",
                "logging.level.org.springframework.web", "DEBUG", "logging.level.org.axonframework", "DEBUG",
                "logging.level.org.springframework.jdbc", "DEBUG"))) {
            // Spring Boot re-initialises logging at start, so the capture is attached to the running service
            LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
            root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
            captured.setContext(context);
            captured.start();
            root.addAppender(captured);
            LedgerClient admin = new LedgerClient(ledger.url(), RunningLedger.ADMIN_KEY);
            String t = "logs-" + System.nanoTime() % 100000;
            admin.post("/v1/tenants", Map.of("tenant_id", t, "name", "Logs"));
            LedgerClient.Answer issued = admin.post("/v1/tenants/" + t + "/api-keys", Map.of("scopes", List.of("evaluations:write")));
            String key = issued.body().get("key").asText();
            secrets.add(key);
            secrets.add(key.substring(key.lastIndexOf('_') + 1));
            LedgerClient tenant = admin.withKey(key);
            tenant.post("/v1/evaluations", LedgerClient.evaluation("e1"), "k1");
            tenant.post("/v1/evaluations", "{broken", "k2");
            tenant.post("/v1/tenants", Map.of("tenant_id", "x", "name", "x"));
            admin.withKey(key + "tampered").post("/v1/evaluations", LedgerClient.evaluation("e2"), "k3");
            admin.withKey("lk_admin_" + "f".repeat(64)).get("/v1/tenants/" + t);
            admin.delete("/v1/tenants/" + t + "/api-keys/" + issued.body().get("key_id").asText());
            tenant.post("/v1/evaluations", LedgerClient.evaluation("e3"), "k4");
        } finally {
            if (root != null) {
                root.detachAppender(captured);
            }
        }
        assertThat(captured.list).hasSizeGreaterThan(20);
        for (ILoggingEvent event : captured.list) {
            String line = event.getFormattedMessage() + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()));
            for (String secret : secrets) {
                assertThat(line).as("log line of %s", event.getLoggerName()).doesNotContain(secret);
            }
        }
    }
}
