package dev.ledger.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/** The worker's log lines as LEDGER_LOG_FORMAT asks: readable text by default, one JSON object per line on request. */
class LogFormatTest {

    @Test
    void givenJsonEachLineIsAJsonObjectWithTheMessageAndTheRequestId() throws Exception {
        List<String> out = log("json");
        assertThat(out).hasSize(2);
        JsonNode first = new ObjectMapper().readTree(out.get(0));
        assertThat(first.get("formattedMessage").asText()).isEqualTo("tenant acme entry 7 verified");
        assertThat(first.get("level").asText()).isEqualTo("INFO");
        assertThat(first.get("loggerName").asText()).isEqualTo("dev.ledger.follower.ChainFollower");
        assertThat(first.path("mdc").path("request_id").asText()).isEqualTo("req-7");
        assertThat(new ObjectMapper().readTree(out.get(1)).get("formattedMessage").asText()).isEqualTo("no request here");
    }

    @Test
    void givenTextOrNothingEachLineIsReadableWithTheRequestIdInBrackets() throws Exception {
        for (String format : new String[] {"text", null}) {
            List<String> out = log(format);
            assertThat(out).hasSize(2);
            assertThat(out.get(0)).contains("INFO ").contains("[req-7] ").endsWith("- tenant acme entry 7 verified");
            assertThat(out.get(1)).doesNotContain("[]").endsWith("- no request here");
        }
    }

    @Test
    void givenAnUnknownFormatTheWorkerRefusesToStart() {
        Map<String, String> env = new HashMap<>(MeterReaderConfigTest.env());
        env.put("LEDGER_LOG_FORMAT", "xml");
        assertThatThrownBy(() -> MeterReaderConfig.fromEnv(env)).hasMessageContaining("LEDGER_LOG_FORMAT must be text or json");
    }

    /** Two lines through the worker's own logback.xml, with LEDGER_LOG_FORMAT as given (null: unset). */
    private static List<String> log(String format) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(MDC.getMDCAdapter()); // as the SLF4J provider sets up the worker's own context
        try {
            System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
            if (format != null) {
                context.putProperty("LEDGER_LOG_FORMAT", format);
            }
            JoranConfigurator configurator = new JoranConfigurator();
            configurator.setContext(context);
            configurator.doConfigure(LogFormatTest.class.getClassLoader().getResource("logback.xml"));
            var logger = context.getLogger("dev.ledger.follower.ChainFollower");
            MDC.put("request_id", "req-7");
            logger.info("tenant {} entry {} verified", "acme", 7);
            MDC.remove("request_id");
            logger.info("no request here");
        } finally {
            context.stop();
            System.setOut(original);
        }
        return captured.toString(StandardCharsets.UTF_8).lines().toList();
    }
}
