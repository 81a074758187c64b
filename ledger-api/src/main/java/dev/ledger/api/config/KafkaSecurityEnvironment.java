package dev.ledger.api.config;

import dev.ledger.core.config.KafkaClientSecurity;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.env.EnvironmentPostProcessor;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.PropertySource;

/**
 * Hands the Kafka security variables ({@code KAFKA_SECURITY_PROTOCOL}, {@code KAFKA_SSL_*}, {@code KAFKA_SASL_*}, from
 * the environment or the command line) to {@link LedgerProperties#kafkaClient()}, mapped by the one mapping every
 * service uses ({@link KafkaClientSecurity}).
 */
@Order(Ordered.LOWEST_PRECEDENCE)
public class KafkaSecurityEnvironment implements EnvironmentPostProcessor {

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment env, SpringApplication application) {
        Map<String, String> variables = new TreeMap<>();
        for (PropertySource<?> source : env.getPropertySources()) {
            if (source instanceof EnumerablePropertySource<?> names) {
                for (String name : names.getPropertyNames()) {
                    if (name.equals(KafkaClientSecurity.SECURITY_PROTOCOL) || name.startsWith("KAFKA_SSL_") || name.startsWith("KAFKA_SASL_")) {
                        variables.put(name, env.getProperty(name));
                    }
                }
            }
        }
        if (variables.isEmpty()) {
            return;
        }
        Map<String, Object> mapped = new LinkedHashMap<>();
        KafkaClientSecurity.fromEnv(variables).clientProperties()
                .forEach((k, v) -> mapped.put("ledger.kafka-client[" + k + "]", v));
        env.getPropertySources().addFirst(new MapPropertySource("kafkaClientSecurity", mapped));
    }
}
