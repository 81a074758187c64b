package dev.ledger.core.verify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.chain.ChainVerifier.Reason;
import dev.ledger.core.messages.LedgerJson;
import java.util.Objects;

/**
 * What the offline verifier concluded about a bundle. {@code checked} counts entries that passed every chain check;
 * {@code firstBrokenSequence} and {@code reason} are set exactly when BROKEN; the head is the last entry that
 * verified (or the anchor, or sequence 0 with the genesis hash when none did). TRUNCATED: every entry present holds,
 * but the bundle was cut short (no closing line, or a last line cut in the middle); it says nothing of tampering, and
 * the export is to be fetched again.
 */
public record BundleVerification(Status status, String tenantId, long fromSequence, long toSequence, long checked,
                                 Long firstBrokenSequence, Reason reason, String detail, long headSequence, String headHash,
                                 int checkpointsVerified, int checkpointsSkipped) {

    public enum Status {
        VALID, BROKEN, TRUNCATED
    }

    public BundleVerification {
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detail, "detail");
        if ((status == Status.BROKEN) != (reason != null && firstBrokenSequence != null)) {
            throw new IllegalArgumentException("a BROKEN verification, and only one, names a reason and a first broken sequence");
        }
    }

    public boolean valid() {
        return status == Status.VALID;
    }

    /** The API's verification answer plus what only an offline check knows (range, checkpoints, detail). */
    public ObjectNode toJson() {
        ObjectNode node = LedgerJson.mapper().createObjectNode();
        node.put("status", status.name());
        if (tenantId != null) {
            node.put("tenant_id", tenantId);
        }
        node.put("from_sequence", fromSequence);
        node.put("to_sequence", toSequence);
        node.put("checked", checked);
        if (firstBrokenSequence != null) {
            node.put("first_broken_sequence", firstBrokenSequence);
            node.put("reason", reason.name());
        }
        node.put("detail", detail);
        node.put("head_sequence", headSequence);
        node.put("head_hash", headHash);
        node.put("checkpoints_verified", checkpointsVerified);
        node.put("checkpoints_skipped", checkpointsSkipped);
        return node;
    }

    /** One line for a person. */
    public String summary() {
        String range = tenantId + " entries " + fromSequence + ".." + toSequence;
        if (valid()) {
            return "VALID " + range + ": " + detail;
        }
        if (status == Status.TRUNCATED) {
            return "TRUNCATED " + range + ": " + detail + "; " + checked + " entries passed the chain checks";
        }
        return "BROKEN " + range + " at sequence " + firstBrokenSequence + " (" + reason + "): " + detail + "; " + checked
                + " entries passed the chain checks";
    }
}
