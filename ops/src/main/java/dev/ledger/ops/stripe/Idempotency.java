package dev.ledger.ops.stripe;

import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The emulator's one idempotency mechanism, applied by the {@link Router} to every POST of a dialect that replays keys
 * (v1), whatever the resource: a key seen within 24 h (emulated time) for the same API key replays the stored
 * answer; the same key on another endpoint or with other parameters is an {@code idempotency_error}. Only successful
 * answers are stored (Stripe does not save a result when the request fails validation).
 */
final class Idempotency {
    static final long WINDOW_SECONDS = 24 * 3600;
    static final int MAX_KEY_LENGTH = 255;

    private record Stored(String endpoint, String fingerprint, Router.Answer answer, long created) {
    }

    /** (API key, Idempotency-Key) → stored answer, oldest first so expiry prunes from the head. */
    private final LinkedHashMap<String, Stored> stored = new LinkedHashMap<>();

    /** A key for one call, or null when the call carries none (an empty header counts as none). */
    static Key key(String credential, String idempotencyKey, String endpoint, Object params) {
        if (idempotencyKey == null || idempotencyKey.isEmpty()) {
            return null;
        }
        if (idempotencyKey.length() > MAX_KEY_LENGTH) {
            throw StripeApiException.invalid(null, null,
                    "Idempotency keys must be at most " + MAX_KEY_LENGTH + " characters long.");
        }
        return new Key(credential + '\u0000' + idempotencyKey, idempotencyKey, endpoint, FormParams.canonical(params));
    }

    record Key(String storeKey, String idempotencyKey, String endpoint, String fingerprint) {
    }

    /** The stored answer to replay, or null for a first call. */
    Router.Answer replay(Key key) {
        Stored s = stored.get(key.storeKey());
        if (s == null) {
            return null;
        }
        if (!s.endpoint().equals(key.endpoint())) {
            throw new StripeApiException(400, "idempotency_error", null, null,
                    "Keys for idempotent requests can only be used for the same endpoint they were first used for ('"
                            + s.endpoint() + "' vs '" + key.endpoint() + "'). Try using a key other than '"
                            + key.idempotencyKey() + "' if you meant to execute a different request.");
        }
        if (!s.fingerprint().equals(key.fingerprint())) {
            throw new StripeApiException(400, "idempotency_error", null, null,
                    "Keys for idempotent requests can only be used with the same parameters they were first used "
                            + "with. Try using a key other than '" + key.idempotencyKey()
                            + "' if you meant to execute a different request.");
        }
        return s.answer().asReplay();
    }

    void store(Key key, Router.Answer answer, Instant now) {
        stored.put(key.storeKey(), new Stored(key.endpoint(), key.fingerprint(), answer, now.getEpochSecond()));
    }

    void expire(Instant now) {
        long nowSeconds = now.getEpochSecond();
        Iterator<Stored> it = stored.values().iterator();
        while (it.hasNext() && nowSeconds - it.next().created() >= WINDOW_SECONDS) {
            it.remove();
        }
    }
}
