package dev.ledger.api.web;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.ErrorResponse;
import org.springframework.web.HttpMediaTypeNotAcceptableException;
import org.springframework.web.HttpMediaTypeNotSupportedException;
import org.springframework.web.context.request.async.AsyncRequestTimeoutException;
import org.springframework.web.HttpRequestMethodNotSupportedException;
import org.springframework.web.bind.MissingRequestHeaderException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.servlet.resource.NoResourceFoundException;

/** The one mapper from failures to RFC 9457 problem+json. No stack trace, SQL or secret reaches a client. */
@RestControllerAdvice
@Order(Ordered.HIGHEST_PRECEDENCE)
public class Problems {

    private static final Logger log = LoggerFactory.getLogger(Problems.class);

    public static ProblemDetail body(HttpStatus status, String code, String detail, List<Map<String, String>> errors) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setType(URI.create("https://ledger.dev/problems/" + code));
        p.setTitle(status.getReasonPhrase());
        p.setProperty("code", code);
        if (errors != null && !errors.isEmpty()) {
            p.setProperty("errors", errors);
        }
        return p;
    }

    /** The one place a refusal of the tenant's aggregate becomes an HTTP status. */
    public static ApiProblem of(dev.ledger.core.tenant.Rejection rejection) {
        HttpStatus status = switch (rejection) {
            case TENANT_SUSPENDED -> HttpStatus.PAYMENT_REQUIRED;
            case TENANT_EXISTS, ALREADY_LINKED, STRIPE_CUSTOMER_ALREADY_LINKED, TENANT_ALREADY_SUSPENDED, TENANT_ALREADY_ACTIVE,
                 TENANT_ALREADY_PAST_DUE, TENANT_NOT_ACTIVE, STATUS_CHANGED, ALREADY_REDACTED -> HttpStatus.CONFLICT;
            case ENTRY_NOT_IN_CHAIN -> HttpStatus.NOT_FOUND;
            case NOT_REDACTABLE -> HttpStatus.UNPROCESSABLE_ENTITY;
        };
        return new ApiProblem(status, rejection.code(), rejection.detail());
    }

    public static ResponseEntity<ProblemDetail> response(ApiProblem problem) {
        return ResponseEntity.status(problem.status()).contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(body(problem.status(), problem.code(), problem.getMessage(), problem.errors()));
    }

    /** For filters, which answer before Spring MVC. */
    public static void write(HttpServletResponse response, ObjectMapper json, ApiProblem problem) throws IOException {
        response.setStatus(problem.status().value());
        response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        json.writeValue(response.getOutputStream(), body(problem.status(), problem.code(), problem.getMessage(), problem.errors()));
    }

    /** The stable code of a status the ledger answers without a more precise one (Tomcat's, Spring MVC's own). */
    public static String codeFor(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthenticated";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 408 -> "request_timeout";
            case 413 -> "body_too_large";
            case 414 -> "uri_too_long";
            case 415 -> "unsupported_media_type";
            case 429 -> "rate_limited";
            case 431 -> "headers_too_large";
            case 500 -> "internal_error";
            case 503 -> "service_unavailable";
            default -> "http_" + status;
        };
    }

    /** A problem for a bare status, with its stable code and the standard reason as the sentence. */
    public static ApiProblem forStatus(int status) {
        HttpStatus s = HttpStatus.resolve(status);
        if (s == null || status < 400) {
            s = HttpStatus.INTERNAL_SERVER_ERROR;
        }
        return new ApiProblem(s, codeFor(s.value()), s.getReasonPhrase() + ".");
    }

    public static ApiProblem internal() {
        return new ApiProblem(HttpStatus.INTERNAL_SERVER_ERROR, "internal_error",
                "The ledger could not complete the request; nothing was recorded by this attempt.");
    }

    /** The first {@code type} in {@code e}'s cause chain, or null. */
    public static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    /**
     * One line for a failure nobody foresaw: its type and where it was raised, never a stack dump nor its message
     * (which may quote a request, SQL or a secret).
     */
    public static void logUnexpected(Logger logger, Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        StackTraceElement[] frames = root.getStackTrace();
        String where = frames.length == 0 ? "unknown" : frames[0].getClassName() + "." + frames[0].getMethodName() + ":" + frames[0].getLineNumber();
        logger.error("unexpected failure: {} (root cause {} raised in {})", e.getClass().getSimpleName(), root.getClass().getSimpleName(), where);
    }

    @ExceptionHandler(ApiProblem.class)
    ResponseEntity<ProblemDetail> problem(ApiProblem problem) {
        return response(problem);
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<ProblemDetail> unreadable(HttpMessageNotReadableException e) {
        Throwable cause = e.getCause();
        BodyLimits.TooLarge tooLarge = cause(e, BodyLimits.TooLarge.class);
        if (tooLarge != null) {
            return response(tooLarge.problem());
        }
        if (cause(e, com.fasterxml.jackson.core.exc.StreamConstraintsException.class) != null) {
            return response(new ApiProblem(HttpStatus.BAD_REQUEST, "json_limits_exceeded",
                    "The JSON document is too deep, too long or holds too many tokens or too long a string or number."));
        }
        com.fasterxml.jackson.core.exc.InputCoercionException outOfRange =
                cause(e, com.fasterxml.jackson.core.exc.InputCoercionException.class);
        if (outOfRange != null) {
            // a JSON integer past what the member holds (a long's 19 digits): valid JSON, a value too large
            String field = path(outOfRange);
            return response(new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed",
                    "'" + field + "' is beyond the range of a 64-bit integer.",
                    List.of(Map.of("field", field, "code", "too_large",
                            "message", "is beyond a 64-bit integer"))));
        }
        if (cause instanceof UnrecognizedPropertyException unknown) {
            return response(new ApiProblem(HttpStatus.BAD_REQUEST, "unknown_field",
                    "Unknown member '" + unknown.getPropertyName() + "': the ledger stores only the documented fields.",
                    List.of(Map.of("field", unknown.getPropertyName(), "code", "unknown_field", "message",
                            "is not a documented member"))));
        }
        if (cause instanceof InvalidFormatException bad && !isScalar(bad.getTargetType())) {
            String field = path(bad);
            return response(new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed",
                    "'" + field + "' has a value that is not allowed.",
                    List.of(Map.of("field", field, "code", "invalid_value",
                            "message", "has a value that is not allowed"))));
        }
        if (cause instanceof MismatchedInputException bad) {
            String field = path(bad);
            return response(new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed",
                    "'" + field + "' has the wrong type.", List.of(Map.of("field", field, "code", "wrong_type",
                            "message", "has the wrong JSON type"))));
        }
        return response(new ApiProblem(HttpStatus.BAD_REQUEST, "malformed_json", "The request body is not valid JSON."));
    }

    /** A number or boolean given as another JSON type (1.5 or "3" for an integer) is the wrong type, not a wrong value. */
    private static boolean isScalar(Class<?> type) {
        return type != null && (Number.class.isAssignableFrom(type) || type == Boolean.class || type.isPrimitive());
    }

    private static String path(MismatchedInputException e) {
        StringBuilder sb = new StringBuilder();
        for (var ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                sb.append(sb.isEmpty() ? "" : ".").append(ref.getFieldName());
            } else {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.isEmpty() ? "body" : sb.toString();
    }

    /** The member the parser was reading when it refused a number, named as {@link #path(MismatchedInputException)}. */
    private static String path(com.fasterxml.jackson.core.exc.InputCoercionException e) {
        if (!(e.getProcessor() instanceof com.fasterxml.jackson.core.JsonParser parser)) {
            return "body";
        }
        StringBuilder sb = new StringBuilder();
        for (var p = parser.getParsingContext().pathAsPointer(); !p.matches(); p = p.tail()) {
            if (p.mayMatchElement()) {
                sb.append('[').append(p.getMatchingIndex()).append(']');
            } else {
                sb.append(sb.isEmpty() ? "" : ".").append(p.getMatchingProperty());
            }
        }
        return sb.isEmpty() ? "body" : sb.toString();
    }

    @ExceptionHandler(MissingRequestHeaderException.class)
    ResponseEntity<ProblemDetail> missingHeader(MissingRequestHeaderException e) {
        String code = "Idempotency-Key".equalsIgnoreCase(e.getHeaderName()) ? "idempotency_key_missing" : "header_missing";
        return response(new ApiProblem(HttpStatus.BAD_REQUEST, code, "The " + e.getHeaderName() + " header is required."));
    }

    @ExceptionHandler({MissingServletRequestParameterException.class, MethodArgumentTypeMismatchException.class})
    ResponseEntity<ProblemDetail> badParameter(Exception e) {
        return response(new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", "A query or path parameter is missing or malformed."));
    }

    @ExceptionHandler(NoResourceFoundException.class)
    ResponseEntity<ProblemDetail> noResource(NoResourceFoundException e) {
        return response(new ApiProblem(HttpStatus.NOT_FOUND, "not_found", "No such resource."));
    }

    @ExceptionHandler(HttpRequestMethodNotSupportedException.class)
    ResponseEntity<ProblemDetail> method(HttpRequestMethodNotSupportedException e) {
        return response(new ApiProblem(HttpStatus.METHOD_NOT_ALLOWED, "method_not_allowed", "That method is not allowed here."));
    }

    @ExceptionHandler(HttpMediaTypeNotSupportedException.class)
    ResponseEntity<ProblemDetail> mediaType(HttpMediaTypeNotSupportedException e) {
        return response(new ApiProblem(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Send application/json."));
    }

    @ExceptionHandler(HttpMediaTypeNotAcceptableException.class)
    ResponseEntity<ProblemDetail> notAcceptable(HttpMediaTypeNotAcceptableException e) {
        return response(new ApiProblem(HttpStatus.NOT_ACCEPTABLE, "not_acceptable",
                "This resource answers application/json (errors application/problem+json); accept one of them."));
    }

    @ExceptionHandler(AsyncRequestTimeoutException.class)
    ResponseEntity<ProblemDetail> asyncTimeout(AsyncRequestTimeoutException e) {
        return response(new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, "request_timeout",
                "The request took longer than the service allows; retry it."));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        if (e instanceof ErrorResponse known) {
            // Spring MVC's own rejections (missing part, binding, 404 handler, ...): their status, a stable code
            return response(forStatus(known.getStatusCode().value()));
        }
        ApiProblem inside = cause(e, ApiProblem.class);
        if (inside != null) {
            return response(inside);
        }
        BodyLimits.TooLarge tooLarge = cause(e, BodyLimits.TooLarge.class);
        if (tooLarge != null) {
            return response(tooLarge.problem());
        }
        logUnexpected(log, e);
        return response(internal());
    }
}
