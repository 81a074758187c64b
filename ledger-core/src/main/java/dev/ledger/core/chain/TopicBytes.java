package dev.ledger.core.chain;

import java.nio.charset.StandardCharsets;

/**
 * Bytes read from the entries topic (record keys, tenant ids, meter names): anyone with write access to the topic
 * chose them, so they are never logged raw. {@link #forLog} keeps printable ASCII, writes the rest as {@code \xNN},
 * shows at most {@value #MAX_LOGGED} bytes and quotes the result.
 */
public final class TopicBytes {

    public static final int MAX_LOGGED = 64;

    private TopicBytes() {
    }

    public static String forLog(String s) {
        return s == null ? "(none)" : forLog(s.getBytes(StandardCharsets.UTF_8));
    }

    public static String forLog(byte[] key) {
        if (key == null) {
            return "(none)";
        }
        StringBuilder b = new StringBuilder(Math.min(key.length, MAX_LOGGED) + 8).append('"');
        for (int i = 0; i < key.length && i < MAX_LOGGED; i++) {
            int c = key[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                b.append((char) c);
            } else {
                b.append("\\x").append(Hex.of(new byte[] {(byte) c}));
            }
        }
        b.append('"');
        if (key.length > MAX_LOGGED) {
            b.append("…(").append(key.length).append(" bytes)");
        }
        return b.toString();
    }
}
