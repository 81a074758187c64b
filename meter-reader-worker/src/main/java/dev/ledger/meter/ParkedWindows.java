package dev.ledger.meter;

import dev.ledger.follower.ProbeServer;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.ledger.core.messages.LedgerJson;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's view of parked windows, on the probe port: {@code GET /parked} lists them (longest parked first,
 * at most {@value #LIST_LIMIT}, with the total count) and {@code POST /parked/{identifier}/retry} puts one back into
 * the delivery queue where it was parked from, once its cause is fixed. Both need
 * {@code Authorization: Bearer <METER_READER_ADMIN_TOKEN>}: the list names tenants and amounts, and a retry bills.
 * Without a configured token both answer 403. Errors are problem+json with a stable {@code code}, as in the API.
 */
final class ParkedWindows implements HttpHandler {

    private static final Logger log = LoggerFactory.getLogger(ParkedWindows.class);
    static final int LIST_LIMIT = 1000;
    private static final String RETRY = "/retry";

    private final MeterReaderStore store;
    private final MeterReaderMetrics metrics;
    /** Null: no token configured, the endpoints are off. */
    private final byte[] token;

    ParkedWindows(MeterReaderStore store, MeterReaderMetrics metrics, String adminToken) {
        this.store = store;
        this.metrics = metrics;
        this.token = adminToken == null ? null : adminToken.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                route(ex);
            } catch (SQLException | RuntimeException e) {
                log.warn("/parked request failed ({})", MeterReader.describe(e));
                problem(ex, 503, "store_unavailable", "The worker's database did not answer; try again.");
            }
        }
    }

    private void route(HttpExchange ex) throws SQLException, IOException {
        if (token == null) {
            problem(ex, 403, "operator_endpoints_disabled",
                    "The /parked endpoints are off: set METER_READER_ADMIN_TOKEN to turn them on.");
            return;
        }
        if (!authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
            ex.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            problem(ex, 401, "unauthorized", "Send Authorization: Bearer <METER_READER_ADMIN_TOKEN>.");
            return;
        }
        String path = ex.getRequestURI().getRawPath();
        String method = ex.getRequestMethod();
        boolean isList = path.equals("/parked") || path.equals("/parked/");
        boolean isRetry = path.startsWith("/parked/") && path.endsWith(RETRY)
                && path.length() > "/parked/".length() + RETRY.length();
        if (isList && method.equals("GET")) {
            list(ex);
        } else if (isRetry && method.equals("POST")) {
            String identifier = decode(path.substring("/parked/".length(), path.length() - RETRY.length()));
            if (identifier == null) {
                problem(ex, 400, "invalid_identifier", "The identifier is not a valid percent-encoded path segment.");
            } else {
                retry(ex, identifier);
            }
        } else if (isList || isRetry) {
            problem(ex, 405, "method_not_allowed", "Use GET /parked or POST /parked/{identifier}/retry.");
        } else {
            problem(ex, 404, "not_found", "Unknown path: use GET /parked or POST /parked/{identifier}/retry.");
        }
    }

    private void list(HttpExchange ex) throws SQLException, IOException {
        List<ParkedWindow> windows = store.parkedWindows(LIST_LIMIT);
        long count = store.windowCounts().getOrDefault(MeterReport.Status.PARKED, 0L);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("count", Math.max(count, windows.size()));
        body.put("windows", windows);
        ProbeServer.send(ex, 200, "application/json", json(body));
    }

    private void retry(HttpExchange ex, String identifier) throws SQLException, IOException {
        Optional<MeterReport.Status> requeued = store.requeueParked(identifier);
        if (requeued.isEmpty()) {
            problem(ex, 404, "window_not_parked", "No parked window has this identifier.");
            return;
        }
        metrics.parkedWindowRequeued();
        log.info("window {} re-queued by an operator: {} again", identifier, requeued.get());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("identifier", identifier);
        body.put("status", requeued.get().name());
        ProbeServer.send(ex, 200, "application/json", json(body));
    }

    private boolean authorized(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        byte[] presented = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(presented, token);
    }

    /** Percent-decoding of one path segment ('+' stays '+', unlike form decoding); null when malformed. */
    private static String decode(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static void problem(HttpExchange ex, int status, String code, String detail) throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", code.replace('_', ' '));
        body.put("status", status);
        body.put("code", code);
        body.put("detail", detail);
        ProbeServer.send(ex, status, "application/problem+json", json(body));
    }

    private static String json(Object body) {
        try {
            return LedgerJson.mapper().writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
