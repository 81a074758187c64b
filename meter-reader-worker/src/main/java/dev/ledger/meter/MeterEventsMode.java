package dev.ledger.meter;

import java.util.Locale;

/**
 * How closed windows reach Stripe: {@code V1} sends one meter event per call (Stripe validates it in the call);
 * {@code V2} sends up to 100 per call on the high-volume meter event stream, authenticated by a 15-minute session.
 */
public enum MeterEventsMode {
    V1, V2;

    /** {@code v1} or {@code v2}, any case; null or blank is the default, v1. */
    static MeterEventsMode parse(String value) {
        if (value == null || value.isBlank()) {
            return V1;
        }
        try {
            return valueOf(value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("METER_EVENTS_MODE must be v1 or v2: " + value);
        }
    }
}
