package dev.ledger.core.config;

import java.util.Map;

/**
 * {@code LEDGER_LOG_FORMAT} of every service: {@code text} (default) or {@code json}. Checked at start-up, so that a
 * misspelled value stops the service instead of leaving it without log output (the workers' logback.xml picks its
 * appender by this name).
 */
public final class LogFormat {

    public static final String VARIABLE = "LEDGER_LOG_FORMAT";

    private LogFormat() {
    }

    /** {@code text} or {@code json} as the environment says; anything else is refused. */
    public static String of(Map<String, String> env) {
        return of(env.get(VARIABLE));
    }

    /** {@code text} (also for null or blank) or {@code json}; anything else is refused. */
    public static String of(String v) {
        String format = v == null || v.isBlank() ? "text" : v.strip();
        if (!format.equals("text") && !format.equals("json")) {
            throw new IllegalArgumentException(VARIABLE + " must be text or json");
        }
        return format;
    }
}
