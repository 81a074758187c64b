package dev.ledger.api.web;

import java.time.Instant;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import org.springframework.http.HttpStatus;

/** The readings of query parameters the read side shares, each with one 400 {@code invalid_parameter} wording. */
public final class QueryParams {

    private QueryParams() {
    }

    /** An ISO-8601 instant, or null when absent or blank. */
    public static Instant instant(String name, String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", name
                    + " must be an ISO-8601 instant such as 2026-01-01T00:00:00Z.");
        }
    }

    /** A month, YYYY-MM; absent or malformed is 400. */
    public static YearMonth month(String name, String value) {
        if (value != null && value.matches("\\d{4}-\\d{2}")) {
            try {
                return YearMonth.parse(value);
            } catch (DateTimeParseException e) {
                // a month such as 2026-13: the same answer as any other malformed one
            }
        }
        throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", name + " is a month, YYYY-MM (such as 2026-11).");
    }

    /** The most entries, invoices or events one page answers. */
    public static final int MAX_PAGE = 1000;

    /** A page's {@code limit}: 1..{@link #MAX_PAGE}, else 400. */
    public static int pageLimit(int limit) {
        if (limit < 1 || limit > MAX_PAGE) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", "limit must be 1-" + MAX_PAGE + ".");
        }
        return limit;
    }

    /** A sequence a page starts after: 0 or more, else 400. */
    public static long after(long after) {
        if (after < 0) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", "after must be 0 or more.");
        }
        return after;
    }
}
