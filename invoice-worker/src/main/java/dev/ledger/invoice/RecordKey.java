package dev.ledger.invoice;

import java.nio.charset.StandardCharsets;

/**
 * A record key or tenant id from the topic (bytes anyone with write access chose), for a log line: printable ASCII
 * kept, the rest as {@code \xNN}, at most 64 bytes, quoted. Never logged raw.
 */
final class RecordKey {

    private RecordKey() {
    }

    static String forLog(String s) {
        return s == null ? "(none)" : forLog(s.getBytes(StandardCharsets.UTF_8));
    }

    static String forLog(byte[] key) {
        if (key == null) {
            return "(none)";
        }
        StringBuilder b = new StringBuilder().append('"');
        for (int i = 0; i < key.length && i < 64; i++) {
            int c = key[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                b.append((char) c);
            } else {
                b.append(String.format("\\x%02x", c));
            }
        }
        b.append('"');
        if (key.length > 64) {
            b.append("…(").append(key.length).append(" bytes)");
        }
        return b.toString();
    }
}
