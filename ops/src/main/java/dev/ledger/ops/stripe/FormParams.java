package dev.ledger.ops.stripe;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiConsumer;

/**
 * Decodes Stripe-style form / query encodings ({@code a=1&payload[stripe_customer_id]=cus_1&expand[0]=x})
 * into nested maps, and offers the typed getters the endpoints use. A value is either a {@code String}
 * or a nested {@code Map<String,Object>} (array indices become map keys, {@code a[]} appends).
 */
final class FormParams {
    private FormParams() {
    }

    static Map<String, Object> parse(String encoded) {
        Map<String, Object> root = new LinkedHashMap<>();
        pairs(encoded, (key, value) -> put(root, key, value));
        return root;
    }

    /** Each decoded {@code key=value} of a query or form body, in order. */
    static void pairs(String encoded, BiConsumer<String, String> each) {
        if (encoded == null || encoded.isEmpty()) {
            return;
        }
        for (String pair : encoded.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String rawKey = eq < 0 ? pair : pair.substring(0, eq);
            String rawValue = eq < 0 ? "" : pair.substring(eq + 1);
            each.accept(URLDecoder.decode(rawKey, StandardCharsets.UTF_8),
                    URLDecoder.decode(rawValue, StandardCharsets.UTF_8));
        }
    }

    /** Adds {@code key=value} with bracket nesting into {@code root}. */
    @SuppressWarnings("unchecked")
    static void put(Map<String, Object> root, String key, String value) {
        List<String> path = splitKey(key);
        Map<String, Object> node = root;
        for (int i = 0; i < path.size() - 1; i++) {
            String seg = path.get(i).isEmpty() ? String.valueOf(node.size()) : path.get(i);
            Object child = node.get(seg);
            if (!(child instanceof Map)) {
                child = new LinkedHashMap<String, Object>();
                node.put(seg, child);
            }
            node = (Map<String, Object>) child;
        }
        String last = path.get(path.size() - 1);
        node.put(last.isEmpty() ? String.valueOf(node.size()) : last, value);
    }

    private static List<String> splitKey(String key) {
        List<String> out = new ArrayList<>();
        int bracket = key.indexOf('[');
        if (bracket <= 0 || !key.endsWith("]")) {
            out.add(key);
            return out;
        }
        out.add(key.substring(0, bracket));
        int i = bracket;
        while (i < key.length() && key.charAt(i) == '[') {
            int close = key.indexOf(']', i);
            if (close < 0) {
                break;
            }
            out.add(key.substring(i + 1, close));
            i = close + 1;
        }
        return out;
    }

    /** Deterministic rendering (sorted keys) used to compare idempotent requests' parameters. */
    @SuppressWarnings("unchecked")
    static String canonical(Object value) {
        if (value instanceof Map<?, ?> map) {
            StringBuilder sb = new StringBuilder("{");
            new TreeMap<>((Map<String, Object>) map).forEach((k, v) ->
                    sb.append(k).append('=').append(canonical(v)).append(';'));
            return sb.append('}').toString();
        }
        return String.valueOf(value);
    }

    // ---- typed getters; every failure is a Stripe-shaped 400. "display" is the full param name
    // (e.g. "default_aggregation[formula]") used in error messages. ----

    static String optString(Map<String, Object> params, String key) {
        return optString(params, key, key);
    }

    static String optString(Map<String, Object> params, String key, String display) {
        Object v = params.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw StripeApiException.invalid("parameter_invalid_string", display,
                    "Invalid string: " + display + " must be a string, not a hash.");
        }
        return s;
    }

    static String requireString(Map<String, Object> params, String key) {
        return requireString(params, key, key);
    }

    static String requireString(Map<String, Object> params, String key, String display) {
        String s = optString(params, key, display);
        if (s == null || s.isEmpty()) {
            throw StripeApiException.missingParam(display);
        }
        return s;
    }

    static Long optLong(Map<String, Object> params, String key) {
        String s = optString(params, key);
        if (s == null || s.isEmpty()) {
            return null;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            throw StripeApiException.invalidInteger(key, s);
        }
    }

    static long requireLong(Map<String, Object> params, String key) {
        Long v = optLong(params, key);
        if (v == null) {
            throw StripeApiException.missingParam(key);
        }
        return v;
    }

    /** A nested hash; an empty string means "empty hash" (Stripe's way of unsetting). */
    @SuppressWarnings("unchecked")
    static Map<String, Object> optMap(Map<String, Object> params, String key) {
        Object v = params.get(key);
        if (v == null) {
            return null;
        }
        if (v instanceof String s) {
            if (s.isEmpty()) {
                return new LinkedHashMap<>();
            }
            throw StripeApiException.invalid("parameter_invalid_object", key,
                    "Invalid object: " + key + " must be a hash, e.g. " + key + "[key]=value.");
        }
        return (Map<String, Object>) v;
    }

    /**
     * Rejects any key not in {@code allowed}, the way Stripe does ("Received unknown parameter: …").
     * {@code parent} is the enclosing param's name, or null at top level.
     */
    static void allowOnly(Map<String, Object> params, Set<String> allowed, String parent) {
        for (String key : params.keySet()) {
            if (!allowed.contains(key)) {
                throw StripeApiException.unknownParam(parent == null ? key : parent + "[" + key + "]");
            }
        }
    }
}
