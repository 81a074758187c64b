package dev.ledger.core.billing;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.ledger.core.messages.LedgerEvent;
import java.util.List;
import java.util.Map;

/**
 * A Stripe invoice witnessed by the ledger before it was finalized: the tenant's chain verified through the period's
 * end, the period's quantities agreed (the ledger's, Stripe's meter, the invoice's lines), and the signed checkpoint
 * written into the invoice's metadata as {@code ledger_checkpoint}. {@code previous} and {@code consistencyProof}
 * prove that the tree the previous witnessed invoice was billed on is a prefix of this one (RFC 6962 consistency
 * proof): nothing billed before was rewritten. The ledger checked both before recording.
 *
 * @param checkpoint       the signed checkpoint, in its API form (tenant_id, size, root_hash, issued_at, key_id, signature)
 * @param previous         the previous witnessed invoice of the tenant ({@code invoice_id, size, root_hash}), or null
 * @param consistencyProof hex node hashes from {@code previous.size} to {@code checkpoint.size}; empty without previous
 * @param quantities       per meter: {@code meter, ledger, stripe, invoiced}
 */
public record InvoiceWitnessed(@JsonProperty("tenant_id") String tenantId, @JsonProperty("invoice_id") String invoiceId,
                               @JsonProperty("period_start") String periodStart, @JsonProperty("period_end") String periodEnd,
                               Map<String, Object> checkpoint, Map<String, Object> previous,
                               @JsonProperty("consistency_proof") List<String> consistencyProof,
                               List<Map<String, Object>> quantities, String actor) implements LedgerEvent {
}
