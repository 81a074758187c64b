package dev.ledger.ops.stripe;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The three ways the emulator is spoken to, told apart by the path: how parameters arrive, how errors look, whether
 * an {@code Idempotency-Key} is replayed, and whether the call is Stripe's API (authenticated, open to faults) or the
 * emulator's own {@code /_emulator} admin surface.
 */
enum Dialect {
    /** {@code /v1/…}: form-encoded query and body (Stripe's bracket nesting), v1 error body, idempotent POSTs. */
    V1 {
        @Override
        Map<String, Object> params(String method, String rawQuery, byte[] body) {
            Map<String, Object> params = FormParams.parse(rawQuery);
            if (body.length > 0 && !"GET".equals(method)) {
                FormParams.parse(new String(body, StandardCharsets.UTF_8)).forEach(params::put);
            }
            return params;
        }

        @Override
        StripeApiException unrecognized(String method, String path) {
            return new StripeApiException(404, "invalid_request_error", null, null,
                    "Unrecognized request URL (" + method + ": " + path
                            + "). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.");
        }
    },
    /**
     * {@code /v2/…}: a JSON object body, v2 error body. An Idempotency-Key is not replayed here: the session endpoint
     * makes a fresh session anyway and the stream is idempotent through its event identifiers.
     */
    V2 {
        @Override
        Map<String, Object> params(String method, String rawQuery, byte[] body) {
            Map<String, Object> params = query(rawQuery);
            String text = new String(body, StandardCharsets.UTF_8).trim();
            if (!text.isEmpty()) {
                Object parsed;
                try {
                    parsed = Wire.json().readValue(text, Object.class);
                } catch (JsonProcessingException e) {
                    throw StripeApiException.invalid("invalid_json", null,
                            "Invalid JSON body: " + e.getOriginalMessage());
                }
                if (!(parsed instanceof Map<?, ?> map)) {
                    throw StripeApiException.invalid("invalid_json", null, "The request body must be a JSON object.");
                }
                map.forEach((k, v) -> params.put(String.valueOf(k), v));
            }
            return params;
        }

        @Override
        Map<String, Object> errorBody(StripeApiException e) {
            return e.bodyV2();
        }

        /**
         * A v2 query: a repeated key is a list ({@code types=a&types=b}, as stripe-java sends arrays there), bracketed
         * keys nest as in v1 ({@code created[gt]=…}).
         */
        @SuppressWarnings("unchecked")
        private static Map<String, Object> query(String rawQuery) {
            Map<String, Object> params = new LinkedHashMap<>();
            FormParams.pairs(rawQuery, (key, value) -> {
                if (key.contains("[")) {
                    FormParams.put(params, key, value);
                } else if (params.get(key) instanceof List<?> list) {
                    ((List<Object>) list).add(value);
                } else if (params.containsKey(key)) {
                    params.put(key, new ArrayList<>(List.of(params.get(key), value)));
                } else {
                    params.put(key, value);
                }
            });
            return params;
        }

        @Override
        StripeApiException unrecognized(String method, String path) {
            return new StripeApiException(404, "invalid_request_error", "not_found", null,
                    "Unrecognized request URL (" + method + ": " + path + ").");
        }
    },
    /** {@code /_emulator…}: query plus a JSON or form body, values as strings; v1 error body; no key, no faults. */
    ADMIN {
        @Override
        Map<String, Object> params(String method, String rawQuery, byte[] body) {
            Map<String, Object> params = FormParams.parse(rawQuery);
            String text = new String(body, StandardCharsets.UTF_8).trim();
            if (text.startsWith("{")) {
                Map<?, ?> parsed;
                try {
                    parsed = Wire.json().readValue(text, Map.class);
                } catch (JsonProcessingException e) {
                    throw StripeApiException.invalid(null, null, "Invalid JSON body: " + e.getOriginalMessage());
                }
                parsed.forEach((k, v) -> params.put(String.valueOf(k), v == null ? null : String.valueOf(v)));
            } else if (!text.isEmpty()) {
                FormParams.parse(text).forEach(params::put);
            }
            return params;
        }

        @Override
        StripeApiException unrecognized(String method, String path) {
            return new StripeApiException(404, "invalid_request_error", null, null,
                    "Unrecognized emulator URL (" + method + ": " + path + ").");
        }
    };

    static Dialect of(String path) {
        if (path.startsWith("/_emulator")) {
            return ADMIN;
        }
        return path.startsWith("/v2/") ? V2 : V1;
    }

    /** The call's parameters; a body this dialect cannot read is a 400. */
    abstract Map<String, Object> params(String method, String rawQuery, byte[] body);

    abstract StripeApiException unrecognized(String method, String path);

    Map<String, Object> errorBody(StripeApiException e) {
        return e.body();
    }

    /** Stripe's API (authenticated, counted, open to injected faults), as opposed to the admin surface. */
    boolean isApi() {
        return this != ADMIN;
    }

    /** Whether a POST's {@code Idempotency-Key} is stored and replayed (and echoed back). */
    boolean replaysIdempotencyKeys() {
        return this == V1;
    }
}
