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
import org.springframework.web.HttpMediaTypeNotSupportedException;
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

    @ExceptionHandler(ApiProblem.class)
    ResponseEntity<ProblemDetail> problem(ApiProblem problem) {
        return response(problem);
    }

    @ExceptionHandler(HttpMessageNotReadableException.class)
    ResponseEntity<ProblemDetail> unreadable(HttpMessageNotReadableException e) {
        Throwable cause = e.getCause();
        if (cause instanceof UnrecognizedPropertyException unknown) {
            return response(new ApiProblem(HttpStatus.BAD_REQUEST, "unknown_field",
                    "Unknown member '" + unknown.getPropertyName() + "': the ledger stores only the documented fields.",
                    List.of(Map.of("field", unknown.getPropertyName(), "code", "unknown_field"))));
        }
        if (cause instanceof InvalidFormatException bad) {
            String field = path(bad);
            return response(new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed",
                    "'" + field + "' has a value that is not allowed.", List.of(Map.of("field", field, "code", "invalid_value"))));
        }
        if (cause instanceof MismatchedInputException bad) {
            String field = path(bad);
            return response(new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed",
                    "'" + field + "' has the wrong type.", List.of(Map.of("field", field, "code", "wrong_type"))));
        }
        return response(new ApiProblem(HttpStatus.BAD_REQUEST, "malformed_json", "The request body is not valid JSON."));
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

    @ExceptionHandler(Exception.class)
    ResponseEntity<ProblemDetail> unexpected(Exception e) {
        log.error("unexpected failure: {}", e.getClass().getName(), e);
        return response(new ApiProblem(HttpStatus.INTERNAL_SERVER_ERROR, "internal_error",
                "The ledger could not complete the request; nothing was recorded by this attempt."));
    }
}
