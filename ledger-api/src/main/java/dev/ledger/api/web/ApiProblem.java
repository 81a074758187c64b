package dev.ledger.api.web;

import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/** A rejection with a stable machine {@code code} and a sentence a person can act on. */
public class ApiProblem extends RuntimeException {

    private final HttpStatus status;
    private final String code;
    private final List<Map<String, String>> errors;

    public ApiProblem(HttpStatus status, String code, String detail) {
        this(status, code, detail, List.of());
    }

    public ApiProblem(HttpStatus status, String code, String detail, List<Map<String, String>> errors) {
        super(detail, null, false, false);
        this.status = status;
        this.code = code;
        this.errors = errors;
    }

    public HttpStatus status() {
        return status;
    }

    public String code() {
        return code;
    }

    public List<Map<String, String>> errors() {
        return errors;
    }

    public static ApiProblem notFound(String what) {
        return new ApiProblem(HttpStatus.NOT_FOUND, "not_found", what + " was not found.");
    }

    /** 403 with {@code code}: for the access checks outside the web package, which use no Spring HTTP type. */
    public static ApiProblem forbidden(String code, String detail) {
        return new ApiProblem(HttpStatus.FORBIDDEN, code, detail);
    }

    /** The status as a number: for code outside the web package, which uses no Spring HTTP type. */
    public int statusCode() {
        return status.value();
    }

    /** A problem with a numeric status (one stored earlier, e.g. a verification run's), outside the web package. */
    public static ApiProblem of(int status, String code, String detail) {
        return new ApiProblem(HttpStatus.valueOf(status), code, detail);
    }

    /** 503 service_unavailable: for code outside the web package. */
    public static ApiProblem unavailable(String detail) {
        return new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, "service_unavailable", detail);
    }

    /** 422 with {@code code}: for checks outside the web package, which use no Spring HTTP type. */
    public static ApiProblem unprocessable(String code, String detail) {
        return new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, code, detail);
    }
}
