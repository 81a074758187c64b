package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The HTTP contract in the repository ({@code docs/api.md}) and the OpenAPI document a running ledger-api serves
 * ({@code /v3/api-docs}) say the same thing: the same operations, and a document that passes Redocly's recommended
 * rules with no error and no warning.
 */
class ApiContractTest {

    static final Path CONTRACT = Path.of("../docs/api.md");
    /** An operation as docs/api.md writes it: {@code `GET /v1/tenants/{tenant_id}`}, query after '?' ignored. */
    private static final Pattern OPERATION = Pattern.compile("`(GET|POST|PUT|PATCH|DELETE) (/[^`?\\s]*)[^`]*`");
    private static final Set<String> METHODS = Set.of("get", "post", "put", "patch", "delete");

    private static JsonNode openApi;
    private static Path openApiFile;

    @BeforeAll
    static void fetchTheOpenApiDocumentOfARunningLedger() throws IOException {
        String body;
        // ErrorInjection's handler is on the test classpath (component-scanned), never in a deployed ledger
        try (RunningLedger ledger = RunningLedger.start(SharedInfrastructure.get(), Map.of("springdoc.paths-to-exclude", "/v1/injected/**"))) {
            LedgerClient.Answer docs = new LedgerClient(ledger.url(), null).get("/v3/api-docs");
            assertThat(docs.status()).isEqualTo(200);
            body = docs.raw().body();
        }
        openApi = new ObjectMapper().readTree(body);
        openApiFile = Path.of("target", "api-contract", "openapi.json");
        Files.createDirectories(openApiFile.getParent());
        Files.writeString(openApiFile, new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(openApi),
                StandardCharsets.UTF_8);
    }

    @Test
    void theOpenApiDocumentPassesRedoclysRecommendedRulesWithNoErrorAndNoWarning() {
        List<ApiContractRedocly.Problem> problems = ApiContractRedocly.installed().lint(openApiFile);
        assertThat(problems).as("Redocly lint (recommended) of %s", openApiFile.toAbsolutePath()).isEmpty();
    }

    @Test
    void everyOperationOfTheContractIsInTheOpenApiDocumentAndItHasNoOther() throws IOException {
        Set<String> contract = contractOperations(Files.readAllLines(CONTRACT, StandardCharsets.UTF_8));
        Set<String> served = new TreeSet<>();
        openApi.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames().forEachRemaining(method -> {
            if (METHODS.contains(method)) {
                served.add(method.toUpperCase(Locale.ROOT) + " " + normalised(path.getKey()));
            }
        }));
        assertThat(contract).as("operations of docs/api.md (outside planned sections)").isNotEmpty();
        assertThat(served).as("the OpenAPI document lacks operations of docs/api.md").containsAll(contract);
        assertThat(contract).as("docs/api.md lacks operations the OpenAPI document has").containsAll(served);
    }

    @Test
    void everyOperationHasASummaryAndAnExampleOfItsBodyAndOfEachAnswer() {
        List<String> missing = new ArrayList<>();
        openApi.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op -> {
            String name = op.getKey().toUpperCase(Locale.ROOT) + " " + path.getKey();
            if (op.getValue().path("summary").asText().isBlank()) {
                missing.add(name + ": summary");
            }
            op.getValue().path("requestBody").path("content").fields().forEachRemaining(media -> {
                if (!hasExample(media.getValue())) {
                    missing.add(name + ": example of the " + media.getKey() + " body");
                }
            });
            op.getValue().path("responses").fields().forEachRemaining(response -> response.getValue().path("content").fields()
                    .forEachRemaining(media -> {
                        if (!hasExample(media.getValue())) {
                            missing.add(name + ": example of the " + response.getKey() + " " + media.getKey() + " answer");
                        }
                    }));
        }));
        assertThat(missing).isEmpty();
    }

    /** An example on the media type, or on the schema it names. */
    private static boolean hasExample(JsonNode media) {
        if (media.has("example") || media.has("examples")) {
            return true;
        }
        JsonNode schema = media.path("schema");
        String ref = schema.path("$ref").asText("");
        if (ref.startsWith("#/")) {
            schema = openApi.at(ref.substring(1));
        }
        return schema.has("example") || schema.has("examples");
    }

    @Test
    void theProblemCodesOfTheContractAreTheOpenApiCodeEnumAndEachOperationAnswersThemWithTheirStatus() throws IOException {
        Map<String, Integer> contract = contractCodes(Files.readAllLines(CONTRACT, StandardCharsets.UTF_8));
        Set<String> enumerated = new TreeSet<>();
        for (JsonNode alternative : openApi.at("/components/schemas/Problem/properties/code/anyOf")) {
            alternative.path("enum").forEach(c -> enumerated.add(c.asText()));
        }
        assertThat(enumerated).as("the Problem schema's code enum").isEqualTo(new TreeSet<>(contract.keySet()));
        // every problem example of every operation: a code of the contract, under the status the contract gives it
        List<String> examples = new ArrayList<>();
        openApi.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(op ->
                op.getValue().path("responses").fields().forEachRemaining(response -> response.getValue().path("content")
                        .path("application/problem+json").path("examples").fields().forEachRemaining(example -> {
                            String code = example.getValue().at("/value/code").asText();
                            examples.add(code);
                            assertThat(Integer.toString(contract.getOrDefault(code, 0)))
                                    .as("%s %s answers %s under %s", op.getKey(), path.getKey(), code, response.getKey())
                                    .isEqualTo(response.getKey());
                            assertThat(example.getValue().at("/value/status").asInt()).isEqualTo(contract.get(code));
                        }))));
        assertThat(examples).as("problem examples in the OpenAPI document").isNotEmpty();
    }

    /**
     * A code the service raises as {@code new ApiProblem(HttpStatus.X, "code", ...)} or {@code ApiProblem.forbidden("code",
     * ...)}, or maps a bare status to.
     */
    private static final Pattern RAISED = Pattern.compile("(?:HttpStatus\\.[A-Z_]+,|ApiProblem\\.forbidden\\()\\s*\"([a-z][a-z0-9_]*)\""
            + "|case \\d{3} -> \"([a-z][a-z0-9_]*)\"");

    @Test
    void everyCodeTheServiceSourceRaisesIsInTheContract() throws IOException {
        Set<String> contract = contractCodes(Files.readAllLines(CONTRACT, StandardCharsets.UTF_8)).keySet();
        Set<String> raised = new TreeSet<>();
        try (var files = Files.walk(Path.of("src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                Matcher m = RAISED.matcher(Files.readString(file, StandardCharsets.UTF_8));
                while (m.find()) {
                    raised.add(m.group(1) != null ? m.group(1) : m.group(2));
                }
            }
        }
        // the aggregate's refusals reach HTTP through Problems.of(Rejection), the one mapping
        for (dev.ledger.core.tenant.Rejection r : dev.ledger.core.tenant.Rejection.values()) {
            raised.add(r.code());
        }
        assertThat(raised).as("codes raised in ledger-api's source").contains("non_canonical_path", "body_too_large", "tenant_exists",
                "tenant_not_active");
        assertThat(contract).as("docs/api.md's problem codes lack codes the service raises").containsAll(raised);
    }

    /** The table of docs/api.md's "Problem codes" section: code to status. */
    static Map<String, Integer> contractCodes(List<String> lines) {
        Map<String, Integer> codes = new java.util.LinkedHashMap<>();
        boolean inSection = false;
        Pattern row = Pattern.compile("^\\| `([a-z][a-z0-9_]*)` \\| (\\d{3}) \\|.*");
        for (String line : lines) {
            if (line.startsWith("#")) {
                inSection = line.toLowerCase(Locale.ROOT).contains("problem codes");
                continue;
            }
            Matcher m = row.matcher(line);
            if (inSection && m.matches()) {
                assertThat(codes.put(m.group(1), Integer.parseInt(m.group(2)))).as("code %s listed twice", m.group(1)).isNull();
            }
        }
        assertThat(codes).as("docs/api.md's problem codes table").isNotEmpty();
        return codes;
    }

    /**
     * The operations docs/api.md says the service has: every {@code `METHOD /path`} outside the sections whose heading
     * says "planned" (not built yet) or "outside the OpenAPI" (actuator, the document itself).
     */
    static Set<String> contractOperations(List<String> lines) {
        Set<String> ops = new TreeSet<>();
        List<String> headings = new ArrayList<>();
        for (String line : lines) {
            if (line.startsWith("#")) {
                int level = line.indexOf(' ');
                while (headings.size() >= level) {
                    headings.remove(headings.size() - 1);
                }
                headings.add(line.substring(level + 1).toLowerCase(Locale.ROOT));
                continue;
            }
            if (headings.stream().anyMatch(h -> h.contains("planned") || h.contains("outside the openapi"))) {
                continue;
            }
            Matcher m = OPERATION.matcher(line);
            while (m.find()) {
                ops.add(m.group(1) + " " + normalised(m.group(2)));
            }
        }
        return ops;
    }

    private static String normalised(String path) {
        return path.replaceAll("\\{[^}]+}", "{}");
    }
}
