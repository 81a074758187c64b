package dev.ledger.ops.stripe;

import java.time.Instant;
import java.util.Map;

/**
 * One call as a resource's handler sees it: the decoded parameters (form or JSON, by the route's dialect), the
 * values of the route's {@code {placeholders}}, the caller's credential (an API key, or a v2 session token; null on
 * {@code /_emulator}) and the emulator's time of the call, read once.
 */
record ApiCall(String method, String path, Map<String, String> pathParams, Map<String, Object> params,
               String credential, Instant now) {

    /** The value of {@code {name}} in the route's path. */
    String pathParam(String name) {
        String v = pathParams.get(name);
        if (v == null) {
            throw new IllegalStateException("route has no {" + name + "}");
        }
        return v;
    }

    long nowSeconds() {
        return now.getEpochSecond();
    }

    long nowMillis() {
        return now.toEpochMilli();
    }
}
