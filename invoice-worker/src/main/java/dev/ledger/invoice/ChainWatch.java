package dev.ledger.invoice;

import dev.ledger.core.chain.ChainVerifier;
import dev.ledger.core.chain.StoredEntry;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Re-verifies every tenant's chain links in memory as entries stream past. Redelivered entries (sequence already
 * passed) are skipped; an entry ahead of its predecessor waits here until the predecessor arrives.
 */
final class ChainWatch {

    /** What one entry did to its tenant's chain. */
    enum Outcome { VERIFIED, DUPLICATE, HELD, BROKEN, AFTER_BREAK }

    private final Map<String, ChainVerifier> verifiers = new HashMap<>();
    private final Map<String, TreeMap<Long, StoredEntry>> held = new HashMap<>();
    private final Map<String, ChainVerifier.Break> breaks = new HashMap<>();
    private long verified;

    /** Feeds one entry; answers its outcome (a held entry may verify later, counted then). */
    Outcome accept(StoredEntry entry) {
        String tenant = entry.tenantId();
        if (breaks.containsKey(tenant)) {
            return Outcome.AFTER_BREAK;
        }
        ChainVerifier verifier = verifiers.computeIfAbsent(tenant, t -> new ChainVerifier());
        long next = verifier.lastSequence() + 1;
        if (entry.sequence() < next) {
            return Outcome.DUPLICATE;
        }
        if (entry.sequence() > next) {
            held.computeIfAbsent(tenant, t -> new TreeMap<>()).putIfAbsent(entry.sequence(), entry);
            return Outcome.HELD;
        }
        if (!verify(verifier, entry)) {
            return Outcome.BROKEN;
        }
        TreeMap<Long, StoredEntry> waiting = held.get(tenant);
        while (waiting != null && !waiting.isEmpty() && waiting.firstKey() <= verifier.lastSequence() + 1) {
            StoredEntry e = waiting.pollFirstEntry().getValue();
            if (e.sequence() == verifier.lastSequence() + 1 && !verify(verifier, e)) {
                return Outcome.BROKEN;
            }
        }
        if (waiting != null && waiting.isEmpty()) {
            held.remove(tenant);
        }
        return Outcome.VERIFIED;
    }

    private boolean verify(ChainVerifier verifier, StoredEntry entry) {
        ChainVerifier.Break b = verifier.accept(entry);
        if (b != null) {
            breaks.put(entry.tenantId(), b);
            held.remove(entry.tenantId());
            return false;
        }
        verified++;
        return true;
    }

    /** Forgets a tenant (its partition moved to another instance, which re-verifies it from the start). */
    void forget(String tenantId) {
        verifiers.remove(tenantId);
        held.remove(tenantId);
        breaks.remove(tenantId);
    }

    ChainVerifier.Break breakOf(String tenantId) {
        return breaks.get(tenantId);
    }

    long verifiedEntries() {
        return verified;
    }

    int brokenChains() {
        return breaks.size();
    }

    int tenants() {
        return verifiers.size();
    }
}
