package dev.ledger.api.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.util.UrlPathHelper;

/**
 * The largest body each endpoint takes, refused with 413 body_too_large before a byte of it is parsed: at once when
 * Content-Length says so, and when a chunked body grows past it while being read. Runs after authentication.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 15)
public class BodyLimits extends OncePerRequestFilter {

    /** The batch endpoint: up to 1,000 evaluations. */
    public static final long BATCH_BYTES = 4L * 1024 * 1024;
    /** Stripe's signed webhook events. */
    public static final long WEBHOOK_BYTES = 512L * 1024;
    /** Every other endpoint: one entry, or an admin request. */
    public static final long DEFAULT_BYTES = 64L * 1024;
    /** The largest body any endpoint takes; Jackson's own document limit sits just above it. */
    public static final long MAX_BYTES = BATCH_BYTES;

    private final ObjectMapper json;

    BodyLimits(ObjectMapper json) {
        this.json = json;
    }

    public static long limitFor(String path) {
        return switch (path) {
            case "/v1/evaluations:batch" -> BATCH_BYTES;
            case "/v1/webhooks/stripe", "/v1/stripe-events" -> WEBHOOK_BYTES;
            default -> DEFAULT_BYTES;
        };
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long limit = limitFor(UrlPathHelper.defaultInstance.getLookupPathForRequest(request));
        long declared = request.getContentLengthLong();
        if (declared > limit) {
            Problems.write(response, json, new TooLarge(limit).problem());
            return;
        }
        chain.doFilter(new Limited(request, limit), response);
    }

    /** Raised while reading a body past its endpoint's limit. */
    public static final class TooLarge extends IOException {
        private final long limit;

        TooLarge(long limit) {
            super("request body above " + limit + " bytes", null);
            this.limit = limit;
        }

        public ApiProblem problem() {
            return new ApiProblem(HttpStatus.PAYLOAD_TOO_LARGE, "body_too_large",
                    "The request body is larger than this endpoint takes (" + limit + " bytes).");
        }
    }

    private static final class Limited extends HttpServletRequestWrapper {
        private final long limit;
        private ServletInputStream stream;
        private BufferedReader reader;

        Limited(HttpServletRequest request, long limit) {
            super(request);
            this.limit = limit;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (stream == null) {
                stream = new Counting(super.getInputStream(), limit);
            }
            return stream;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            if (reader == null) {
                String encoding = getCharacterEncoding();
                Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
                reader = new BufferedReader(new InputStreamReader(getInputStream(), charset));
            }
            return reader;
        }
    }

    private static final class Counting extends ServletInputStream {
        private final ServletInputStream in;
        private final long limit;
        private long read;

        Counting(ServletInputStream in, long limit) {
            this.in = in;
            this.limit = limit;
        }

        private int counted(int n) throws IOException {
            if (n > 0) {
                read += n;
                if (read > limit) {
                    throw new TooLarge(limit);
                }
            }
            return n;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                counted(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            return counted(in.read(b, off, len));
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
