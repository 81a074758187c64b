package dev.ledger.invoice;

import dev.ledger.core.chain.ChainVerifier;
import dev.ledger.core.chain.StoredEntry;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Re-verifies every tenant's chain links in memory as entries stream past. Redelivered entries (sequence already
 * passed, same hash) are skipped; a second record of a known sequence with another hash is a fork, which stops the
 * tenant; an entry ahead of its predecessor waits here until the predecessor arrives.
 */
final class ChainWatch {

    /** What one entry did to its tenant's chain. */
    enum Outcome { VERIFIED, DUPLICATE, HELD, BROKEN, FORK, AFTER_BREAK }

    private final Map<String, ChainVerifier> verifiers = new HashMap<>();
    private final Map<String, TreeMap<Long, StoredEntry>> held = new HashMap<>();
    private final Map<String, ChainVerifier.Break> breaks = new HashMap<>();
    private final Map<String, RecentHashes> recent = new HashMap<>();
    /** Forked tenants → the sequence with two hashes. */
    private final Map<String, Long> forks = new HashMap<>();
    private long verified;

    /** Feeds one entry; answers its outcome (a held entry may verify later, counted then). */
    Outcome accept(StoredEntry entry) {
        String tenant = entry.tenantId();
        if (breaks.containsKey(tenant) || forks.containsKey(tenant)) {
            return Outcome.AFTER_BREAK;
        }
        ChainVerifier verifier = verifiers.computeIfAbsent(tenant, t -> new ChainVerifier());
        long next = verifier.lastSequence() + 1;
        if (entry.sequence() < next) {
            RecentHashes known = recent.get(tenant);
            if (known != null && known.contradicts(entry.sequence(), entry.hash())) {
                return fork(entry);
            }
            return Outcome.DUPLICATE;
        }
        if (entry.sequence() > next) {
            StoredEntry before = held.computeIfAbsent(tenant, t -> new TreeMap<>()).putIfAbsent(entry.sequence(), entry);
            if (before != null && !java.util.Arrays.equals(before.hash(), entry.hash())) {
                return fork(entry);
            }
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

    private Outcome fork(StoredEntry entry) {
        forks.put(entry.tenantId(), entry.sequence());
        held.remove(entry.tenantId());
        return Outcome.FORK;
    }

    private boolean verify(ChainVerifier verifier, StoredEntry entry) {
        ChainVerifier.Break b = verifier.accept(entry);
        if (b != null) {
            breaks.put(entry.tenantId(), b);
            held.remove(entry.tenantId());
            return false;
        }
        recent.computeIfAbsent(entry.tenantId(), t -> new RecentHashes()).record(entry.sequence(), entry.hash());
        verified++;
        return true;
    }

    /** Whether any entry of this tenant was seen since it was last forgotten. */
    boolean knows(String tenantId) {
        return verifiers.containsKey(tenantId);
    }

    /**
     * Starts an unknown tenant's chain after {@code lastSequence}, whose hash is {@code lastHash}: its earlier entries
     * are gone from the topic (retention deleted them before this worker read them), so they cannot be re-verified
     * here; every later link is.
     */
    void resumeAfter(String tenantId, long lastSequence, byte[] lastHash) {
        if (knows(tenantId)) {
            throw new IllegalStateException("tenant already followed");
        }
        verifiers.put(tenantId, new ChainVerifier(lastSequence, lastHash));
    }

    /** Forgets a tenant (its partition moved to another instance, which re-verifies it from the start). */
    void forget(String tenantId) {
        verifiers.remove(tenantId);
        held.remove(tenantId);
        breaks.remove(tenantId);
        recent.remove(tenantId);
        forks.remove(tenantId);
    }

    /** The sequence a forked tenant has two records of, or null. */
    Long forkOf(String tenantId) {
        return forks.get(tenantId);
    }

    int forkedTenants() {
        return forks.size();
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
