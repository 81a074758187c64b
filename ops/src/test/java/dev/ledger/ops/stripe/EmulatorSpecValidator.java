package dev.ledger.ops.stripe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks a JSON answer against the Stripe schemas kept in {@code stripe-spec/schemas.json} (extracted from Stripe's
 * published OpenAPI spec by {@code stripe-spec/extract.py}). The subset of OpenAPI 3.0 those schemas use: {@code $ref},
 * {@code anyOf}, {@code nullable}, {@code type}, {@code enum}, {@code maxLength}, {@code required}, {@code properties},
 * {@code additionalProperties}, {@code items}. Stricter than OpenAPI in two ways, on purpose: a member an object schema
 * does not declare is a mismatch (Stripe answers no field its spec does not list), and a non-null value where the
 * schema points at a schema the extract does not hold is a mismatch (extract it before the emulator emits it).
 */
final class EmulatorSpecValidator {
    private static final String REF_PREFIX = "#/components/schemas/";

    private final JsonNode schemas;
    private final JsonNode operations;
    private final JsonNode source;

    private EmulatorSpecValidator(JsonNode root) {
        this.schemas = root.path("schemas");
        this.operations = root.path("operations");
        this.source = root.path("source");
    }

    static EmulatorSpecValidator load() {
        try (InputStream in = EmulatorSpecValidator.class.getResourceAsStream("/stripe-spec/schemas.json")) {
            if (in == null) {
                throw new IllegalStateException("stripe-spec/schemas.json is not on the test class path");
            }
            return new EmulatorSpecValidator(new ObjectMapper().readTree(in));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    String apiVersion() {
        return source.path("api_version").asText();
    }

    /** The operations ({@code "GET /v1/customers"}) the extract holds a response schema for. */
    List<String> operations() {
        List<String> out = new ArrayList<>();
        operations.fieldNames().forEachRemaining(out::add);
        return out;
    }

    /** The mismatches of {@code answer} against the 200 response schema of {@code operation}; empty when it fits. */
    List<String> mismatches(String operation, JsonNode answer) {
        JsonNode op = operations.get(operation);
        if (op == null) {
            throw new IllegalArgumentException("no schema extracted for " + operation);
        }
        List<String> errors = new ArrayList<>();
        check(answer, op.path("response"), "$", errors);
        return errors;
    }

    /** How {@code value} differs from the extracted component schema {@code name}. */
    List<String> schemaMismatches(String name, JsonNode value) {
        if (!schemas.has(name)) {
            throw new IllegalArgumentException("no schema extracted named " + name);
        }
        List<String> errors = new ArrayList<>();
        check(value, schemas.get(name), "$", errors);
        return errors;
    }

    private void check(JsonNode value, JsonNode schema, String at, List<String> errors) {
        if (value == null || value.isMissingNode()) {
            return;
        }
        if (schema.has("$ref")) {
            String name = schema.get("$ref").asText().substring(REF_PREFIX.length());
            JsonNode target = schemas.get(name);
            if (target == null) {
                if (!value.isNull()) {
                    errors.add(at + ": a value where the spec has schema '" + name + "', which the extract lacks");
                }
                return;
            }
            if (value.isNull() && !schema.path("nullable").asBoolean()) {
                errors.add(at + ": null, but '" + name + "' is not nullable");
                return;
            }
            check(value, target, at, errors);
            return;
        }
        if (value.isNull()) {
            if (!schema.path("nullable").asBoolean()) {
                errors.add(at + ": null, but the spec does not allow null here");
            }
            return;
        }
        if (schema.has("anyOf")) {
            List<String> why = new ArrayList<>();
            for (JsonNode alternative : schema.get("anyOf")) {
                List<String> attempt = new ArrayList<>();
                check(value, alternative, at, attempt);
                if (attempt.isEmpty()) {
                    return;
                }
                why.add(String.join("; ", attempt));
            }
            errors.add(at + ": fits none of anyOf " + why);
            return;
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "string" -> {
                if (!value.isTextual()) {
                    errors.add(at + ": " + value.getNodeType() + ", the spec says string");
                    return;
                }
                int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
                if (value.asText().length() > max) {
                    errors.add(at + ": longer than maxLength " + max);
                }
            }
            case "integer" -> {
                if (!value.isIntegralNumber()) {
                    errors.add(at + ": " + value + " is not an integer");
                }
            }
            case "number" -> {
                if (!value.isNumber()) {
                    errors.add(at + ": " + value + " is not a number");
                }
            }
            case "boolean" -> {
                if (!value.isBoolean()) {
                    errors.add(at + ": " + value + " is not a boolean");
                }
            }
            case "array" -> {
                if (!value.isArray()) {
                    errors.add(at + ": " + value.getNodeType() + ", the spec says array");
                    return;
                }
                for (int i = 0; i < value.size(); i++) {
                    check(value.get(i), schema.path("items"), at + "[" + i + "]", errors);
                }
            }
            case "object" -> checkObject(value, schema, at, errors);
            case "" -> {
                // no type: any value (the spec's "{}")
            }
            default -> errors.add(at + ": the validator does not know type '" + type + "'");
        }
        if (schema.has("enum")) {
            boolean listed = false;
            for (JsonNode allowed : schema.get("enum")) {
                listed |= allowed.equals(value);
            }
            if (!listed) {
                errors.add(at + ": " + value + " is not one of " + schema.get("enum"));
            }
        }
    }

    private void checkObject(JsonNode value, JsonNode schema, String at, List<String> errors) {
        if (!value.isObject()) {
            errors.add(at + ": " + value.getNodeType() + ", the spec says object");
            return;
        }
        for (JsonNode required : schema.path("required")) {
            if (!value.has(required.asText())) {
                errors.add(at + ": required member '" + required.asText() + "' is missing");
            }
        }
        JsonNode properties = schema.path("properties");
        JsonNode additional = schema.get("additionalProperties");
        if (!schema.has("properties") && (additional == null || additional.asBoolean(false))) {
            return; // a free-form object in the spec, such as an event's data.object
        }
        Iterator<Map.Entry<String, JsonNode>> members = value.fields();
        while (members.hasNext()) {
            Map.Entry<String, JsonNode> m = members.next();
            String where = at + "." + m.getKey();
            if (properties.has(m.getKey())) {
                check(m.getValue(), properties.get(m.getKey()), where, errors);
            } else if (additional != null && additional.isObject()) {
                check(m.getValue(), additional, where, errors);
            } else {
                errors.add(where + ": not a member of Stripe's schema");
            }
        }
    }
}
