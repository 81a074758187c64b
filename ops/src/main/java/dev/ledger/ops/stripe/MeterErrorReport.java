package dev.ledger.ops.stripe;

/**
 * A v2 stream event that Stripe accepted with the request but refused when it processed it (Stripe reports these
 * through meter error reports, never to the sender). {@code code} is the report's reason, e.g.
 * {@code meter_event_customer_not_found} or {@code no_meter}.
 */
public record MeterErrorReport(String identifier, String eventName, String code, String message) {
}
