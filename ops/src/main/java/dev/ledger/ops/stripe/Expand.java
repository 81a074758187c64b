package dev.ledger.ops.stripe;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stripe's {@code expand[]} parameter: the paths a call asks to expand, refused unless each names an expandable field
 * of the answered object (for a list, {@code data.<field>}), as Stripe refuses them.
 */
final class Expand {
    private Expand() {
    }

    /** The requested paths of an object answer, each checked against {@code expandable}. */
    static Set<String> of(Map<String, Object> params, Set<String> expandable) {
        return check(paths(params), expandable, "");
    }

    /** The requested paths of a list answer ({@code data.x}), as paths on each listed object ({@code x}). */
    static Set<String> ofList(Map<String, Object> params, Set<String> expandable) {
        return check(paths(params), expandable, "data.");
    }

    private static List<String> paths(Map<String, Object> params) {
        Object raw = params.get("expand");
        List<String> out = new ArrayList<>();
        if (raw instanceof Map<?, ?> m) {
            m.values().forEach(v -> out.add(String.valueOf(v)));
        } else if (raw instanceof String s && !s.isEmpty()) {
            throw StripeApiException.invalid("parameter_invalid_array", "expand",
                    "Invalid array: expand must be an array, e.g. expand[0]=field.");
        }
        return out;
    }

    private static Set<String> check(List<String> paths, Set<String> expandable, String prefix) {
        Set<String> fields = new java.util.LinkedHashSet<>();
        for (String path : paths) {
            String field = path.startsWith(prefix) ? path.substring(prefix.length()) : null;
            if (field == null || !expandable.contains(field)) {
                throw StripeApiException.invalid(null, "expand",
                        "This property cannot be expanded (" + path + ").");
            }
            fields.add(field);
        }
        return fields;
    }
}
