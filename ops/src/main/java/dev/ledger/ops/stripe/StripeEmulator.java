package dev.ledger.ops.stripe;

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
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stateful, in-memory emulator of the slice of the Stripe API this project uses (customers, billing meters,
 * v1 meter events, v2 meter event sessions and streams, meter event summaries, test clocks, products, prices,
 * subscriptions, invoices from metered usage, events and signed webhooks), good enough for stripe-java to run
 * against it unchanged: point {@code StripeClient.builder().setApiBase(url()).setMeterEventsBase(url())} at it.
 * v1 and v2 events share one 24 h identifier store, so summaries and totals count both alike; stream events are
 * validated after the request is accepted, as Stripe does, and a refused one becomes a {@link MeterErrorReport}.
 * Session tokens expire after 15 minutes of the emulator's clock.
 *
 * <p>This class is the front door: the HTTP server, the API key, injected faults and lost answers, response headers,
 * and what tests read and set. Each Stripe resource is a class of its own behind one {@link Router} (see the package
 * documentation for how a resource is added). Time comes from one {@link Clock}: the system's, or the one given to
 * {@link #start(int, Clock)}, shifted by {@link #advanceClock} / {@link #setNow}.
 *
 * <p>Also offers fault injection (429 / 500 / slow 500, decided before any state change) and counters for tests, plus
 * unauthenticated admin endpoints under {@code /_emulator} ({@link EmulatorAdmin}): {@code GET /_emulator/health},
 * {@code GET|POST /_emulator/clock} ({@code advance_seconds}, {@code now}), {@code POST /_emulator/faults}
 * ({@code fraction}, {@code seed}, {@code timeout_ms}), {@code POST /_emulator/lost-answers} ({@code enabled}: meter
 * event calls take effect and answer 500, as when an answer is lost on the way back) and {@code GET /_emulator/stats}
 * (optional {@code customer} + {@code event_name} for a total).
 */
public final class StripeEmulator implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StripeEmulator.class);
    public static final int DEFAULT_PORT = 12111;
    private static final int THREADS = 8;

    private final HttpServer server;
    private final ExecutorService executor;
    private final EmulatorClock clock;
    private final Faults faults = new Faults();
    private final AtomicInteger requestSeq = new AtomicInteger();

    private final TestClocks testClocks = new TestClocks();
    private final Customers customers = new Customers(testClocks);
    private final BillingMeters meters = new BillingMeters();
    private final MeterErrorReports errorReports = new MeterErrorReports();
    private final MeterEvents meterEvents = new MeterEvents(customers, meters, errorReports);
    private final MeterEventStreams streams = new MeterEventStreams(meterEvents, errorReports);
    private final Products products = new Products();
    private final Prices prices = new Prices(products, meters);
    private final Events events = new Events();
    private final Invoices invoices = new Invoices(customers, testClocks, events);
    private final Subscriptions subscriptions = new Subscriptions(customers, prices, meters, meterEvents, invoices,
            testClocks, events);
    private final Router router;
    private final WebhookDelivery webhooks;

    private StripeEmulator(int port, Clock base) throws IOException {
        clock = new EmulatorClock(base);
        router = new Router(clock)
                .add(testClocks)
                .add(customers)
                .add(meters)
                .add(meterEvents)
                .add(new MeterEventSummaries(customers, meters, meterEvents))
                .add(streams)
                .add(errorReports)
                .add(products)
                .add(prices)
                .add(events)
                .add(subscriptions)
                .add(invoices)
                .add(new EmulatorAdmin(this));
        webhooks = new WebhookDelivery(events, clock, router, invoices::acknowledged);
        invoices.webhooksConfigured(webhooks::configured);
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

    /** Starts an emulator on 127.0.0.1:{@code port} (0 = ephemeral) on the system clock (UTC). */
    public static StripeEmulator start(int port) {
        return start(port, Clock.systemUTC());
    }

    /**
     * Starts an emulator whose time is {@code clock} (shifted by {@link #advanceClock} / {@link #setNow}): with a
     * clock that only moves when the test moves it, every created/expiry time the emulator answers is exact.
     */
    public static StripeEmulator start(int port, Clock clock) {
        try {
            StripeEmulator e = new StripeEmulator(port, clock);
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

    /** The emulator's current time: its clock shifted by {@link #advanceClock} / {@link #setNow}. */
    public Instant now() {
        return clock.instant();
    }

    /** The emulator's time as a {@link Clock}. */
    public Clock clock() {
        return clock;
    }

    public void advanceClock(Duration by) {
        clock.advance(by);
    }

    /** Sets the current time; it moves on from there as the underlying clock does. */
    public void setNow(Instant instant) {
        clock.set(instant);
    }

    // ------------------------------------------------------------------ webhooks and payments

    /**
     * Sends events to {@code url}, signed with every one of {@code secrets} (several while a secret is rolled, as
     * Stripe does), from the next {@link #deliverWebhooks} on.
     */
    public void webhookEndpoint(String url, String... secrets) {
        webhooks.endpoint(java.net.URI.create(url), List.of(secrets));
    }

    /**
     * Sends every webhook due at the emulator's time (new events, and retries whose backoff is over); answers how many
     * were delivered (2xx), failed (to be retried) and given up (past Stripe's 3-day retry window).
     */
    public WebhookReport deliverWebhooks() {
        router.tick();
        WebhookDelivery.Report r = webhooks.deliverDue();
        return new WebhookReport(r.delivered(), r.failed(), r.givenUp());
    }

    /** What one {@link #deliverWebhooks} did. */
    public record WebhookReport(int delivered, int failed, int givenUp) {
    }

    /** Sends each event {@code times} times (Stripe may deliver an event more than once). */
    public void duplicateWebhooks(int times) {
        webhooks.duplicates(times);
    }

    /** Sends each batch of due webhooks in an order shuffled by {@code Random(seed)}; null for creation order. */
    public void shuffleWebhooks(Long seed) {
        webhooks.shuffle(seed);
    }

    /**
     * Never delivers events of these types created from now on (they are still listed by {@code GET /v1/events}), as
     * when Stripe's webhook for an event never comes; no types delivers everything again.
     */
    public void loseWebhooks(String... types) {
        webhooks.lose(java.util.Set.of(types));
    }

    /** Event ids never delivered because {@link #loseWebhooks} was losing their type. */
    public List<String> webhooksLost() {
        return webhooks.lost();
    }

    /** Event ids whose delivery was given up after the retry window. */
    public List<String> webhooksGivenUp() {
        return webhooks.givenUp();
    }

    /** Makes every payment of this customer fail (true) or succeed again (false), whatever its payment method. */
    public void declinePayments(String customerId, boolean decline) {
        router.read(() -> {
            invoices.declinePayments(customerId, decline);
            return null;
        });
    }

    // ------------------------------------------------------------------ faults

    /**
     * Makes {@code fraction} (0..1) of API calls fail, chosen with a {@code Random(seed)}, in equal parts:
     * 429 rate_limit, 500 api_error, or a stall of {@link #setFaultTimeout fault timeout} followed by a 500.
     * A faulted call has no effect on state. {@code injectFaults(0, 0)} turns faults off.
     */
    public void injectFaults(double fraction, long seed) {
        faults.inject(fraction, seed);
    }

    /**
     * While on, each v1 meter event call is carried out (the event is recorded, or refused, as usual) and then answered
     * with a 500: what a client sees when Stripe accepted its call but the answer never reached it.
     */
    public void loseAnswers(boolean on) {
        faults.loseAnswers(on);
    }

    public void setFaultTimeout(Duration timeout) {
        faults.timeout(timeout);
    }

    /** The routes the emulator serves, {@code "METHOD template"}. */
    List<String> routes() {
        return router.declared();
    }

    Faults.Settings faultSettings() {
        return faults.settings();
    }

    // ------------------------------------------------------------------ counters

    /** POST /v1/billing/meter_events requests received, including faulted, rejected and replayed ones. */
    public int meterEventCalls() {
        return router.calls("POST", MeterEvents.CREATE_PATH);
    }

    /** POST /v2/billing/meter_event_stream requests received, including faulted, rejected and expired ones. */
    public int meterEventStreamCalls() {
        return router.calls("POST", MeterEventStreams.STREAM_PATH);
    }

    /** v2 meter event sessions created. */
    public long meterEventSessionsCreated() {
        return router.read(streams::sessionsCreated);
    }

    /** Stream calls answered 401 because their session had expired. */
    public long meterEventSessionsExpired() {
        return router.read(streams::expiredAnswers);
    }

    /** Meter events recorded, v1 and v2 together; duplicates and refused events are not. */
    public long meterEventsAccepted() {
        return router.read(meterEvents::accepted);
    }

    /** Stream events whose identifier was already recorded within 24 h, ignored as Stripe does. */
    public long meterEventStreamDuplicates() {
        return router.read(streams::duplicates);
    }

    /** Stream events received in accepted stream calls, whatever became of them. */
    long meterEventStreamEvents() {
        return router.read(streams::eventsReceived);
    }

    /**
     * Meter events refused after their request was accepted (every v2 stream refusal but a duplicate, and a v1 event
     * for a customer Stripe does not know), oldest first; each is also reported by a v2 event ({@code GET
     * /v2/core/events}).
     */
    public List<MeterErrorReport> meterErrorReports() {
        return router.read(errorReports::reports);
    }

    /** Sum of the values of accepted meter events for this customer and event name. */
    public long meterEventTotal(String customerId, String eventName) {
        return router.read(() -> meterEvents.total(customerId, eventName));
    }

    // ------------------------------------------------------------------ HTTP

    private record Response(int status, byte[] body, Map<String, String> headers) {
    }

    private void handle(HttpExchange ex) {
        try (ex) {
            Response r;
            try {
                r = answer(ex);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException | IOException e) {
                log.warn("stripe emulator failed on {} {}", ex.getRequestMethod(), ex.getRequestURI(), e);
                r = new Response(500, Wire.bytes(StripeApiException.apiError("An unknown error occurred").body()),
                        Map.of());
            }
            send(ex, r);
        } catch (IOException e) {
            log.debug("stripe emulator could not answer {} {}", ex.getRequestMethod(), ex.getRequestURI(), e);
        }
    }

    /** Admin calls go straight to the router; API calls are counted, maybe faulted, authenticated, then routed. */
    private Response answer(HttpExchange ex) throws IOException, InterruptedException {
        byte[] body = ex.getRequestBody().readAllBytes();
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        String query = ex.getRequestURI().getRawQuery();
        Dialect dialect = Dialect.of(path);
        if (!dialect.isApi()) {
            Router.Answer a = router.dispatch(new Router.Request(method, path, query, body, null, null));
            return new Response(a.status(), a.body(), Map.of());
        }
        router.arrived(method, path);
        Faults.Fault fault = faults.decide();
        if (fault != null) {
            log.debug("injecting {} into {} {}", fault, method, path);
            return error(dialect, faults.answer(fault, dialect == Dialect.V2));
        }
        Headers h = ex.getRequestHeaders();
        String apiKey = apiKey(h.getFirst("Authorization"));
        if (apiKey == null) {
            return error(dialect, StripeApiException.noApiKey(dialect == Dialect.V2));
        }
        String idempotencyKey = h.getFirst("Idempotency-Key");
        Router.Answer a = router.dispatch(new Router.Request(method, path, query, body, apiKey, idempotencyKey));
        if (faults.losingAnswers() && a.route() != null && a.route().canLoseAnswers()) {
            return error(dialect, StripeApiException.apiError("An unknown error occurred (the answer was lost)."));
        }
        Map<String, String> headers = new LinkedHashMap<>();
        if (dialect.replaysIdempotencyKeys() && idempotencyKey != null && "POST".equals(method)) {
            headers.put("Idempotency-Key", idempotencyKey);
        }
        if (a.replayed()) {
            headers.put("Idempotent-Replayed", "true");
        }
        String version = h.getFirst("Stripe-Version");
        if (version != null) {
            headers.put("Stripe-Version", version);
        }
        return new Response(a.status(), a.body(), headers);
    }

    private static Response error(Dialect dialect, StripeApiException e) {
        return new Response(e.status(), Wire.bytes(dialect.errorBody(e)), Map.of());
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
