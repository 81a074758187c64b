package dev.ledger.api.web;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;

/** Collects field errors of one request and answers them together as 422 validation_failed. */
public final class Validation {

    public static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9._:@/-]+");
    /** {@link #IDENTIFIER}'s characters, checked by table: a batch of 1,000 items checks several thousand identifiers. */
    private static final boolean[] IDENTIFIER_CHARS = new boolean[128];

    static {
        for (char c = 0; c < 128; c++) {
            IDENTIFIER_CHARS[c] = IDENTIFIER.matcher(String.valueOf(c)).matches();
        }
    }

    /** Whether {@code value} is non-empty and matches {@link #IDENTIFIER}. */
    public static boolean isIdentifier(String value) {
        if (value.isEmpty()) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c >= 128 || !IDENTIFIER_CHARS[c]) {
                return false;
            }
        }
        return true;
    }
    private final List<Map<String, String>> errors = new ArrayList<>();

    public Validation identifier(String field, String value, int max) {
        if (value == null || value.isEmpty()) {
            return error(field, "required", "is required");
        }
        if (value.length() > max) {
            return error(field, "too_long", "at most " + max + " characters");
        }
        if (!isIdentifier(value)) {
            return error(field, "invalid_format", "letters, digits and . _ : @ / - only");
        }
        return this;
    }

    public Validation text(String field, String value, int max, boolean required) {
        if (value == null || value.isBlank()) {
            return required ? error(field, "required", "is required") : this;
        }
        if (value.length() > max) {
            return error(field, "too_long", "at most " + max + " characters");
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                return error(field, "invalid_format", "control characters are not allowed");
            }
        }
        return this;
    }

    /** {@code sha256:} and 64 lowercase hex digits (checked by hand: no regular expression on the write path). */
    public Validation sha256Digest(String field, String value) {
        if (value == null) {
            return error(field, "required", "is required");
        }
        if (!isSha256Digest(value)) {
            return error(field, "invalid_format", "sha256: followed by 64 lowercase hex digits");
        }
        return this;
    }

    static boolean isSha256Digest(String value) {
        if (value.length() != 71 || !value.startsWith("sha256:")) {
            return false;
        }
        for (int i = 7; i < 71; i++) {
            char c = value.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    public Validation required(String field, Object value) {
        return value == null ? error(field, "required", "is required") : this;
    }

    /** RFC 3339 with an offset; answers the normalized UTC form, or null after recording the error. */
    public String timestamp(String field, String value, boolean required) {
        if (value == null) {
            if (required) {
                error(field, "required", "is required");
            }
            return null;
        }
        if (isCanonicalUtc(value)) {
            return value;
        }
        try {
            Instant instant = OffsetDateTime.parse(value, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
            return DateTimeFormatter.ISO_INSTANT.format(instant);
        } catch (DateTimeParseException e) {
            error(field, "invalid_timestamp", "an RFC 3339 timestamp such as 2026-11-21T10:00:00Z");
            return null;
        }
    }

    /**
     * Whether {@code value} is already the normalized form {@link #timestamp} answers, {@code yyyy-MM-ddTHH:mm:ssZ} or
     * with three fractional digits (not all zero), a valid date and time: then it is answered as it is. Read by the
     * ledger's one reader of that form (RecordedAt), because the general parse was a fifth of a batch request's CPU;
     * anything else goes to the general parse, which decides.
     */
    static boolean isCanonicalUtc(String v) {
        int n = v.length();
        return (n == 20 || n == 24 && !v.startsWith("000", 20)) && dev.ledger.core.chain.RecordedAt.fast(v) != null;
    }

    public Validation error(String field, String code, String message) {
        errors.add(Map.of("field", field, "code", code, "message", message));
        return this;
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    public void throwIfInvalid() {
        if (!errors.isEmpty()) {
            throw problem();
        }
    }

    public ApiProblem problem() {
        String first = errors.get(0).get("field") + " " + errors.get(0).get("message");
        return new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "validation_failed", "The request is not valid: " + first + ".", errors);
    }

    /** The Idempotency-Key header: 1–255 printable ASCII characters, outside the ledger's reserved namespace. */
    public static String idempotencyKey(String header) {
        if (header == null) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "idempotency_key_missing", "Writes need an Idempotency-Key header.");
        }
        if (header.isEmpty() || header.length() > 255 || !header.chars().allMatch(c -> c >= 0x20 && c <= 0x7e)) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "idempotency_key_invalid", "Idempotency-Key must be 1-255 printable ASCII characters.");
        }
        if (IdempotencyKeys.isReserved(header)) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "idempotency_key_reserved",
                    "Idempotency-Key values starting with '" + IdempotencyKeys.RESERVED_PREFIX + "' are reserved for the ledger's own writes.");
        }
        return header;
    }
}
