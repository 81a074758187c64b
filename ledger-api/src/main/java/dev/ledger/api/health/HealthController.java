package dev.ledger.api.health;

import dev.ledger.api.config.LedgerProperties;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirements;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** Liveness, and readiness = the database and Kafka answer. */
@RestController
@Tag(name = "Operations")
public class HealthController implements AutoCloseable {

    private final JdbcTemplate jdbc;
    private final Admin kafka;

    public HealthController(JdbcTemplate jdbc, LedgerProperties props) {
        this.jdbc = jdbc;
        this.kafka = Admin.create(props.kafkaSecurity().with(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, props.kafkaBootstrapServers(),
                AdminClientConfig.CLIENT_ID_CONFIG, "ledger-api-readiness",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 3000, AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 2000)));
    }

    @Operation(summary = "Liveness", operationId = "health", description = "Public. UP while the process serves requests.")
    @SecurityRequirements
    @ApiResponse(responseCode = "200", description = "UP", content = @Content(schema = @Schema(ref = "#/components/schemas/Health")))
    @GetMapping("/health")
    public Map<String, String> health() {
        return Map.of("status", "UP");
    }

    @Operation(summary = "Readiness", operationId = "ready", description = "Public. UP when the database and Kafka answer.")
    @SecurityRequirements
    @ApiResponse(responseCode = "200", description = "Ready", content = @Content(schema = @Schema(ref = "#/components/schemas/Readiness")))
    @ApiResponse(responseCode = "503", description = "Not ready: a dependency does not answer",
            content = @Content(schema = @Schema(ref = "#/components/schemas/Readiness")))
    @GetMapping("/ready")
    public ResponseEntity<Map<String, Object>> ready() {
        Map<String, Object> checks = new LinkedHashMap<>();
        checks.put("database", check(() -> jdbc.queryForObject("select 1", Integer.class)));
        checks.put("kafka", check(() -> kafka.describeCluster(new DescribeClusterOptions().timeoutMs(2000)).clusterId()
                .get(3, TimeUnit.SECONDS)));
        boolean up = checks.values().stream().allMatch("UP"::equals);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", up ? "UP" : "DOWN");
        body.put("checks", checks);
        return ResponseEntity.status(up ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).body(body);
    }

    private interface Probe {
        Object run() throws Exception;
    }

    private static String check(Probe probe) {
        try {
            probe.run();
            return "UP";
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return "DOWN";
        }
    }

    @Override
    public void close() {
        kafka.close();
    }
}
