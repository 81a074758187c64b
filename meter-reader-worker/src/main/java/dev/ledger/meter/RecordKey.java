package dev.ledger.meter;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Kafka record keys and tenant ids as they come off the topic: bytes anyone with write access to the topic chose.
 * They are logged only escaped and truncated, and used as a tenant only when they are a valid tenant id.
 */
final class RecordKey {

    /** The ledger's tenant id pattern (ledger-api {@code TenantController.TENANT_ID}); the worker's columns fit it. */
    private static final Pattern TENANT_ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
    static final int MAX_LOGGED = 64;

    private RecordKey() {
    }

    static boolean isTenantId(String s) {
        return s != null && TENANT_ID.matcher(s).matches();
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
