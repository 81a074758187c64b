package dev.ledger.follower;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * A worker's probe port: {@code GET /health} (the process works), {@code GET /ready} (what it depends on answers),
 * {@code GET /metrics} (Prometheus text), and whatever further endpoints the worker adds (the meter-reader's
 * {@code /parked}).
 */
public final class ProbeServer implements AutoCloseable {

    /**
     * The JDK server waits for ever on a request that never completes; two such clients would hold both handler
     * threads. These limits (read once, when the JDK's server first loads) close a connection whose request takes
     * longer than {@value #MAX_REQUEST_SECONDS} s or whose answer longer than {@value #MAX_RESPONSE_SECONDS} s,
     * and bound the open connections. A property set on the command line wins.
     */
    public static final int MAX_REQUEST_SECONDS = 5;
    public static final int MAX_RESPONSE_SECONDS = 30;

    static {
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", String.valueOf(MAX_REQUEST_SECONDS));
        System.getProperties().putIfAbsent("sun.net.httpserver.maxRspTime", String.valueOf(MAX_RESPONSE_SECONDS));
        System.getProperties().putIfAbsent("sun.net.httpserver.maxConnections", "64");
    }

    private final HttpServer server;
    private final ExecutorService executor;

    private ProbeServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** {@code worker}: names its threads; {@code more}: further paths and their handlers. */
    public static ProbeServer start(String worker, InetAddress bind, int port, BooleanSupplier healthy, BooleanSupplier ready,
                                    Supplier<String> metrics, Map<String, HttpHandler> more) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(bind, port), 16);
            ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
                Thread t = new Thread(r, worker + "-http");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            server.createContext("/health", ex -> status(ex, healthy.getAsBoolean()));
            server.createContext("/ready", ex -> status(ex, ready.getAsBoolean()));
            server.createContext("/metrics", ex -> {
                if (!allowGet(ex)) {
                    return;
                }
                send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
            });
            more.forEach(server::createContext);
            server.start();
            return new ProbeServer(server, executor);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + bind.getHostAddress() + ":" + port, e);
        }
    }

    /** An IP literal for the probe port (no name lookups at start-up); unset or blank: loopback. */
    public static InetAddress bindAddress(String value, String name) {
        if (value == null || value.isBlank()) {
            return InetAddress.getLoopbackAddress();
        }
        String v = value.trim();
        if (!v.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
            throw new IllegalArgumentException(name + " must be an IP address (e.g. 127.0.0.1 or 0.0.0.0)");
        }
        try {
            return InetAddress.getByName(v);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(name + " must be an IP address (e.g. 127.0.0.1 or 0.0.0.0)");
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private static void status(HttpExchange ex, boolean up) throws IOException {
        if (!allowGet(ex)) {
            return;
        }
        send(ex, up ? 200 : 503, "application/json", up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
    }

    private static boolean allowGet(HttpExchange ex) throws IOException {
        if (ex.getRequestMethod().equals("GET") || ex.getRequestMethod().equals("HEAD")) {
            return true;
        }
        send(ex, 405, "application/json", "{\"status\":\"method not allowed\"}");
        return false;
    }

    /** Answers {@code body} with {@code status} and closes the exchange (HEAD: headers only). */
    public static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            boolean head = ex.getRequestMethod().equals("HEAD");
            ex.sendResponseHeaders(status, head ? -1 : bytes.length);
            if (!head) {
                ex.getResponseBody().write(bytes);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
