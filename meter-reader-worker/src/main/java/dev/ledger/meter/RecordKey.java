package dev.ledger.meter;

import dev.ledger.core.tenant.ChainIds;
import java.nio.charset.StandardCharsets;

/**
 * Kafka record keys and tenant ids as they come off the topic: bytes anyone with write access to the topic chose.
 * They are logged only escaped and truncated, and used as a tenant only when they are a valid tenant id.
 */
final class RecordKey {

    static final int MAX_LOGGED = 64;

    private RecordKey() {
    }

    static boolean isTenantId(String s) {
        // a tenant's chain or the ledger's system chain (ChainIds, the ledger's own definition); the worker's columns fit both
        return ChainIds.isChainId(s);
    }

    /** The key as a tenant id, or null when it is none. */
    static String tenantOf(byte[] key) {
        if (key == null || key.length > 63) {
            return null;
        }
        String s = new String(key, StandardCharsets.US_ASCII);
        return isTenantId(s) ? s : null;
    }

    /** Printable ASCII kept, everything else as {@code \xNN}, at most {@value #MAX_LOGGED} bytes shown, quoted. */
    static String forLog(byte[] key) {
        if (key == null) {
            return "(none)";
        }
        StringBuilder b = new StringBuilder(Math.min(key.length, MAX_LOGGED) + 8).append('"');
        for (int i = 0; i < key.length && i < MAX_LOGGED; i++) {
            int c = key[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                b.append((char) c);
            } else {
                b.append(String.format("\\x%02x", c));
            }
        }
        b.append('"');
        if (key.length > MAX_LOGGED) {
            b.append("…(").append(key.length).append(" bytes)");
        }
        return b.toString();
    }

    static String forLog(String s) {
        return s == null ? "(none)" : forLog(s.getBytes(StandardCharsets.UTF_8));
    }
}
