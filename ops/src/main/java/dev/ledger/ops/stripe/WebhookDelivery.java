package dev.ledger.ops.stripe;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Delivers {@link Events} to one configured endpoint as Stripe does: a POST of the event's JSON with
 * {@code Stripe-Signature: t=<time>,v1=<hex HMAC-SHA256 of "t.body">} (one {@code v1} per secret while secrets are
 * rolled), retried on a non-2xx answer or no answer with backoff (1 h, 2 h, 4 h … capped at a day) for up to
 * {@link #RETRY_WINDOW_SECONDS} of the emulator's time, then given up. Test switches: each event sent several times
 * ({@link #duplicates}), a batch sent in a seeded shuffled order ({@link #shuffle}), and events of some types
 * never sent ({@link #lose}). Nothing happens by itself in
 * tests: {@link #deliverDue()} sends what is due at the emulator's time, outside the emulator's lock (a receiver may
 * call the emulator back).
 */
final class WebhookDelivery {
    static final long RETRY_WINDOW_SECONDS = 3L * 24 * 3600;
    private static final long MAX_BACKOFF_SECONDS = 24 * 3600;

    /** Told (under the emulator's lock) of each event the endpoint acknowledged with a 2xx. */
    interface Acknowledgement {
        void acknowledged(Map<String, Object> event, long at);
    }

    /** One send of one event: due at {@code dueAt}, tried {@code attempts} times since {@code firstAt}. */
    private static final class Attempt {
        private final Map<String, Object> event;
        private final String eventId;
        private final byte[] body;
        private final long firstAt;
        private long dueAt;
        private int attempts;

        private Attempt(Map<String, Object> event, byte[] body, long firstAt) {
            this.event = event;
            this.eventId = (String) event.get("id");
            this.body = body;
            this.firstAt = firstAt;
            this.dueAt = firstAt;
        }
    }

    /** What one delivery pass did. */
    record Report(int delivered, int failed, int givenUp) {
    }

    private final Events events;
    private final Clock clock;
    private final Object lock;
    private final Acknowledgement acknowledgement;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<Attempt> pending = new ArrayList<>();
    private final List<String> givenUp = new ArrayList<>();
    private final List<String> lost = new ArrayList<>();
    private java.util.Set<String> losing = java.util.Set.of();
    private URI endpoint;
    private List<String> secrets = List.of();
    private int copies = 1;
    private Random shuffle;

    WebhookDelivery(Events events, Clock clock, Object lock, Acknowledgement acknowledgement) {
        this.events = events;
        this.clock = clock;
        this.lock = lock;
        this.acknowledgement = acknowledgement;
    }

    /** Whether an endpoint is configured (read under the emulator's lock). */
    boolean configured() {
        return endpoint != null;
    }

    void endpoint(URI url, List<String> signingSecrets) {
        if (signingSecrets.isEmpty()) {
            throw new IllegalArgumentException("a webhook endpoint needs at least one signing secret");
        }
        synchronized (lock) {
            endpoint = url;
            secrets = List.copyOf(signingSecrets);
        }
    }

    void duplicates(int times) {
        if (times < 1) {
            throw new IllegalArgumentException("each event is sent at least once");
        }
        synchronized (lock) {
            copies = times;
        }
    }

    /** Sends each due batch in an order shuffled by {@code Random(seed)}; null restores creation order. */
    void shuffle(Long seed) {
        synchronized (lock) {
            shuffle = seed == null ? null : new Random(seed);
        }
    }

    /**
     * Never sends events of these types (listed by {@code GET /v1/events} all the same): Stripe's rare event whose
     * webhook never comes. None restores delivery for events created from then on.
     */
    void lose(java.util.Set<String> types) {
        synchronized (lock) {
            losing = java.util.Set.copyOf(types);
        }
    }

    /** Events never sent because their type was being lost, by id. */
    List<String> lost() {
        synchronized (lock) {
            return List.copyOf(lost);
        }
    }

    /** Events given up after the retry window, by id. */
    List<String> givenUp() {
        synchronized (lock) {
            return List.copyOf(givenUp);
        }
    }

    /** Sends every attempt due at the emulator's time; answers what became of them. */
    Report deliverDue() {
        List<Attempt> due = new ArrayList<>();
        URI url;
        List<String> keys;
        long now;
        synchronized (lock) {
            now = clock.instant().getEpochSecond();
            for (Map<String, Object> e : events.takeUndelivered()) {
                if (losing.contains((String) e.get("type"))) {
                    lost.add((String) e.get("id"));
                    continue;
                }
                byte[] body = Wire.bytes(e);
                for (int i = 0; i < copies; i++) {
                    pending.add(new Attempt(e, body, now));
                }
            }
            if (endpoint == null) {
                return new Report(0, 0, 0);
            }
            for (Attempt a : pending) {
                if (a.dueAt <= now) {
                    due.add(a);
                }
            }
            if (shuffle != null) {
                Collections.shuffle(due, shuffle);
            }
            url = endpoint;
            keys = secrets;
        }
        int delivered = 0;
        int failed = 0;
        int dropped = 0;
        for (Attempt a : due) {
            boolean ok = send(url, keys, a.body, now);
            synchronized (lock) {
                a.attempts++;
                if (ok) {
                    pending.remove(a);
                    delivered++;
                    acknowledgement.acknowledged(a.event, now);
                } else {
                    long backoff = Math.min(MAX_BACKOFF_SECONDS, 3600L << Math.min(a.attempts - 1, 20));
                    if (now + backoff - a.firstAt > RETRY_WINDOW_SECONDS) {
                        pending.remove(a);
                        givenUp.add(a.eventId);
                        dropped++;
                    } else {
                        a.dueAt = now + backoff;
                        failed++;
                    }
                }
            }
        }
        return new Report(delivered, failed, dropped);
    }

    private boolean send(URI url, List<String> keys, byte[] body, long t) {
        String payload = new String(body, StandardCharsets.UTF_8);
        StringBuilder header = new StringBuilder("t=").append(t);
        for (String secret : keys) {
            header.append(",v1=").append(sign(secret, t + "." + payload));
        }
        HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10))
                .header("Content-Type", "application/json; charset=utf-8")
                .header("Stripe-Signature", header.toString())
                .header("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        try {
            int status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            return status >= 200 && status < 300;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Hex HMAC-SHA256 of {@code signed} under {@code secret}, as Stripe signs webhooks. */
    static String sign(String secret, String signed) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(signed.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs {@code body} under the emulator's lock (for reads of state shared with the calls being served). */
    <T> T locked(Supplier<T> body) {
        synchronized (lock) {
            return body.get();
        }
    }
}
