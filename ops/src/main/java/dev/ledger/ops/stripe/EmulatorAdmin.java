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
 * {@code event_name} for a total); {@code POST /_emulator/webhooks} ({@code url}, {@code secrets} comma-separated,
 * {@code duplicates}, {@code shuffle_seed}); {@code POST /_emulator/webhooks/deliver} (a delivery pass, in the
 * background); {@code POST /_emulator/payments} ({@code customer}, {@code decline}). Parameters come as query, form or JSON body.
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
        router.post("/_emulator/webhooks", this::webhooks);
        router.post("/_emulator/webhooks/deliver", this::deliver);
        router.post("/_emulator/payments", this::payments);
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

    /** {@code url} and {@code secrets} (comma-separated), optional {@code duplicates} and {@code shuffle_seed}. */
    private Map<String, Object> webhooks(ApiCall call) {
        String url = optString(call.params(), "url");
        String secrets = optString(call.params(), "secrets");
        if (url == null || secrets == null || secrets.isBlank()) {
            throw StripeApiException.missingParam(url == null ? "url" : "secrets");
        }
        emulator.webhookEndpoint(url, secrets.split(","));
        String duplicates = optString(call.params(), "duplicates");
        if (duplicates != null) {
            emulator.duplicateWebhooks((int) parseLong("duplicates", duplicates));
        }
        String seed = optString(call.params(), "shuffle_seed");
        if (seed != null) {
            emulator.shuffleWebhooks(seed.isEmpty() ? null : parseLong("shuffle_seed", seed));
        }
        return ordered("url", url, "secrets", secrets.split(",").length);
    }

    /**
     * Starts a delivery pass on a thread of its own and answers at once: this call holds the emulator's lock, and a
     * receiver may call the emulator back while it handles a webhook.
     */
    private Map<String, Object> deliver(ApiCall call) {
        Thread t = new Thread(emulator::deliverWebhooks, "stripe-emulator-webhooks");
        t.setDaemon(true);
        t.start();
        return ordered("started", true);
    }

    /** {@code customer} and {@code decline} (true: every payment of the customer fails; false: succeeds again). */
    private Map<String, Object> payments(ApiCall call) {
        String customer = optString(call.params(), "customer");
        String decline = optString(call.params(), "decline");
        if (customer == null || decline == null) {
            throw StripeApiException.missingParam(customer == null ? "customer" : "decline");
        }
        emulator.declinePayments(customer, Boolean.parseBoolean(decline));
        return ordered("customer", customer, "decline", Boolean.parseBoolean(decline));
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
