package dev.ledger.api.web;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * The security headers of every answer the service gives, set in one place before anything else answers (by
 * {@link RequestGate}, the first filter, and by Tomcat's own refusals through {@link ProblemReportValve}): no MIME
 * sniffing, no framing, no referrer, a Content-Security-Policy (the console's pages get theirs; every other answer is
 * data and may load nothing), and HSTS when the request came over TLS or the service is told it is behind TLS
 * ({@code LEDGER_BEHIND_TLS}, for a TLS-terminating proxy).
 */
@Component
public class SecurityHeaders {

    /** An API answer is data, never a document: it may load, frame or submit nothing. */
    static final String API_POLICY = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    /** The console's pages: script, style and connections from this origin only, no inline code, no framing. */
    public static final String CONSOLE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            + "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    static final String HSTS = "max-age=31536000; includeSubDomains";

    private final boolean behindTls;

    SecurityHeaders(@Value("${ledger.behind-tls:false}") boolean behindTls) {
        this.behindTls = behindTls;
    }

    void apply(HttpServletRequest request, HttpServletResponse response) {
        write(response, isConsole(request.getRequestURI()), behindTls || request.isSecure());
    }

    static boolean isConsole(String uri) {
        return uri != null && (uri.equals("/console") || uri.startsWith("/console/"));
    }

    static void write(HttpServletResponse response, boolean console, boolean tls) {
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("Content-Security-Policy", console ? CONSOLE_POLICY : API_POLICY);
        response.setHeader("Cross-Origin-Opener-Policy", "same-origin");
        response.setHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
        if (tls) {
            response.setHeader("Strict-Transport-Security", HSTS);
        }
    }
}
