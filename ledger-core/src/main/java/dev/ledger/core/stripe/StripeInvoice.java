package dev.ledger.core.stripe;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.core.messages.LedgerJson;
import java.time.Instant;
import java.util.Map;

/**
 * A Stripe invoice as one event carried it (the {@code data.object} of a {@link StripeEventRecorded} whose object is
 * an invoice): the members the invoice projections keep, amounts in whole minor units. One reading for every
 * projection of invoices (the invoice-worker's and ledger-api's finance projection), with one ranking of snapshots:
 * by status rank (draft &lt; open &lt; uncollectible &lt; paid = void), then the event's time, then its id, so that the same
 * events in any order show the same invoice and a stale event never moves an invoice backwards.
 */
public record StripeInvoice(String invoiceId, String customer, String subscription, String status, long amountDue,
                            long amountPaid, long amountRemaining, String currency, Instant periodStart, Instant periodEnd,
                            Instant created, JsonNode lines) {

    private static final Map<String, Integer> RANK = Map.of("draft", 0, "open", 1, "uncollectible", 2, "paid", 3, "void", 3);

    /** The status's rank (the higher shows); only for a status {@link #read} accepts. */
    public int rank() {
        return RANK.get(status);
    }

    /**
     * Whether a snapshot of (rank, created, event id) shows instead of the one shown now (rank, created, event id).
     */
    public static boolean outranks(int rank, Instant created, String eventId, int shownRank, Instant shownCreated,
                                   String shownEventId) {
        if (rank != shownRank) {
            return rank > shownRank;
        }
        int byTime = created.compareTo(shownCreated);
        if (byTime != 0) {
            return byTime > 0;
        }
        return eventId.compareTo(shownEventId) > 0;
    }

    /** The invoice of an event's {@code data.object}, or null when a member is missing or not a whole number. */
    public static StripeInvoice read(JsonNode invoice) {
        String id = text(invoice, "id");
        String status = text(invoice, "status");
        String currency = text(invoice, "currency");
        Instant created = seconds(invoice.path("created"));
        if (id == null || status == null || !RANK.containsKey(status) || currency == null || currency.length() != 3
                || created == null || !whole(invoice, "amount_due") || !whole(invoice, "amount_paid")
                || !whole(invoice, "amount_remaining")) {
            return null;
        }
        JsonNode lines = invoice.path("lines").path("data");
        if (!lines.isArray()) {
            lines = LedgerJson.mapper().createArrayNode();
        }
        for (JsonNode line : lines) {
            if (text(line, "id") == null || !whole(line, "amount")) {
                return null;
            }
        }
        String subscription = text(invoice.path("parent").path("subscription_details"), "subscription");
        return new StripeInvoice(id, text(invoice, "customer"), subscription != null ? subscription : text(invoice, "subscription"),
                status, invoice.get("amount_due").asLong(), invoice.get("amount_paid").asLong(),
                invoice.get("amount_remaining").asLong(), currency, seconds(invoice.path("period_start")),
                seconds(invoice.path("period_end")), created, lines);
    }

    private static boolean whole(JsonNode node, String member) {
        JsonNode v = node.get(member);
        return v != null && v.isIntegralNumber() && v.canConvertToLong();
    }

    private static String text(JsonNode node, String member) {
        JsonNode v = node.get(member);
        return v != null && v.isTextual() ? v.asText() : null;
    }

    /** Unix seconds as an instant, or null when not a whole number. */
    public static Instant seconds(JsonNode v) {
        return v != null && v.isIntegralNumber() && v.canConvertToLong() ? Instant.ofEpochSecond(v.asLong()) : null;
    }
}
