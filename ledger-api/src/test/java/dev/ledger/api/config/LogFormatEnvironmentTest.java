package dev.ledger.api.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** LEDGER_LOG_FORMAT=json turns on Spring Boot's structured (ECS JSON) console logs; text is the default; else no start. */
class LogFormatEnvironmentTest {

    private static StandardEnvironment with(Map<String, Object> values) {
        StandardEnvironment env = new StandardEnvironment();
        env.getPropertySources().addFirst(new MapPropertySource("test", values));
        new LogFormatEnvironment().postProcessEnvironment(env, null);
        return env;
    }

    @Test
    void givenJsonThenTheConsoleLogsAreStructured() {
        assertThat(with(Map.of("LEDGER_LOG_FORMAT", "json")).getProperty("logging.structured.format.console")).isEqualTo("ecs");
    }

    @Test
    void givenTextOrNothingThenTheLinesStayReadable() {
        assertThat(with(Map.of("LEDGER_LOG_FORMAT", "text")).getProperty("logging.structured.format.console")).isNull();
        assertThat(with(Map.of()).getProperty("logging.structured.format.console")).isNull();
    }

    @Test
    void givenAnotherValueThenTheServiceRefusesToStart() {
        assertThatThrownBy(() -> with(Map.of("LEDGER_LOG_FORMAT", "yaml"))).hasMessageContaining("LEDGER_LOG_FORMAT must be text or json");
    }
}
