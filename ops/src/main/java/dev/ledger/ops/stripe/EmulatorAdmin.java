package dev.ledger.ops.stripe;

import static dev.ledger.ops.stripe.FormParams.optString;
import static dev.ledger.ops.stripe.Wire.ordered;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * The emulator's own, unauthenticated, never-faulted endpoints under {@code /_emulator} (not Stripe's API):
 * {@code GET /_emulator/health}; {@code GET|POST /_emulator/clock} ({@code advance_seconds}, {@code now});
 * {@code POST /_emulator/faults} ({@code fraction}, {@code seed}, {@code timeout_ms});
 * {@code POST /_emulator/lost-answers} ({@code enabled}); {@code GET /_emulator/stats} (optional {@code customer} +
 * {@code event_name} for a total). Parameters come as query, form or JSON body.
 */
final class EmulatorAdmin implements StripeResource {
    private final StripeEmulator emulator;

    EmulatorAdmin(StripeEmulator emulator) {
        this.emulator = emulator;
    }

    @Override
    public void routes(Router router) {
        router.get("/_emulator/health", call -> Map.of("status", "UP"));
        router.get("/_emulator/clock", call -> clockJson());
        router.post("/_emulator/clock", this::moveClock);
        router.post("/_emulator/faults", this::faults);
        router.post("/_emulator/lost-answers", this::lostAnswers);
        router.get("/_emulator/stats", this::stats);
    }

    private Map<String, Object> moveClock(ApiCall call) {
        String advance = optString(call.params(), "advance_seconds");
        String at = optString(call.params(), "now");
        if (advance == null && at == null) {
            throw StripeApiException.missingParam("advance_seconds");
        }
        if (at != null) {
            emulator.setNow(Instant.ofEpochSecond(parseLong("now", at)));
        }
        if (advance != null) {
            emulator.advanceClock(Duration.ofSeconds(parseLong("advance_seconds", advance)));
        }
        return clockJson();
    }

    private Map<String, Object> clockJson() {
        Instant now = emulator.now();
        return ordered("now", now.getEpochSecond(), "iso", now.toString());
    }

    private Map<String, Object> faults(ApiCall call) {
        String fraction = optString(call.params(), "fraction");
        if (fraction == null) {
            throw StripeApiException.missingParam("fraction");
        }
        double f;
        try {
            f = Double.parseDouble(fraction);
        } catch (NumberFormatException e) {
            throw StripeApiException.invalid(null, "fraction", "Invalid number: " + fraction);
        }
        if (!(f >= 0 && f <= 1)) {
            throw StripeApiException.invalid(null, "fraction", "fraction must be within [0, 1]");
        }
        String seed = optString(call.params(), "seed");
        String timeout = optString(call.params(), "timeout_ms");
        if (timeout != null) {
            emulator.setFaultTimeout(Duration.ofMillis(parseLong("timeout_ms", timeout)));
        }
        emulator.injectFaults(f, seed == null ? 0 : parseLong("seed", seed));
        Faults.Settings s = emulator.faultSettings();
        return ordered("fraction", s.fraction(), "seed", s.seed(), "timeout_ms", s.timeoutMillis());
    }

    private Map<String, Object> lostAnswers(ApiCall call) {
        String enabled = optString(call.params(), "enabled");
        if (enabled == null) {
            throw StripeApiException.missingParam("enabled");
        }
        if (!enabled.equals("true") && !enabled.equals("false")) {
            throw StripeApiException.invalid(null, "enabled", "enabled must be true or false");
        }
        emulator.loseAnswers(Boolean.parseBoolean(enabled));
        return ordered("enabled", Boolean.parseBoolean(enabled));
    }

    private Map<String, Object> stats(ApiCall call) {
        Map<String, Object> stats = ordered("meter_event_calls", emulator.meterEventCalls(),
                "meter_events_accepted", emulator.meterEventsAccepted(),
                "meter_event_sessions_created", emulator.meterEventSessionsCreated(),
                "meter_event_sessions_expired", emulator.meterEventSessionsExpired(),
                "meter_event_stream_calls", emulator.meterEventStreamCalls(),
                "meter_event_stream_events", emulator.meterEventStreamEvents(),
                "meter_event_stream_duplicates", emulator.meterEventStreamDuplicates(),
                "meter_error_reports", emulator.meterErrorReports().size());
        String customer = optString(call.params(), "customer");
        String eventName = optString(call.params(), "event_name");
        if (customer != null && eventName != null) {
            stats.put("meter_event_total", emulator.meterEventTotal(customer, eventName));
        }
        return stats;
    }

    /** A whole number; a float with no fraction ({@code 3600.0}, as JSON bodies may carry) is accepted. */
    private static long parseLong(String param, String value) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            try {
                double d = Double.parseDouble(value.trim());
                if (d == Math.rint(d)) {
                    return (long) d;
                }
            } catch (NumberFormatException ignored) {
                // not a number at all: the integer error below
            }
            throw StripeApiException.invalidInteger(param, value);
        }
    }
}
