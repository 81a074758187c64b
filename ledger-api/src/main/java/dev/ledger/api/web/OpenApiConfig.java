package dev.ledger.api.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swagger.v3.core.jackson.ModelResolver;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.Operation;
import io.swagger.v3.oas.models.examples.Example;
import io.swagger.v3.oas.models.headers.Header;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.parameters.Parameter;
import io.swagger.v3.oas.models.responses.ApiResponse;
import io.swagger.v3.oas.models.responses.ApiResponses;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.tags.Tag;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springdoc.core.customizers.OperationCustomizer;
import org.springdoc.core.utils.SpringDocUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * The OpenAPI 3 document at /v3/api-docs, generated from the controllers: their {@code @Operation} summaries and
 * {@code @ApiResponse} answers, and here the parts every operation shares: the problem+json error responses (schema
 * {@code Problem}, whose {@code code} lists the catalogue below), the Idempotency-Key header, the tags. docs/api.md is the
 * contract it follows; ApiContractTest lints this document with Redocly's recommended rules and holds it against
 * docs/api.md.
 */
@Configuration
class OpenApiConfig {

    static final String PROBLEM_JSON = "application/problem+json";
    static final String PROBLEM_REF = "#/components/schemas/Problem";

    /** A problem code: the status it answers and what it means. */
    record Code(int status, String meaning) {
    }

    /**
     * Every stable {@code code} the ledger answers (docs/api.md, "Problem codes"). A status answered without a more
     * precise code (Tomcat's own, Spring MVC's) carries {@code http_<status>}.
     */
    static final Map<String, Code> CODES = new LinkedHashMap<>();

    static {
        code("non_canonical_path", 400, "the path is not in its one canonical spelling (`;` parameters, `\\`, dot or empty segments, needless percent-encoding)");
        code("bad_request", 400, "a request Tomcat or Spring MVC could not parse");
        code("malformed_json", 400, "the body is not valid JSON (or a batch item is not a JSON object)");
        code("json_limits_exceeded", 400, "the JSON is too deep (32), has too many tokens (1,000,000), or too long a string (65,536) or number (32 digits)");
        code("unknown_field", 400, "the body has a member the ledger does not store (data minimisation)");
        code("webhook_signature_invalid", 400, "Stripe-Signature is missing, malformed or made with no configured secret; nothing was recorded");
        code("webhook_timestamp_outside_tolerance", 400, "the Stripe signature's timestamp is older or newer than LEDGER_STRIPE_WEBHOOK_TOLERANCE; nothing was recorded");
        code("invalid_parameter", 400, "a query or path parameter is missing or malformed");
        code("header_missing", 400, "a required header is missing");
        code("idempotency_key_missing", 400, "a write without an Idempotency-Key header");
        code("idempotency_key_invalid", 400, "the Idempotency-Key is not 1-255 printable ASCII characters");
        code("idempotency_key_reserved", 400, "the Idempotency-Key starts with `ledger:`, the ledger's own namespace");
        code("unauthenticated", 401, "no key, an unknown key or a revoked key");
        code("tenant_suspended", 402, "the tenant is SUSPENDED: nothing billable is recorded until it is reactivated");
        code("forbidden", 403, "refused without a more precise code");
        code("insufficient_scope", 403, "the key lacks the scope this call needs");
        code("admin_only", 403, "only the admin key may do this");
        code("tenant_key_required", 403, "writes are made with a tenant key");
        code("cors_origin_refused", 403, "a browser origin not in LEDGER_CORS_ORIGINS");
        code("not_found", 404, "no such resource, or a tenant other than the key's own");
        code("entry_not_in_chain", 404, "the tenant's chain holds no entry with that sequence");
        code("method_not_allowed", 405, "that method is not allowed on this path");
        code("not_acceptable", 406, "the Accept header allows neither application/json nor application/problem+json");
        code("tenant_exists", 409, "a tenant with this tenant_id is already registered");
        code("stripe_customer_already_linked", 409, "the tenant is linked to another Stripe customer; a link is never replaced");
        code("tenant_already_suspended", 409, "the tenant is already SUSPENDED; reactivate it first");
        code("tenant_already_active", 409, "the tenant is already ACTIVE; only a SUSPENDED or PAST_DUE tenant is reactivated");
        code("tenant_already_past_due", 409, "the tenant is already PAST_DUE");
        code("tenant_not_active", 409, "only an ACTIVE tenant is marked PAST_DUE");
        code("status_changed", 409, "the tenant's status changed after the status_sequence given; nothing was recorded");
        code("already_linked", 409, "the tenant was linked to this Stripe customer by a concurrent request");
        code("already_redacted", 409, "the entry's payload is already redacted");
        code("duplicate_evaluation_id", 409, "this evaluation_id is already recorded with other content");
        code("duplicate_usage_id", 409, "this usage_id is already recorded with other content");
        code("chain_broken", 409, "the tenant's chain is missing an entry, so what depends on all of it cannot be computed; verify the chain");
        code("entry_not_checkpointed", 409, "the entry is after the latest signed checkpoint: issue one (POST …/checkpoints) or wait for the next");
        code("concurrent_request", 409, "a request with the same Idempotency-Key is in flight; retry");
        code("body_too_large", 413, "the body is larger than the endpoint takes (64 KiB; the batch 4 MiB; Stripe events 512 KiB)");
        code("entry_too_large", 413, "the entry would be stored larger than LEDGER_PUBLICATION_MAX_ENTRY_BYTES; nothing was recorded");
        code("uri_too_long", 414, "the request line is too long");
        code("unsupported_media_type", 415, "the body is not application/json");
        code("not_redactable", 422, "the entry's payload carries decision state (tenant lifecycle, keys, billing witness, verification) or is a redaction; it is never redacted");
        code("validation_failed", 422, "a field is missing or invalid; `errors` names each field and its code");
        code("webhook_event_invalid", 422, "a signed body that is not a Stripe event (id evt_…, object event, type, created, data.object)");
        code("idempotency_key_reused", 422, "this Idempotency-Key was used with a different request body");
        code("unknown_meter", 422, "the meter is not billed by this deployment (LEDGER_ALLOWED_METERS)");
        code("unknown_scope", 422, "an unknown scope, or one that cannot be granted to this kind of key");
        code("invalid_range", 422, "sequences or sizes outside 1..the chain's head, or in the wrong order");
        code("rate_limited", 429, "over the tenant's request rate, or too many failed authentications from this address; see Retry-After");
        code("long_read_limited", 429, "too many verifications and exports at once (LEDGER_READ_POOL_SIZE, LEDGER_READ_TENANT_CONCURRENCY); see Retry-After");
        code("read_rate_limited", 429, "the tenant's read budget is spent (LEDGER_READ_COST_*); see Retry-After");
        code("headers_too_large", 431, "the request headers are too large");
        code("internal_error", 500, "an unforeseen failure; nothing was recorded by this attempt");
        code("service_unavailable", 503, "the service cannot answer now");
        code("request_timeout", 503, "the request took longer than the service allows (Tomcat's own read timeout answers 408 with this code); retry");
        code("webhooks_not_configured", 503, "no Stripe webhook secret is configured (LEDGER_STRIPE_WEBHOOK_SECRETS); nothing was recorded");
        code("append_timeout", 503, "the entry was not confirmed in time; retry with the same Idempotency-Key to learn its fate");
        code("shutting_down", 503, "the service is stopping; retry");
    }

    private static void code(String code, int status, String meaning) {
        CODES.put(code, new Code(status, meaning));
    }

    static {
        // every problem body (a batch item's error too) has the one Problem schema; stored JSON is described as such
        SpringDocUtils.getConfig()
                .replaceWithSchema(ProblemDetail.class, new Schema<>().$ref(PROBLEM_REF))
                .replaceWithSchema(JsonNode.class, new Schema<>().description("JSON, as stored"));
    }

    /** Schemas follow the one JSON configuration (snake_case), not swagger's own mapper. */
    @Bean
    ModelResolver modelResolver(ObjectMapper json) {
        return new ModelResolver(json);
    }

    @Bean
    OpenAPI ledgerOpenApi() {
        return new OpenAPI()
                .info(new Info().title("Ledger HTTP API").version("v1")
                        .description("Append-only, hash-chained audit and billing ledger. snake_case JSON, RFC 3339 UTC times, "
                                + "money in minor units. Errors are RFC 9457 application/problem+json with a stable `code` "
                                + "(schema `Problem`). The contract is docs/api.md in the repository; this document is generated "
                                + "from the service and held against it by the test suite."))
                .components(new Components()
                        .addSecuritySchemes("bearer", new SecurityScheme().type(SecurityScheme.Type.HTTP)
                                .scheme("bearer").description("lk_<key_id>_<secret>, or the admin key"))
                        .addSchemas("Problem", problemSchema())
                        .addSchemas("FieldError", object("One invalid field of a 422 validation_failed")
                                .addProperty("field", string("the field, e.g. gates[0].gate"))
                                .addProperty("code", string("invalid_format, invalid_length, invalid_timestamp, invalid_value, "
                                        + "not_positive, negative, required, too_long, too_large, too_many, unknown_field, "
                                        + "unknown_meter, wrong_type"))
                                .addProperty("message", string("what is expected"))
                                .required(List.of("field", "code")))
                        .addSchemas("EvaluationBatchItem", new Schema<>().description("An evaluation as POST /v1/evaluations takes it, "
                                        + "with its own Idempotency-Key as the member `idempotency_key`")
                                .allOf(List.of(new Schema<>().$ref("#/components/schemas/EvaluationRequest"),
                                        object("the item's idempotency key").addProperty("idempotency_key",
                                                string("1-255 printable ASCII characters, not starting with `ledger:`")))))
                        .addSchemas("Checkpoint", checkpointSchema())
                        .addSchemas("CheckpointKeys", object("The checkpoint signing keys")
                                .addProperty("keys", array(object("An Ed25519 public key")
                                        .addProperty("key_id", string("the key's id, named by each checkpoint"))
                                        .addProperty("algorithm", string("always Ed25519"))
                                        .addProperty("public_key", string("base64 X.509 SubjectPublicKeyInfo"))
                                        .addProperty("note_verifier_key", string("the same key as a C2SP signed-note verifier key "
                                                + "`<deployment origin>+<key hash>+<base64>`, for checkpoints served as text/plain"))))
                                .addProperty("witnesses", array(object("A witness every checkpoint is sent to (C2SP tlog-witness)")
                                        .addProperty("name", string("the witness's name, as its cosignature lines carry it"))
                                        .addProperty("cosigner_key", string("its Ed25519 cosignature/v1 key `<name>+<key id>+<base64>`: "
                                                + "the cosignature lines of text/plain checkpoints verify with it"))))
                                .example(Map.of("keys", List.of(Map.of("key_id", "06e3fd8fda29bb60", "algorithm", "Ed25519",
                                        "public_key", "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
                                        "note_verifier_key", "ledger.example.com+f43f4ff1+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea")),
                                        "witnesses", List.of(Map.of("name", "remora.n621.de",
                                                "cosigner_key", "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2")))))
                        .addSchemas("Health", object("Liveness").addProperty("status", string("UP")).example(Map.of("status", "UP")))
                        .addSchemas("Readiness", object("Readiness and each dependency's state")
                                .addProperty("status", string("UP or DOWN"))
                                .addProperty("checks", object("database and kafka: UP or DOWN")
                                        .addProperty("database", string("UP or DOWN")).addProperty("kafka", string("UP or DOWN")))
                                .example(Map.of("status", "UP", "checks", Map.of("database", "UP", "kafka", "UP"))))
                        .addSchemas("ParkedEntries", object("Entries the publisher parked")
                                .addProperty("parked", array(object("A parked entry")
                                        .addProperty("tenant_id", string("the chain"))
                                        .addProperty("sequence", integer("the entry's sequence"))
                                        .addProperty("event_id", string("the entry's event id"))
                                        .addProperty("record_bytes", integer("the size of its Kafka record"))
                                        .addProperty("reason", string("why Kafka refused it, e.g. record_too_large"))
                                        .addProperty("parked_at", string("when, RFC 3339"))))
                                .addProperty("count", integer("how many entries are parked in all"))
                                .example(Map.of("parked", List.of(), "count", 0))))
                .addSecurityItem(new SecurityRequirement().addList("bearer"))
                .tags(List.of(
                        tag("Tenants and keys", "Tenants, their API keys, the workers' service keys and Stripe customer links (admin)."),
                        tag("Writing", "Evaluations, usage and admin actions (tenant keys, Idempotency-Key required)."),
                        tag("Billing", "Billing facts the workers write back (service keys, scope billing:write)."),
                        tag("Reading and verifying", "Entries and verification runs (audit:read, or the admin key)."),
                        tag("Checkpoints and proofs", "Signed checkpoints, RFC 6962 proofs and the offline-verifiable export."),
                        tag("Finance", "Usage, invoices and the reconciliation of the ledger with Stripe (finance:read, or the admin key), as JSON or CSV."),
                        tag("Stripe webhooks", "Stripe's signed events (public, authenticated by Stripe-Signature) and the events held for want of a tenant (admin)."),
                        tag("Operations", "Probes and what the operator watches.")));
    }

    /** Shared answers and headers, added to each operation as its handler is documented. */
    @Bean
    OperationCustomizer sharedProblems() {
        return (operation, handler) -> {
            ProblemCodes own = handler.getMethodAnnotation(ProblemCodes.class);
            Set<String> codes = new LinkedHashSet<>();
            codes.add("non_canonical_path");
            boolean secured = operation.getSecurity() == null || !operation.getSecurity().isEmpty();
            if (secured) {
                codes.add("unauthenticated");
                codes.add("rate_limited");
            }
            if (operation.getRequestBody() != null) {
                codes.addAll(List.of("malformed_json", "json_limits_exceeded", "unknown_field", "body_too_large", "unsupported_media_type"));
            }
            if (own != null) {
                codes.addAll(List.of(own.value()));
            }
            addProblems(operation, codes);
            if (operation.getParameters() != null) {
                boolean sizes = "getConsistencyProof".equals(operation.getOperationId());
                for (Parameter p : operation.getParameters()) {
                    describe(p, sizes);
                }
            }
            return operation;
        };
    }

    /** The parameters the operations share, by name: what they mean and an example. */
    private static void describe(Parameter p, boolean sizes) {
        switch (p.getName()) {
            case "Idempotency-Key" -> p.required(true).example("ev-123-attempt").description("1-255 printable ASCII characters, "
                    + "not starting with `ledger:`. The same key and body within 24 h answer the first answer again, with "
                    + "Idempotent-Replayed: true; the same key with another body answers 422 idempotency_key_reused.");
            case "tenantId" -> p.example("acme").description("the tenant's `tenant_id`");
            case "keyId" -> p.example("7d1e2f3a4b5c6d7e").description("the key's `key_id`");
            case "sequence" -> p.example(3).description("the entry's sequence in its chain (1, 2, 3, ...)");
            case "after" -> {
                if (p.getSchema() != null && "string".equals(p.getSchema().getType())) {
                    p.example("in_1QxY2a").description("the last invoice id already read; the page starts after it");
                } else {
                    p.example(0).description("the last sequence already read; the page starts after it (default 0)");
                }
            }
            case "limit" -> p.example(100).description("entries per page, 1-1000 (default 100)");
            case "size" -> p.example(4).description("the tree size the proof is for, sequence..head (default: the chain's head)");
            case "from", "to" -> {
                if (p.getSchema() != null && "string".equals(p.getSchema().getType())) {
                    // an instant: the entries' recorded time
                    boolean from = p.getName().equals("from");
                    p.example(from ? "2026-12-01T00:00:00Z" : "2027-01-01T00:00:00Z").description(from
                            ? "only entries recorded at or after this instant (ISO-8601)"
                            : "only entries recorded before this instant (ISO-8601)");
                } else {
                    describeRange(p, sizes);
                }
            }
            case "type" -> p.example(p.getSchema() != null && "array".equals(p.getSchema().getType())
                    ? java.util.List.of("UsageRecorded") : "UsageRecorded").description("only entries of this type (repeatable); the types "
                    + "are listed in docs/chain.md");
            default -> {
                // a parameter of one operation only: its handler documents it
            }
        }
    }

    private static void describeRange(Parameter p, boolean sizes) {
        switch (p.getName()) {
            case "from" -> p.example(sizes ? 3 : 1).description(sizes ? "the smaller tree size, 1..to"
                    : "the first sequence of the bundle (default 1); a ranged bundle carries an anchor");
            case "to" -> p.example(sizes ? 4 : 100).description(sizes ? "the larger tree size, from..head"
                    : "the last sequence of the bundle (default: the chain's head)");
            default -> {
                // a parameter of one operation only: its handler documents it
            }
        }
    }

    /** What every answer of the document has in common: JSON, not any media type. */
    @Bean
    OpenApiCustomizer jsonAnswers() {
        return api -> api.getPaths().values().forEach(path -> path.readOperations().forEach(op -> op.getResponses().values()
                .forEach(r -> {
                    if (r.getContent() != null && r.getContent().containsKey("*/*")) {
                        MediaType any = r.getContent().remove("*/*");
                        r.getContent().put(org.springframework.http.MediaType.APPLICATION_JSON_VALUE, any);
                    }
                })));
    }

    private static void addProblems(Operation operation, Set<String> codes) {
        Map<Integer, List<String>> byStatus = new TreeMap<>();
        for (String c : codes) {
            Code code = CODES.get(c);
            if (code == null) {
                throw new IllegalStateException("@ProblemCodes names '" + c + "', which is not in OpenApiConfig.CODES");
            }
            byStatus.computeIfAbsent(code.status(), s -> new ArrayList<>()).add(c);
        }
        ApiResponses responses = operation.getResponses() == null ? new ApiResponses() : operation.getResponses();
        byStatus.forEach((status, list) -> {
            MediaType media = new MediaType().schema(new Schema<>().$ref(PROBLEM_REF));
            StringBuilder description = new StringBuilder();
            for (String c : list) {
                description.append(description.isEmpty() ? "" : "; ").append('`').append(c).append("`: ").append(CODES.get(c).meaning());
                media.addExamples(c, new Example().summary(c).value(example(c)));
            }
            ApiResponse response = new ApiResponse().description(description.toString()).content(new Content().addMediaType(PROBLEM_JSON, media));
            if (status == 429) {
                response.addHeaderObject("Retry-After", new Header().description("seconds to wait before retrying")
                        .schema(new Schema<Integer>().type("integer").types(Set.of("integer")).minimum(java.math.BigDecimal.ONE)));
            }
            responses.addApiResponse(Integer.toString(status), response);
        });
        operation.setResponses(responses);
    }

    private static Map<String, Object> example(String code) {
        HttpStatus status = HttpStatus.valueOf(CODES.get(code).status());
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("type", "https://ledger.dev/problems/" + code);
        p.put("title", status.getReasonPhrase());
        p.put("status", status.value());
        p.put("detail", Character.toUpperCase(CODES.get(code).meaning().charAt(0)) + CODES.get(code).meaning().substring(1) + ".");
        p.put("code", code);
        if (code.equals("validation_failed")) {
            p.put("errors", List.of(Map.of("field", "occurred_at", "code", "invalid_timestamp",
                    "message", "an RFC 3339 timestamp such as 2026-11-21T10:00:00Z")));
        }
        return p;
    }

    private static Schema<Object> problemSchema() {
        Schema<Object> known = string("one of the catalogue's codes");
        known.setEnum(new ArrayList<>(CODES.keySet()));
        Schema<Object> generic = string("a status answered without a more precise code").pattern("^http_[0-9]{3}$");
        Schema<Object> code = new Schema<>().description("the stable machine code; clients branch on it, never on title or detail")
                .anyOf(List.of(known, generic));
        return object("RFC 9457 problem details with the ledger's stable `code`")
                .addProperty("type", string("https://ledger.dev/problems/<code>").format("uri"))
                .addProperty("title", string("the status's reason phrase"))
                .addProperty("status", new Schema<>().type("integer").types(Set.of("integer")).description("the HTTP status"))
                .addProperty("detail", string("a sentence a person can act on"))
                .addProperty("instance", string("the request path").format("uri"))
                .addProperty("code", code)
                .addProperty("errors", new Schema<>().type("array").types(Set.of("array")).description("each invalid field (422 validation_failed)")
                        .items(new Schema<>().$ref("#/components/schemas/FieldError")))
                .required(List.of("type", "title", "status", "code"));
    }

    private static Schema<Object> checkpointSchema() {
        Map<String, Object> example = new LinkedHashMap<>();
        example.put("tenant_id", "acme");
        example.put("size", 3);
        example.put("root_hash", "c8feebdd45670b2e1556a0b47d380eafbfb0269fbb696bdaf503e74984d26f48");
        example.put("issued_at", "2026-11-21T12:00:00.000Z");
        example.put("key_id", "06e3fd8fda29bb60");
        example.put("signature", "IPKzclIfSWvjzoAMy2RHB9+xxZdJKT8nHgIZAnvaBWDF9ZHHSQEK9StmD3YOr6H/34RJlT7S2E6eWa++qZzzCA==");
        return object("A signed checkpoint: the RFC 6962 root of the tenant's first `size` entries (docs/chain.md section 4)")
                .addProperty("tenant_id", string("the chain"))
                .addProperty("size", integer("how many entries the tree holds"))
                .addProperty("root_hash", string("lowercase hex SHA-256 tree root"))
                .addProperty("issued_at", string("RFC 3339 UTC"))
                .addProperty("key_id", string("the signing key, in GET /v1/checkpoint-keys"))
                .addProperty("signature", string("base64 Ed25519 signature"))
                .example(example);
    }

    private static Schema<Object> array(Schema<?> items) {
        return new Schema<>().type("array").types(Set.of("array")).items(items);
    }

    private static Schema<Object> integer(String description) {
        return new Schema<>().type("integer").types(Set.of("integer")).format("int64").description(description);
    }

    private static Schema<Object> object(String description) {
        return new Schema<>().type("object").types(Set.of("object")).description(description);
    }

    private static Schema<Object> string(String description) {
        return new Schema<>().type("string").types(Set.of("string")).description(description);
    }

    private static Tag tag(String name, String description) {
        return new Tag().name(name).description(description);
    }
}
