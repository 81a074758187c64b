package dev.ledger.witness;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ledger.core.chain.Hex;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The witness's HTTP port (JDK server): {@code POST /add-checkpoint}, {@code GET /<origin hash>/checkpoint},
 * {@code GET /key}, and the probes {@code /health}, {@code /ready}, {@code /metrics}. The submission and monitoring
 * prefixes of c2sp.org/tlog-witness are both the server's root.
 */
final class WitnessServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WitnessServer.class);

    /** A request body larger than this is refused with 413 (a checkpoint with 63 proof lines is some 3 KiB). */
    static final int MAX_BODY_BYTES = 64 * 1024;
    /** Handler threads, and the database pool's size: each submission holds one connection while it checks. */
    static final int THREADS = 4;

    /*
     * As the workers' probe servers: the JDK server waits for ever on a request that never completes. These limits
     * (read once, when the JDK's server first loads) close a connection whose request takes longer than 5 s or whose
     * answer longer than 30 s, and bound the open connections. A property set on the command line wins.
     */
    static {
        System.getProperties().putIfAbsent("sun.net.httpserver.maxReqTime", "5");
        System.getProperties().putIfAbsent("sun.net.httpserver.maxRspTime", "30");
        System.getProperties().putIfAbsent("sun.net.httpserver.maxConnections", "64");
        // without TCP_NODELAY the JDK server stalls small responses behind delayed ACKs
        System.getProperties().putIfAbsent("sun.net.httpserver.nodelay", "true");
    }

    private static final String TEXT = "text/plain; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    private WitnessServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    static WitnessServer start(InetAddress bind, int port, Witness witness, WitnessStore store, WitnessMetrics metrics,
                               BooleanSupplier ready) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(bind, port), 64);
            ExecutorService executor = Executors.newFixedThreadPool(THREADS, r -> {
                Thread t = new Thread(r, "witness-http");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            server.createContext("/", ex -> {
                try {
                    route(ex, witness, store, metrics, ready);
                } catch (SQLException e) {
                    log.warn("database error on {} (SQL state {})", ex.getRequestURI().getPath(), e.getSQLState());
                    send(ex, 503, TEXT, "the witness's database is unavailable\n");
                } catch (RuntimeException | Error e) {
                    log.error("error on {}", ex.getRequestURI().getPath(), e);
                    send(ex, 500, TEXT, "internal error\n");
                } finally {
                    ex.close();
                }
            });
            server.start();
            return new WitnessServer(server, executor);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + bind.getHostAddress() + ":" + port, e);
        }
    }

    private static void route(HttpExchange ex, Witness witness, WitnessStore store, WitnessMetrics metrics,
                              BooleanSupplier ready) throws IOException, SQLException {
        String path = ex.getRequestURI().getRawPath();
        String method = ex.getRequestMethod();
        if (path.equals("/add-checkpoint")) {
            if (!method.equals("POST")) {
                ex.getResponseHeaders().set("Allow", "POST");
                send(ex, 405, TEXT, "add-checkpoint is a POST\n");
                return;
            }
            addCheckpoint(ex, witness, metrics);
            return;
        }
        boolean get = method.equals("GET") || method.equals("HEAD");
        if (!get && (path.equals("/key") || path.equals("/health") || path.equals("/ready") || path.equals("/metrics")
                || path.matches("/[0-9a-f]{64}/checkpoint"))) {
            ex.getResponseHeaders().set("Allow", "GET, HEAD");
            send(ex, 405, TEXT, "method not allowed\n");
            return;
        }
        switch (path) {
            case "/key" -> send(ex, 200, TEXT, witness.key().encoded() + "\n");
            case "/health" -> send(ex, 200, "application/json", "{\"status\":\"UP\"}");
            case "/ready" -> {
                boolean up = ready.getAsBoolean();
                send(ex, up ? 200 : 503, "application/json", up ? "{\"status\":\"UP\"}" : "{\"status\":\"DOWN\"}");
            }
            case "/metrics" -> send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.scrape());
            default -> {
                if (path.matches("/[0-9a-f]{64}/checkpoint")) {
                    Optional<WitnessStore.Cosigned> c = store.cosigned(Hex.parse(path.substring(1, 65)));
                    if (c.isPresent()) {
                        send(ex, 200, TEXT, c.get().note());
                    } else {
                        send(ex, 404, TEXT, "no checkpoint cosigned for this origin\n");
                    }
                } else {
                    send(ex, 404, TEXT, "not found\n");
                }
            }
        }
    }

    private static void addCheckpoint(HttpExchange ex, Witness witness, WitnessMetrics metrics) throws IOException, SQLException {
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            tooLarge(ex, metrics);
            return;
        }
        String body;
        try {
            body = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            metrics.count(Witness.Reason.MALFORMED);
            send(ex, 400, TEXT, "the body is not UTF-8\n");
            return;
        }
        Witness.Outcome outcome = witness.addCheckpoint(body);
        send(ex, outcome.status(), outcome.contentType(), outcome.body());
    }

    private static void tooLarge(HttpExchange ex, WitnessMetrics metrics) throws IOException {
        metrics.count(Witness.Reason.TOO_LARGE);
        // the rest of the body is not read: close the connection rather than reuse it
        ex.getResponseHeaders().set("Connection", "close");
        send(ex, 413, TEXT, "the body is larger than " + MAX_BODY_BYTES + " bytes\n");
    }

    /** Answers {@code body} with {@code status} (HEAD: headers only). */
    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            ex.getResponseBody().write(bytes);
        }
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
