package dev.ledger.ops.stripe;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The emulator's one router. Resources declare routes such as {@code post("/v1/customers/{customer}", handler)};
 * the path's prefix picks the {@link Dialect} (v1 form, v2 JSON, {@code /_emulator} admin). For every call the router
 * reads the clock once, lets each resource {@link StripeResource#expire expire} what it forgets, decodes the
 * parameters, applies {@link Idempotency} where the dialect wants it, runs the handler and renders its answer or its
 * {@link StripeApiException} in the dialect's shape. Calls run one at a time under this object's monitor, which
 * guards the whole emulated account (correctness over cleverness).
 */
final class Router {

    /** Turns one call into the JSON object it answers (200), or throws a {@link StripeApiException}. */
    @FunctionalInterface
    interface Handler {
        Object handle(ApiCall call);
    }

    /** A call as it arrived: the credential is null when absent (or on {@code /_emulator}). */
    record Request(String method, String rawPath, String rawQuery, byte[] body, String credential,
                   String idempotencyKey) {
    }

    /** Status, serialized JSON body, whether it is an idempotent replay, and the route (null when none matched). */
    record Answer(int status, byte[] body, boolean replayed, Route route) {
        Answer asReplay() {
            return new Answer(status, body, true, route);
        }
    }

    /** One declared route; it counts the calls that arrive for it, faulted and refused ones included. */
    static final class Route {
        private final String method;
        private final String template;
        private final List<String> segments;
        private final int placeholders;
        private final Handler handler;
        private final AtomicInteger calls = new AtomicInteger();
        private volatile boolean answersCanBeLost;

        private Route(String method, String template, Handler handler) {
            this.method = method;
            this.template = template;
            this.segments = segments(template);
            this.placeholders = (int) segments.stream().filter(Route::isPlaceholder).count();
            this.handler = handler;
        }

        /** Marks this route as one whose answers {@link StripeEmulator#loseAnswers lost-answer faults} drop. */
        Route answersCanBeLost() {
            answersCanBeLost = true;
            return this;
        }

        boolean canLoseAnswers() {
            return answersCanBeLost;
        }

        private static boolean isPlaceholder(String segment) {
            return segment.startsWith("{") && segment.endsWith("}");
        }

        /** The placeholders' values when {@code path} (decoded segments) fits this route, else null. */
        private Map<String, String> match(String m, List<String> path) {
            if (!method.equals(m) || path.size() != segments.size()) {
                return null;
            }
            Map<String, String> values = new LinkedHashMap<>();
            for (int i = 0; i < segments.size(); i++) {
                String s = segments.get(i);
                if (isPlaceholder(s)) {
                    values.put(s.substring(1, s.length() - 1), path.get(i));
                } else if (!s.equals(path.get(i))) {
                    return null;
                }
            }
            return values;
        }
    }

    private record Match(Route route, Map<String, String> pathParams) {
    }

    private final Clock clock;
    private final Idempotency idempotency = new Idempotency();
    private final List<StripeResource> resources = new ArrayList<>();
    /** Declared before the server starts and never changed after, so read without the lock. */
    private final List<Route> routes = new ArrayList<>();

    Router(Clock clock) {
        this.clock = clock;
    }

    /** Adds a resource: its routes, and its {@link StripeResource#expire} before every call. */
    Router add(StripeResource resource) {
        resources.add(resource);
        resource.routes(this);
        return this;
    }

    Route get(String template, Handler handler) {
        return route("GET", template, handler);
    }

    Route post(String template, Handler handler) {
        return route("POST", template, handler);
    }

    Route delete(String template, Handler handler) {
        return route("DELETE", template, handler);
    }

    private Route route(String method, String template, Handler handler) {
        for (Route r : routes) {
            if (r.method.equals(method) && r.template.equals(template)) {
                throw new IllegalArgumentException("route declared twice: " + method + " " + template);
            }
        }
        Route r = new Route(method, template, handler);
        routes.add(r);
        return r;
    }

    /** Counts a call against its route as it arrives, before any fault or refusal. */
    void arrived(String method, String rawPath) {
        Match m = match(method, rawPath);
        if (m != null) {
            m.route().calls.incrementAndGet();
        }
    }

    /** Every declared route as {@code "METHOD template"}, in declaration order. */
    List<String> declared() {
        List<String> out = new ArrayList<>();
        routes.forEach(r -> out.add(r.method + " " + r.template));
        return out;
    }

    /** Calls that arrived for the route declared as {@code method template}. */
    int calls(String method, String template) {
        for (Route r : routes) {
            if (r.method.equals(method) && r.template.equals(template)) {
                return r.calls.get();
            }
        }
        throw new IllegalArgumentException("no route " + method + " " + template);
    }

    /** Reads resource state consistently with the calls being served. */
    synchronized <T> T read(Supplier<T> reader) {
        return reader.get();
    }

    /** Lets every resource catch up with the clock without a call (what is due by now happens now). */
    synchronized void tick() {
        Instant now = clock.instant();
        idempotency.expire(now);
        resources.forEach(r -> r.expire(now));
    }

    synchronized Answer dispatch(Request request) {
        String method = request.method();
        String path = request.rawPath();
        Dialect dialect = Dialect.of(path);
        Instant now = clock.instant();
        idempotency.expire(now);
        resources.forEach(r -> r.expire(now));
        Match match = match(method, path);
        Route route = match == null ? null : match.route();
        try {
            Map<String, Object> params = dialect.params(method, request.rawQuery(), request.body());
            Idempotency.Key key = dialect.replaysIdempotencyKeys() && "POST".equals(method)
                    ? Idempotency.key(request.credential(), request.idempotencyKey(), method + " " + path, params)
                    : null;
            if (key != null) {
                Answer replay = idempotency.replay(key);
                if (replay != null) {
                    return replay;
                }
            }
            if (match == null) {
                throw dialect.unrecognized(method, path);
            }
            Object body = route.handler.handle(
                    new ApiCall(method, path, match.pathParams(), params, request.credential(), now));
            Answer answer = new Answer(200, Wire.bytes(body), false, route);
            if (key != null) {
                idempotency.store(key, answer, now);
            }
            return answer;
        } catch (StripeApiException e) {
            return new Answer(e.status(), Wire.bytes(dialect.errorBody(e)), false, route);
        }
    }

    private Match match(String method, String rawPath) {
        List<String> path;
        try {
            path = segments(rawPath);
        } catch (IllegalArgumentException undecodable) {
            return null;
        }
        Match best = null;
        for (Route r : routes) {
            Map<String, String> values = r.match(method, path);
            // a literal segment wins over a placeholder: /v1/customers/search before /v1/customers/{customer}
            if (values != null && (best == null || r.placeholders < best.route().placeholders)) {
                best = new Match(r, values);
            }
        }
        return best;
    }

    /** The path's non-empty segments, percent-decoded. */
    private static List<String> segments(String rawPath) {
        List<String> out = new ArrayList<>();
        for (String s : rawPath.split("/")) {
            if (!s.isEmpty()) {
                out.add(URLDecoder.decode(s, StandardCharsets.UTF_8));
            }
        }
        return out;
    }
}
