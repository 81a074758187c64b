package dev.ledger.meter;

import dev.ledger.core.chain.TopicBytes;
import dev.ledger.core.tenant.ChainIds;
import java.nio.charset.StandardCharsets;

/**
 * Kafka record keys and tenant ids as they come off the topic: bytes anyone with write access to the topic chose.
 * They are logged only escaped and truncated, and used as a tenant only when they are a valid tenant id.
 */
final class RecordKey {

    private RecordKey() {
    }

    static boolean isTenantId(String s) {
        // a tenant's chain or the ledger's system chain (ChainIds, the ledger's own definition); the worker's columns fit both
        return ChainIds.isChainId(s);
    }

    /** The key as a tenant id, or null when it is none. */
    static String tenantOf(byte[] key) {
        if (key == null || key.length > ChainIds.MAX_LENGTH) {
            return null;
        }
        String s = new String(key, StandardCharsets.US_ASCII);
        return isTenantId(s) ? s : null;
    }

    /** Escaped and truncated for a log line ({@link TopicBytes#forLog}). */
    static String forLog(byte[] key) {
        return TopicBytes.forLog(key);
    }

    static String forLog(String s) {
        return TopicBytes.forLog(s);
    }
}
