package dev.ledger.witness;

import dev.ledger.core.chain.SignedNote;
import java.util.ArrayList;
import java.util.List;

/**
 * The logs a witness cosigns ({@code WITNESS_LOGS}): comma-separated {@code <origin prefix>=<note verifier key>}
 * entries. A checkpoint's origin matches an entry when it equals the prefix, or, for a prefix ending in {@code /},
 * when it starts with it and has more after it (one entry covers every tenant log of a ledger deployment,
 * {@code ledger.example.com/tenants/=ledger.example.com+1a2b3c4d+AQ...}). The trusted keys of an origin are those of
 * every entry it matches; an origin no entry matches is unknown.
 */
final class TrustedLogs {

    /** One entry: the origin (or origin prefix) and the key its checkpoints must be signed with. */
    record Entry(String prefix, SignedNote.VerifierKey key) {
        boolean matches(String origin) {
            return prefix.endsWith("/") ? origin.startsWith(prefix) && origin.length() > prefix.length() : origin.equals(prefix);
        }

        @Override
        public String toString() {
            return prefix + "=" + key.encoded();
        }
    }

    private final List<Entry> entries;

    private TrustedLogs(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    static TrustedLogs of(List<Entry> entries) {
        return new TrustedLogs(entries);
    }

    /** Parses {@code WITNESS_LOGS}; at least one entry, each a well-formed prefix and Ed25519 note verifier key. */
    static TrustedLogs parse(String variable, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(variable + " is required: comma-separated <origin prefix>=<note verifier key>");
        }
        List<Entry> entries = new ArrayList<>();
        for (String raw : value.split(",")) {
            String item = raw.strip();
            if (item.isEmpty()) {
                continue;
            }
            int eq = item.indexOf('=');
            if (eq <= 0 || eq == item.length() - 1) {
                throw new IllegalArgumentException(variable + ": an entry is <origin prefix>=<note verifier key>: " + item);
            }
            String prefix = item.substring(0, eq).strip();
            if (prefix.codePoints().anyMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c) || Character.isISOControl(c))) {
                throw new IllegalArgumentException(variable + ": an origin prefix holds no space or control character: " + prefix);
            }
            SignedNote.VerifierKey key;
            try {
                key = SignedNote.verifierKey(item.substring(eq + 1).strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(variable + ": the key of " + prefix + " is not an Ed25519 note verifier key ("
                        + e.getMessage() + ")");
            }
            entries.add(new Entry(prefix, key));
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(variable + " names no log");
        }
        return new TrustedLogs(entries);
    }

    /** The keys trusted for {@code origin}: empty when the origin is unknown. */
    List<SignedNote.VerifierKey> keysFor(String origin) {
        List<SignedNote.VerifierKey> keys = new ArrayList<>();
        for (Entry e : entries) {
            if (e.matches(origin) && keys.stream().noneMatch(k -> k.encoded().equals(e.key().encoded()))) {
                keys.add(e.key());
            }
        }
        return keys;
    }

    List<Entry> entries() {
        return entries;
    }

    @Override
    public String toString() {
        return entries.toString();
    }
}
