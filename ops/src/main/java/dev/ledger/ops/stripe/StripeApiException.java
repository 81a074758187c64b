package dev.ledger.ops.stripe;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error the emulator answers with, rendered as Stripe's error body
 * {@code {"error":{"type":…,"message":…,"code":…,"param":…}}} (absent fields are omitted, as Stripe does).
 */
final class StripeApiException extends RuntimeException {
    private final int status;
    private final String type;
    private final String code;
    private final String param;

    StripeApiException(int status, String type, String code, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    /** 400 invalid_request_error. */
    static StripeApiException invalid(String code, String param, String message) {
        return new StripeApiException(400, "invalid_request_error", code, param, message);
    }

    static StripeApiException missingParam(String param) {
        return invalid("parameter_missing", param, "Missing required param: " + param + ".");
    }

    static StripeApiException unknownParam(String param) {
        return invalid("parameter_unknown", param, "Received unknown parameter: " + param);
    }

    static StripeApiException invalidInteger(String param, Object value) {
        return invalid("parameter_invalid_integer", param, "Invalid integer: " + value);
    }

    /** 404 for a resource addressed by the URL path. */
    static StripeApiException noSuch(String what, String id) {
        return new StripeApiException(404, "invalid_request_error", "resource_missing", "id",
                "No such " + what + ": '" + id + "'");
    }

    int status() {
        return status;
    }

    String type() {
        return type;
    }

    String code() {
        return code;
    }

    String param() {
        return param;
    }

    Map<String, Object> body() {
        Map<String, Object> error = new LinkedHashMap<>();
        if (code != null) {
            error.put("code", code);
        }
        error.put("message", getMessage());
        if (param != null) {
            error.put("param", param);
        }
        error.put("type", type);
        return Map.of("error", error);
    }
}
