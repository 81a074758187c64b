package dev.ledger.api.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.core.trace.RequestId;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * The first filter. It sets the security headers every answer carries ({@link SecurityHeaders}) and the request's id
 * ({@link RequestId}: answered in {@code X-Request-Id}, in the logging MDC for every line of the request), refuses a path that is not in its one canonical spelling, before anything else looks at the
 * request, so that every later decision (authentication, limits, routing) sees the path Spring MVC routes on; and it
 * turns whatever is thrown below it (in a filter or a handler) into problem+json with no stack trace in the log.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestGate extends OncePerRequestFilter {

    private static final Logger log = LoggerFactory.getLogger(RequestGate.class);
    /** Characters a path may hold unencoded (RFC 3986 pchar, and '/'): their percent-encoded spelling is refused. */
    private static final boolean[] LITERAL_IN_PATH = new boolean[128];

    static {
        String allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/";
        for (char c : allowed.toCharArray()) {
            LITERAL_IN_PATH[c] = true;
        }
    }

    private final ObjectMapper json;
    private final SecurityHeaders headers;

    RequestGate(ObjectMapper json, SecurityHeaders headers) {
        this.json = json;
        this.headers = headers;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        headers.apply(request, response); // on every answer, refusals included
        // the request's id: the caller's X-Request-Id when it is a plain one, else ours; answered, and on every log line
        String requestId = RequestId.acceptOrCreate(request.getHeader(RequestId.HTTP_HEADER));
        response.setHeader(RequestId.HTTP_HEADER, requestId);
        MDC.put(RequestId.LOG_KEY, requestId);
        try {
            gate(request, response, chain, requestId);
        } finally {
            MDC.remove(RequestId.LOG_KEY);
        }
    }

    private void gate(HttpServletRequest request, HttpServletResponse response, FilterChain chain, String requestId)
            throws ServletException, IOException {
        String refusal = nonCanonical(request.getRequestURI());
        if (refusal != null) {
            Problems.write(response, json, new ApiProblem(HttpStatus.BAD_REQUEST, "non_canonical_path",
                    "The request path is not in canonical form (" + refusal + "); send it without path parameters, "
                            + "dot or empty segments, backslashes or needless percent-encoding."));
            return;
        }
        try {
            chain.doFilter(request, response);
        } catch (Exception | StackOverflowError | LinkageError | AssertionError e) {
            // what the JVM cannot go on after (out of memory, an internal error) is left to the container
            ApiProblem problem = Problems.cause(e, ApiProblem.class);
            if (problem == null) {
                Problems.logUnexpected(log, e);
                problem = Problems.internal();
            }
            if (response.isCommitted()) {
                return; // the status line is gone: nothing truthful can be said any more
            }
            response.reset();
            headers.apply(request, response);
            response.setHeader(RequestId.HTTP_HEADER, requestId);
            Problems.write(response, json, problem);
        }
    }

    /** Why {@code rawPath} (as sent, undecoded) is not canonical, or null when it is. */
    static String nonCanonical(String rawPath) {
        if (rawPath == null || rawPath.isEmpty() || rawPath.charAt(0) != '/') {
            return "it must start with '/'";
        }
        int segmentStart = 1;
        for (int i = 0; i < rawPath.length(); i++) {
            char c = rawPath.charAt(i);
            if (c == ';') {
                return "';' path parameters";
            }
            if (c == '\\') {
                return "a backslash";
            }
            if (c < 0x21 || c == 0x7f) {
                return "a control character or space";
            }
            if (c == '%') {
                int b = i + 2 < rawPath.length() ? hex(rawPath.charAt(i + 1), rawPath.charAt(i + 2)) : -1;
                if (b < 0) {
                    return "a malformed percent-encoding";
                }
                if (b < 0x20 || b == 0x7f || b == '%' || b == '\\' || b < 128 && LITERAL_IN_PATH[b]) {
                    return "a percent-encoded '" + (b >= 0x20 && b < 0x7f ? String.valueOf((char) b) : "control") + "'";
                }
                i += 2;
            }
            if (c == '/' && i > 0) {
                String segment = rawPath.substring(segmentStart, i);
                if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                    return "an empty or dot segment";
                }
                segmentStart = i + 1;
            }
        }
        String last = rawPath.substring(segmentStart);
        if (last.equals(".") || last.equals("..")) {
            return "a dot segment";
        }
        return null;
    }

    private static int hex(char a, char b) {
        int hi = Character.digit(a, 16);
        int lo = Character.digit(b, 16);
        return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
    }
}
