package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenApiTest {

    /** The paths of API.md this service implements, with path variables written as {}. */
    private static final List<String> CONTRACT = List.of("/v1/tenants", "/v1/tenants/{}", "/v1/tenants/{}/api-keys",
            "/v1/tenants/{}/api-keys/{}", "/v1/tenants/{}/suspend", "/v1/tenants/{}/reactivate", "/v1/evaluations",
            "/v1/evaluations:batch", "/v1/usage", "/v1/admin-actions", "/v1/tenants/{}/entries", "/v1/tenants/{}/verifications",
            "/v1/tenants/{}/checkpoints/latest", "/v1/tenants/{}/entries/{}/proof", "/v1/tenants/{}/consistency",
            "/v1/checkpoint-keys", "/v1/tenants/{}/export", "/v1/tenants/{}/usage-reports", "/health", "/ready");

    @Test
    void theOpenApiDocumentDescribesEveryImplementedPathOfTheContractWithExamples() {
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get())) {
            LedgerClient.Answer docs = new LedgerClient(ledger.url(), null).get("/v3/api-docs");
            assertThat(docs.status()).isEqualTo(200);
            List<String> paths = new ArrayList<>();
            docs.body().get("paths").fieldNames().forEachRemaining(p -> paths.add(p.replaceAll("\\{[^}]+}", "{}")));
            assertThat(paths).containsAll(CONTRACT);
            JsonNode schemas = docs.body().get("components").get("schemas");
            JsonNode evaluation = schemas.get("EvaluationRequest");
            assertThat(evaluation.has("example") || evaluation.has("examples")).as(evaluation.toString()).isTrue();
            assertThat(schemas.get("Receipt").get("properties").has("prev_hash")).isTrue();
        }
    }
}
