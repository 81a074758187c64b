package dev.ledger.api;

import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;

/** Stripe invoice events, as Stripe signs them into the webhook, for tests that need an invoice of a month. */
final class InvoiceEvents {

    private InvoiceEvents() {
    }

    /** An event {@code id} of {@code type} whose invoice of {@code customer} bills {@code month}, sent at {@code now}. */
    static String event(String id, String type, String invoice, String customer, String status, long due, long paid, YearMonth month,
                        Instant now) {
        long created = now.getEpochSecond();
        long start = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        long end = month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toEpochSecond();
        return "{\"id\":\"" + id + "\",\"object\":\"event\",\"type\":\"" + type + "\",\"created\":" + created + ",\"livemode\":false,"
                + "\"data\":{\"object\":{\"id\":\"" + invoice + "\",\"object\":\"invoice\",\"customer\":\"" + customer
                + "\",\"status\":\"" + status + "\",\"amount_due\":" + due + ",\"amount_paid\":" + paid + ",\"amount_remaining\":"
                + Math.subtractExact(due, paid) + ",\"currency\":\"usd\",\"created\":" + created + ",\"period_start\":" + start
                + ",\"period_end\":" + end + ",\"lines\":{\"object\":\"list\",\"data\":[]}}}}";
    }
}
