package dev.ledger.ops.stripe;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What Stripe accepts for one request parameter, written after the request schemas of its OpenAPI spec, and the one
 * check every resource runs its decoded form parameters through: unknown parameters ({@code parameter_unknown}, the
 * full bracketed name), missing required ones, strings (and their {@code maxLength}), enums, integers, booleans,
 * hashes, arrays ({@code a[0]=…} or {@code a[]=…}), metadata, {@code created}-style ranges, and {@code ""} where the
 * spec allows it to unset a value. Values arrive as {@link FormParams} decodes them: a {@code String} or a nested map.
 */
final class ParamSchema {
    private enum Kind { STRING, ENUM, INTEGER, BOOLEAN, HASH, METADATA, ARRAY, RANGE }

    private final Kind kind;
    private final int maxLength;
    private final List<String> values;
    private final Map<String, ParamSchema> fields;
    private final Set<String> required;
    private final ParamSchema items;
    private final boolean emptyAllowed;

    private ParamSchema(Kind kind, int maxLength, List<String> values, Map<String, ParamSchema> fields,
                        Set<String> required, ParamSchema items, boolean emptyAllowed) {
        this.kind = kind;
        this.maxLength = maxLength;
        this.values = values;
        this.fields = fields;
        this.required = required;
        this.items = items;
        this.emptyAllowed = emptyAllowed;
    }

    static ParamSchema string(int maxLength) {
        return new ParamSchema(Kind.STRING, maxLength, List.of(), Map.of(), Set.of(), null, false);
    }

    static ParamSchema string() {
        return string(5000);
    }

    static ParamSchema oneOf(String... values) {
        return new ParamSchema(Kind.ENUM, 5000, List.of(values), Map.of(), Set.of(), null, false);
    }

    static ParamSchema integer() {
        return new ParamSchema(Kind.INTEGER, 0, List.of(), Map.of(), Set.of(), null, false);
    }

    static ParamSchema bool() {
        return new ParamSchema(Kind.BOOLEAN, 0, List.of(), Map.of(), Set.of(), null, false);
    }

    static ParamSchema metadata() {
        return new ParamSchema(Kind.METADATA, 0, List.of(), Map.of(), Set.of(), null, true);
    }

    static ParamSchema array(ParamSchema items) {
        return new ParamSchema(Kind.ARRAY, 0, List.of(), Map.of(), Set.of(), items, false);
    }

    /** {@code created=123} or {@code created[gte]=…&created[lt]=…}. */
    static ParamSchema range() {
        return new ParamSchema(Kind.RANGE, 0, List.of(), Map.of(), Set.of(), null, false);
    }

    /** A hash with these members ({@code name, schema, name, schema, …}); a name ending in {@code !} is required. */
    static ParamSchema hash(Object... nameSchemaPairs) {
        Map<String, ParamSchema> fields = new LinkedHashMap<>();
        Set<String> required = new java.util.LinkedHashSet<>();
        for (int i = 0; i < nameSchemaPairs.length; i += 2) {
            String name = (String) nameSchemaPairs[i];
            if (name.endsWith("!")) {
                name = name.substring(0, name.length() - 1);
                required.add(name);
            }
            fields.put(name, (ParamSchema) nameSchemaPairs[i + 1]);
        }
        return new ParamSchema(Kind.HASH, 0, List.of(), Map.copyOf(fields), Set.copyOf(required), null, false);
    }

    /** The same schema, also accepting {@code ""} (Stripe's way to unset a value). */
    ParamSchema orEmpty() {
        return new ParamSchema(kind, maxLength, values, fields, required, items, true);
    }

    /** This hash with {@code expand} added, as every v1 operation has it. */
    ParamSchema withExpand() {
        Map<String, ParamSchema> more = new LinkedHashMap<>(fields);
        more.put("expand", array(string()));
        return new ParamSchema(kind, maxLength, values, Map.copyOf(more), required, items, emptyAllowed);
    }

    /** Checks a whole request's parameters against this hash. */
    void check(Map<String, Object> params) {
        checkHash(params, null);
    }

    private void check(Object value, String name) {
        if (value instanceof String s && s.isEmpty() && emptyAllowed) {
            return;
        }
        switch (kind) {
            case STRING -> {
                String s = string(value, name);
                if (s.length() > maxLength) {
                    throw StripeApiException.invalid("invalid_string_length", name,
                            "Invalid " + name + ": must be at most " + maxLength + " characters");
                }
            }
            case ENUM -> {
                String s = string(value, name);
                if (!values.contains(s)) {
                    throw StripeApiException.invalid(null, name, "Invalid " + name + ": must be one of "
                            + listed(values));
                }
            }
            case INTEGER -> integerValue(value, name);
            case BOOLEAN -> {
                String s = string(value, name);
                if (!s.equals("true") && !s.equals("false")) {
                    throw StripeApiException.invalid("parameter_invalid_boolean", name, "Invalid boolean: " + s);
                }
            }
            case HASH -> checkHash(map(value, name), name);
            case METADATA -> {
                for (Map.Entry<String, Object> e : map(value, name).entrySet()) {
                    string(e.getValue(), name + "[" + e.getKey() + "]");
                }
            }
            case ARRAY -> {
                if (!(value instanceof Map<?, ?> m)) {
                    throw StripeApiException.invalid("parameter_invalid_array", name,
                            "Invalid array: " + name + " must be an array, e.g. " + name + "[0]=value.");
                }
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!String.valueOf(e.getKey()).matches("\\d{1,4}")) {
                        throw StripeApiException.invalid("parameter_invalid_array", name,
                                "Invalid array: " + name + "[" + e.getKey() + "] is not an array index.");
                    }
                    items.check(e.getValue(), name + "[" + e.getKey() + "]");
                }
            }
            case RANGE -> {
                if (value instanceof String) {
                    integerValue(value, name);
                    return;
                }
                for (Map.Entry<String, Object> e : map(value, name).entrySet()) {
                    String at = name + "[" + e.getKey() + "]";
                    if (!Set.of("gt", "gte", "lt", "lte").contains(e.getKey())) {
                        throw StripeApiException.unknownParam(at);
                    }
                    integerValue(e.getValue(), at);
                }
            }
            default -> throw new IllegalStateException(kind.name());
        }
    }

    private void checkHash(Map<String, Object> value, String name) {
        for (Map.Entry<String, Object> e : value.entrySet()) {
            String at = name == null ? e.getKey() : name + "[" + e.getKey() + "]";
            ParamSchema field = fields.get(e.getKey());
            if (field == null) {
                throw StripeApiException.unknownParam(at);
            }
            field.check(e.getValue(), at);
        }
        for (String r : required) {
            Object v = value.get(r);
            if (v == null || (v instanceof String s && s.isEmpty())) {
                throw StripeApiException.missingParam(name == null ? r : name + "[" + r + "]");
            }
        }
    }

    private static String string(Object value, String name) {
        if (!(value instanceof String s)) {
            throw StripeApiException.invalid("parameter_invalid_string", name,
                    "Invalid string: " + name + " must be a string, not a hash.");
        }
        return s;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object value, String name) {
        if (!(value instanceof Map<?, ?>)) {
            throw StripeApiException.invalid("parameter_invalid_object", name,
                    "Invalid object: " + name + " must be a hash, e.g. " + name + "[key]=value.");
        }
        return (Map<String, Object>) value;
    }

    private static long integerValue(Object value, String name) {
        String s = string(value, name);
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw StripeApiException.invalidInteger(name, s);
        }
    }

    private static String listed(List<String> values) {
        List<String> shown = new ArrayList<>(values);
        shown.remove("");
        if (shown.size() == 1) {
            return shown.get(0);
        }
        return String.join(", ", shown.subList(0, shown.size() - 1)) + ", or " + shown.get(shown.size() - 1);
    }
}
