package dev.ledger.meter;

import dev.ledger.core.chain.EntryFraming;
import java.time.Instant;

/** Where one tenant's chain stands for this worker: the last verified link, its customer, and any break. */
final class TenantPosition {

    final String tenantId;
    long lastSequence;
    byte[] lastHash;
    Instant lastRecordedAt;
    String stripeCustomerId;
    Long brokenSequence;
    String brokenReason;
    Integer partition;
    /** Every window of this tenant ending at or before this instant is closed (null: none yet). */
    Instant closedThrough;
    String tenantName;
    boolean customerWanted;

    TenantPosition(String tenantId) {
        this.tenantId = tenantId;
        this.lastSequence = 0;
        this.lastHash = EntryFraming.genesis();
    }

    boolean broken() {
        return brokenSequence != null;
    }

    /** Moves the closing boundary forward, never back. */
    void closeThrough(Instant boundary) {
        if (closedThrough == null || boundary.isAfter(closedThrough)) {
            closedThrough = boundary;
        }
    }
}
