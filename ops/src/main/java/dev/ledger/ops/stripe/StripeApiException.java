package dev.ledger.ops.stripe;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error the emulator answers with, rendered as Stripe's v1 error body
 * {@code {"error":{"type":…,"message":…,"code":…,"param":…}}} (absent fields are omitted, as Stripe does),
 * or as the v2 body {@code {"error":{"type":…,"code":…,"message":…}}} on /v2 endpoints.
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

    /**
     * 401 on the v2 stream once the session's 15 minutes are over; stripe-java turns the type into a
     * TemporarySessionExpiredException.
     */
    static StripeApiException sessionExpired() {
        return new StripeApiException(401, "temporary_session_expired", "billing_meter_event_session_expired", null,
                "The temporary session token has expired.");
    }

    /** 401 for a call without an API key (v2 names it {@code unauthorized}). */
    static StripeApiException noApiKey(boolean v2) {
        return new StripeApiException(401, "invalid_request_error", v2 ? "unauthorized" : null, null,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                        + "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                        + "https://stripe.com/docs/api#authentication for details, or we can help at "
                        + "https://support.stripe.com/.");
    }

    /** 429; v2 names the kind in {@code type} (stripe-java maps type rate_limit to RateLimitException). */
    static StripeApiException rateLimited(boolean v2) {
        return new StripeApiException(429, v2 ? "rate_limit" : "invalid_request_error", "rate_limit", null,
                "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.");
    }

    /** 500 api_error. */
    static StripeApiException apiError(String message) {
        return new StripeApiException(500, "api_error", null, null, message);
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

    /** The v2 shape: type, code and message always present (v2 has no param member; it goes into the message). */
    Map<String, Object> bodyV2() {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("type", type);
        error.put("code", code != null ? code : type);
        error.put("message", param == null || getMessage().contains(param) ? getMessage()
                : getMessage() + " (" + param + ")");
        return Map.of("error", error);
    }
}
