package dev.ledger.api.chain;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

/** Proof of recording handed back for every write: the entry's place in its tenant's chain. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@Schema(description = "The entry's place in its tenant's chain", example = """
        {"tenant_id":"acme","evaluation_id":"ev_123","sequence":42,
         "hash":"e0fc6de0cb69c1b85dc204c7f10d29f98bb909e6275bbf46695bc3c6775990e6",
         "prev_hash":"7eb764d539cb0cb333331a9ebbd63b9c87670655acbbaec48add28d7f5e361b7","recorded_at":"2026-11-21T10:00:00.123Z"}""")
public record Receipt(String tenantId, String evaluationId, String usageId, long sequence, String hash, String prevHash,
                      String recordedAt) {

    public Receipt withEvaluationId(String id) {
        return new Receipt(tenantId, id, usageId, sequence, hash, prevHash, recordedAt);
    }

    public Receipt withUsageId(String id) {
        return new Receipt(tenantId, evaluationId, id, sequence, hash, prevHash, recordedAt);
    }
}
