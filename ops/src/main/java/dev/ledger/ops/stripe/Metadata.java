package dev.ledger.ops.stripe;

import java.util.Map;

/** Stripe's metadata rules, for every resource that carries {@code metadata}. */
final class Metadata {
    static final int MAX_KEYS = 50;
    static final int MAX_KEY_LENGTH = 40;
    static final int MAX_VALUE_LENGTH = 500;

    private Metadata() {
    }

    /** Merges {@code update} (may be null) into {@code target}: string values only, limits as Stripe's; "" unsets. */
    static void merge(Map<String, String> target, Map<String, Object> update) {
        if (update == null) {
            return;
        }
        for (Map.Entry<String, Object> e : update.entrySet()) {
            String key = e.getKey();
            String param = "metadata[" + key + "]";
            if (!(e.getValue() instanceof String value)) {
                throw StripeApiException.invalid("parameter_invalid_string", param,
                        "Invalid string: " + param + " must be a string.");
            }
            if (key.length() > MAX_KEY_LENGTH) {
                throw StripeApiException.invalid(null, param, "Metadata keys can have up to " + MAX_KEY_LENGTH
                        + " characters; '" + key + "' has " + key.length() + ".");
            }
            if (value.length() > MAX_VALUE_LENGTH) {
                throw StripeApiException.invalid(null, param,
                        "Metadata values can have up to " + MAX_VALUE_LENGTH + " characters.");
            }
            if (value.isEmpty()) {
                target.remove(key);
            } else {
                target.put(key, value);
            }
        }
        if (target.size() > MAX_KEYS) {
            throw StripeApiException.invalid(null, "metadata",
                    "You can specify up to " + MAX_KEYS + " metadata keys.");
        }
    }
}
