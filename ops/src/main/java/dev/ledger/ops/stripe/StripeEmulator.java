package dev.ledger.ops.stripe;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateful, in-memory emulator of the slice of the Stripe API this project uses (customers, billing meters,
 * v1 meter events, v2 meter event sessions and streams, meter event summaries), good enough for stripe-java to run
 * against it unchanged: point {@code StripeClient.builder().setApiBase(url()).setMeterEventsBase(url())} at it.
 * v1 and v2 events share one 24 h identifier store, so summaries and totals count both alike; stream events are
 * validated after the request is accepted, as Stripe does, and a refused one becomes a {@link MeterErrorReport}.
 * Session tokens expire after 15 minutes of the emulator's clock.
 *
 * <p>Also offers a controllable clock, fault injection (429 / 500 / slow 500, decided before any state change)
 * and counters for tests, plus unauthenticated admin endpoints under {@code /_emulator}:
 * {@code GET /_emulator/health}, {@code GET|POST /_emulator/clock} ({@code advance_seconds}, {@code now}),
 * {@code POST /_emulator/faults} ({@code fraction}, {@code seed}, {@code timeout_ms}),
 * {@code POST /_emulator/lost-answers} ({@code enabled}: meter event calls take effect and answer 500, as when an
 * answer is lost on the way back) and
 * {@code GET /_emulator/stats} (optional {@code customer} + {@code event_name} for a total).
 */
public final class StripeEmulator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StripeEmulator.class);
    public static final int DEFAULT_PORT = 12111;
    private static final int THREADS = 8;

    private enum Fault { RATE_LIMIT, SERVER_ERROR, TIMEOUT }

    private final HttpServer server;
    private final ExecutorService executor;
    private final ObjectMapper json = new ObjectMapper();
    private final AtomicReference<Duration> clockOffset = new AtomicReference<>(Duration.ZERO);
    private final EmulatorClock clock = new EmulatorClock(ZoneOffset.UTC);
    private final StripeState state = new StripeState(clock, json);
    private final AtomicInteger meterEventCalls = new AtomicInteger();
    private final AtomicInteger meterEventStreamCalls = new AtomicInteger();
    private final AtomicInteger requestSeq = new AtomicInteger();

    private final Object faultLock = new Object();
    private double faultFraction;
    private long faultSeed;
    private Random faultRandom = new Random(0);
    private volatile long faultTimeoutMillis = 3000;
    /** Meter event calls take effect, then answer 500 as if the answer were lost on the way back. */
    private volatile boolean loseAnswers;

    private StripeEmulator(int port) throws IOException {
        // Without TCP_NODELAY, small responses stall ~40 ms behind delayed ACKs. Read once per JVM by the JDK.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        AtomicInteger threadNo = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "stripe-emulator-" + threadNo.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        executor = Executors.newFixedThreadPool(THREADS, tf);
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 128);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** Starts an emulator on 127.0.0.1:{@code port} (0 = ephemeral). */
    public static StripeEmulator start(int port) {
        try {
            StripeEmulator e = new StripeEmulator(port);
            log.debug("stripe emulator started on {}", e.url());
            return e;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Stripe emulator on port " + port, e);
        }
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------ clock

    /** The emulator's current time: system time shifted by {@link #advanceClock} / {@link #setNow}. */
    public Instant now() {
        return Instant.now().plus(clockOffset.get());
    }

    /** The emulator's time as a {@link Clock} (UTC). */
    public Clock clock() {
        return clock;
    }

    public void advanceClock(Duration by) {
        clockOffset.updateAndGet(d -> d.plus(by));
    }

    /** Sets the current time; it keeps ticking from there with the system clock. */
    public void setNow(Instant instant) {
        clockOffset.set(Duration.between(Instant.now(), instant));
    }

    private final class EmulatorClock extends Clock {
        private final ZoneId zone;

        EmulatorClock(ZoneId zone) {
            this.zone = zone;
        }

        @Override
        public ZoneId getZone() {
            return zone;
        }

        @Override
        public Clock withZone(ZoneId z) {
            return new EmulatorClock(z);
        }

        @Override
        public Instant instant() {
            return now();
        }
    }

    // ------------------------------------------------------------------ faults

    /**
     * Makes {@code fraction} (0..1) of API calls fail, chosen with a {@code Random(seed)}, in equal parts:
     * 429 rate_limit, 500 api_error, or a stall of {@link #setFaultTimeout fault timeout} followed by a 500.
     * A faulted call has no effect on state. {@code injectFaults(0, 0)} turns faults off.
     */
    public void injectFaults(double fraction, long seed) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be within [0, 1]: " + fraction);
        }
        synchronized (faultLock) {
            faultFraction = fraction;
            faultSeed = seed;
            faultRandom = new Random(seed);
        }
    }

    /**
     * While on, each v1 meter event call is carried out (the event is recorded, or refused, as usual) and then answered
     * with a 500: what a client sees when Stripe accepted its call but the answer never reached it.
     */
    public void loseAnswers(boolean on) {
        loseAnswers = on;
    }

    public void setFaultTimeout(Duration timeout) {
        faultTimeoutMillis = timeout.toMillis();
    }

    private Fault decideFault() {
        synchronized (faultLock) {
            if (faultFraction <= 0 || faultRandom.nextDouble() >= faultFraction) {
                return null;
            }
            return Fault.values()[faultRandom.nextInt(3)];
        }
    }

    // ------------------------------------------------------------------ counters

    /** POST /v1/billing/meter_events requests received, including faulted, rejected and replayed ones. */
    public int meterEventCalls() {
        return meterEventCalls.get();
    }

    /** POST /v2/billing/meter_event_stream requests received, including faulted, rejected and expired ones. */
    public int meterEventStreamCalls() {
        return meterEventStreamCalls.get();
    }

    /** v2 meter event sessions created. */
    public long meterEventSessionsCreated() {
        return state.sessionsCreated();
    }

    /** Stream calls answered 401 because their session had expired. */
    public long meterEventSessionsExpired() {
        return state.sessionsExpiredAnswers();
    }

    /** Meter events recorded, v1 and v2 together; duplicates and refused events are not. */
    public long meterEventsAccepted() {
        return state.acceptedMeterEvents();
    }

    /** Stream events whose identifier was already recorded within 24 h, ignored as Stripe does. */
    public long meterEventStreamDuplicates() {
        return state.streamDuplicates();
    }

    /** Stream events refused after their request was accepted, oldest first. */
    public List<MeterErrorReport> meterErrorReports() {
        return state.errorReports();
    }

    /** Sum of the values of accepted meter events for this customer and event name. */
    public long meterEventTotal(String customerId, String eventName) {
        return state.meterEventTotal(customerId, eventName);
    }

    // ------------------------------------------------------------------ HTTP

    private record Response(int status, byte[] body, Map<String, String> headers) {
        Response(int status, byte[] body) {
            this(status, body, Map.of());
        }
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            Response r;
            try {
                byte[] body = ex.getRequestBody().readAllBytes();
                String path = ex.getRequestURI().getRawPath();
                if (path.startsWith("/_emulator")) {
                    r = admin(ex.getRequestMethod(), path, ex.getRequestURI().getRawQuery(), body);
                } else {
                    r = api(ex, path, body);
                }
            } catch (StripeApiException e) {
                r = new Response(e.status(), state.serialize(e.body()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | IOException e) {
                log.warn("stripe emulator failed on {} {}", ex.getRequestMethod(), ex.getRequestURI(), e);
                r = new Response(500, state.serialize(apiError("An unknown error occurred")));
            }
            send(ex, r);
        } catch (IOException e) {
            log.debug("stripe emulator could not answer {} {}", ex.getRequestMethod(), ex.getRequestURI(), e);
        }
    }

    private Response api(HttpExchange ex, String path, byte[] body) throws InterruptedException {
        String method = ex.getRequestMethod();
        Headers h = ex.getRequestHeaders();
        boolean v2 = path.startsWith("/v2/");
        if ("POST".equals(method) && path.equals("/v1/billing/meter_events")) {
            meterEventCalls.incrementAndGet();
        } else if ("POST".equals(method) && path.equals("/v2/billing/meter_event_stream")) {
            meterEventStreamCalls.incrementAndGet();
        }
        Fault fault = decideFault();
        if (fault != null) {
            log.debug("injecting {} into {} {}", fault, method, path);
            return switch (fault) {
                // v2 names the kind in "type" (stripe-java maps type rate_limit to RateLimitException)
                case RATE_LIMIT -> error(v2, 429, v2 ? "rate_limit" : "invalid_request_error", "rate_limit",
                        "Request rate limit exceeded. Learn more about rate limits here "
                                + "https://stripe.com/docs/rate-limits.");
                case SERVER_ERROR -> error(v2, 500, "api_error", null, "An unknown error occurred");
                case TIMEOUT -> {
                    Thread.sleep(faultTimeoutMillis);
                    yield error(v2, 500, "api_error", null,
                            "An unknown error occurred (the request timed out inside Stripe).");
                }
            };
        }
        String apiKey = apiKey(h.getFirst("Authorization"));
        if (apiKey == null) {
            return error(v2, 401, "invalid_request_error", v2 ? "unauthorized" : null,
                    "You did not provide an API key. You need to provide your API key in the "
                            + "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                            + "YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, "
                            + "or we can help at https://support.stripe.com/.");
        }
        if (v2) {
            return apiV2(method, path, body, apiKey, h.getFirst("Stripe-Version"));
        }
        Map<String, Object> params = FormParams.parse(ex.getRequestURI().getRawQuery());
        if (body.length > 0 && !"GET".equals(method)) {
            FormParams.parse(new String(body, StandardCharsets.UTF_8)).forEach(params::put);
        }
        String idempotencyKey = h.getFirst("Idempotency-Key");
        StripeState.Result result = state.handle(method, path, params, apiKey, idempotencyKey);
        if (loseAnswers && "POST".equals(method) && path.equals("/v1/billing/meter_events")) {
            return error(false, 500, "api_error", null, "An unknown error occurred (the answer was lost).");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        if (idempotencyKey != null && "POST".equals(method)) {
            headers.put("Idempotency-Key", idempotencyKey);
        }
        if (result.replayed()) {
            headers.put("Idempotent-Replayed", "true");
        }
        String version = h.getFirst("Stripe-Version");
        if (version != null) {
            headers.put("Stripe-Version", version);
        }
        return new Response(result.status(), result.body(), headers);
    }

    /** A v2 call: JSON in and out, errors in the v2 shape. */
    private Response apiV2(String method, String path, byte[] body, String credential, String version) {
        Map<String, Object> params = new LinkedHashMap<>();
        String text = new String(body, StandardCharsets.UTF_8).trim();
        if (!text.isEmpty()) {
            try {
                Object parsed = json.readValue(text, Object.class);
                if (!(parsed instanceof Map<?, ?> map)) {
                    return error(true, 400, "invalid_request_error", "invalid_json",
                            "The request body must be a JSON object.");
                }
                map.forEach((k, v) -> params.put(String.valueOf(k), v));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                return error(true, 400, "invalid_request_error", "invalid_json",
                        "Invalid JSON body: " + e.getOriginalMessage());
            }
        }
        StripeState.Result result = state.handleV2(method, path, params, credential);
        return new Response(result.status(), result.body(),
                version == null ? Map.of() : Map.of("Stripe-Version", version));
    }

    /** Bearer key, or Basic auth with the key as user name (curl -u sk_test_x:). Null when absent/empty. */
    private static String apiKey(String authorization) {
        if (authorization == null) {
            return null;
        }
        String a = authorization.trim();
        if (a.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String key = a.substring(7).trim();
            return key.isEmpty() ? null : key;
        }
        if (a.regionMatches(true, 0, "Basic ", 0, 6)) {
            try {
                String decoded = new String(Base64.getDecoder().decode(a.substring(6).trim()), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                String key = colon < 0 ? decoded : decoded.substring(0, colon);
                return key.isEmpty() ? null : key;
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    private void send(HttpExchange ex, Response r) throws IOException {
        Headers out = ex.getResponseHeaders();
        out.set("Content-Type", "application/json; charset=utf-8");
        out.set("Request-Id", "req_emu" + Integer.toString(requestSeq.incrementAndGet(), 36));
        r.headers().forEach(out::set);
        ex.sendResponseHeaders(r.status(), r.body().length == 0 ? -1 : r.body().length);
        if (r.body().length > 0) {
            ex.getResponseBody().write(r.body());
        }
    }

    // ------------------------------------------------------------------ admin

    private Response admin(String method, String path, String query, byte[] body) throws IOException {
        Map<String, Object> params = FormParams.parse(query);
        String text = new String(body, StandardCharsets.UTF_8).trim();
        if (text.startsWith("{")) {
            Map<?, ?> parsed;
            try {
                parsed = json.readValue(text, Map.class);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw StripeApiException.invalid(null, null, "Invalid JSON body: " + e.getOriginalMessage());
            }
            parsed.forEach((k, v) -> params.put(String.valueOf(k), v == null ? null : String.valueOf(v)));
        } else if (!text.isEmpty()) {
            FormParams.parse(text).forEach(params::put);
        }
        switch (method + " " + path) {
            case "GET /_emulator/health" -> {
                return ok(Map.of("status", "UP"));
            }
            case "GET /_emulator/clock" -> {
                return ok(clockJson());
            }
            case "POST /_emulator/clock" -> {
                String advance = FormParams.optString(params, "advance_seconds");
                String at = FormParams.optString(params, "now");
                if (advance == null && at == null) {
                    throw StripeApiException.missingParam("advance_seconds");
                }
                if (at != null) {
                    setNow(Instant.ofEpochSecond(parseLong("now", at)));
                }
                if (advance != null) {
                    advanceClock(Duration.ofSeconds(parseLong("advance_seconds", advance)));
                }
                return ok(clockJson());
            }
            case "POST /_emulator/faults" -> {
                String fraction = FormParams.optString(params, "fraction");
                if (fraction == null) {
                    throw StripeApiException.missingParam("fraction");
                }
                double f;
                try {
                    f = Double.parseDouble(fraction);
                } catch (NumberFormatException e) {
                    throw StripeApiException.invalid(null, "fraction", "Invalid number: " + fraction);
                }
                if (!(f >= 0 && f <= 1)) {
                    throw StripeApiException.invalid(null, "fraction", "fraction must be within [0, 1]");
                }
                String seed = FormParams.optString(params, "seed");
                String timeout = FormParams.optString(params, "timeout_ms");
                if (timeout != null) {
                    setFaultTimeout(Duration.ofMillis(parseLong("timeout_ms", timeout)));
                }
                injectFaults(f, seed == null ? 0 : parseLong("seed", seed));
                synchronized (faultLock) {
                    return ok(ordered("fraction", faultFraction, "seed", faultSeed, "timeout_ms", faultTimeoutMillis));
                }
            }
            case "POST /_emulator/lost-answers" -> {
                String enabled = FormParams.optString(params, "enabled");
                if (enabled == null) {
                    throw StripeApiException.missingParam("enabled");
                }
                if (!enabled.equals("true") && !enabled.equals("false")) {
                    throw StripeApiException.invalid(null, "enabled", "enabled must be true or false");
                }
                loseAnswers(Boolean.parseBoolean(enabled));
                return ok(ordered("enabled", loseAnswers));
            }
            case "GET /_emulator/stats" -> {
                Map<String, Object> stats = ordered("meter_event_calls", meterEventCalls(),
                        "meter_events_accepted", state.acceptedMeterEvents(),
                        "meter_event_sessions_created", meterEventSessionsCreated(),
                        "meter_event_sessions_expired", meterEventSessionsExpired(),
                        "meter_event_stream_calls", meterEventStreamCalls(),
                        "meter_event_stream_events", state.streamEventsReceived(),
                        "meter_event_stream_duplicates", meterEventStreamDuplicates(),
                        "meter_error_reports", meterErrorReports().size());
                String customer = FormParams.optString(params, "customer");
                String eventName = FormParams.optString(params, "event_name");
                if (customer != null && eventName != null) {
                    stats.put("meter_event_total", meterEventTotal(customer, eventName));
                }
                return ok(stats);
            }
            default -> throw new StripeApiException(404, "invalid_request_error", null, null,
                    "Unrecognized emulator URL (" + method + ": " + path + ").");
        }
    }

    private Map<String, Object> clockJson() {
        Instant now = now();
        return ordered("now", now.getEpochSecond(), "iso", now.toString());
    }

    private static long parseLong(String param, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            try {
                double d = Double.parseDouble(value.trim());
                if (d == Math.rint(d)) {
                    return (long) d;
                }
            } catch (NumberFormatException ignored) {
                // fall through
            }
            throw StripeApiException.invalidInteger(param, value);
        }
    }

    private Response ok(Object body) {
        return new Response(200, state.serialize(body));
    }

    private static Map<String, Object> apiError(String message) {
        return Map.of("error", ordered("message", message, "type", "api_error"));
    }

    /** An error in the v2 shape (type, code, message) or the v1 one (code omitted when null). */
    private Response error(boolean v2, int status, String type, String code, String message) {
        StripeApiException e = new StripeApiException(status, type, code, null, message);
        return new Response(status, state.serialize(v2 ? e.bodyV2() : e.body()));
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    // ------------------------------------------------------------------ main

    /** {@code --port N} (default 12111). Starts, prints {@code stripe-emulator listening on <url>}, blocks. */
    public static void main(String[] args) throws InterruptedException {
        int port = DEFAULT_PORT;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--port") && i + 1 < args.length) {
                port = Integer.parseInt(args[++i]);
            } else if (args[i].startsWith("--port=")) {
                port = Integer.parseInt(args[i].substring("--port=".length()));
            } else {
                System.err.println("usage: StripeEmulator [--port N]");
                System.exit(2);
            }
        }
        StripeEmulator emulator = start(port);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            emulator.close();
            stopped.countDown();
        }, "stripe-emulator-shutdown"));
        System.out.println("stripe-emulator listening on " + emulator.url());
        System.out.flush();
        stopped.await();
    }
}
