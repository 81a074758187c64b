package dev.ledger.api.chain;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Proof of recording handed back for every write: the entry's place in its tenant's chain. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Receipt(String tenantId, String evaluationId, String usageId, long sequence, String hash, String prevHash,
                      String recordedAt) {

    public Receipt withEvaluationId(String id) {
        return new Receipt(tenantId, id, usageId, sequence, hash, prevHash, recordedAt);
    }

    public Receipt withUsageId(String id) {
        return new Receipt(tenantId, evaluationId, id, sequence, hash, prevHash, recordedAt);
    }
}
