package dev.ledger.core.billing;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ledger.core.messages.LedgerEvent;
import java.util.List;
import java.util.Map;

/**
 * A Stripe invoice the witness held back from finalization ({@code auto_advance=false}) and why: the tenant's chain
 * did not verify ({@code chain_broken}, with the first broken sequence in {@code detail}) or the period's quantities
 * differ ({@code quantity_mismatch}). Finance releases it by hand once the cause is understood.
 *
 * @param quantities per meter: {@code meter, ledger, stripe, invoiced} as far as they were read
 */
public record InvoiceHeld(@JsonProperty("tenant_id") String tenantId, @JsonProperty("invoice_id") String invoiceId,
                          @JsonProperty("period_start") String periodStart, @JsonProperty("period_end") String periodEnd,
                          String reason, String detail, List<Map<String, Object>> quantities, String actor)
        implements LedgerEvent {

    /** The reasons a witness holds an invoice. */
    public static final List<String> REASONS = List.of("chain_broken", "quantity_mismatch");
}
