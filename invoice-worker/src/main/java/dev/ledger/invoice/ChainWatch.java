package dev.ledger.invoice;

import dev.ledger.core.chain.ChainVerifier;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.follower.Arrival;
import dev.ledger.follower.GapHold;
import dev.ledger.follower.RecentHashes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Re-verifies every tenant's chain links as entries stream past. Redelivered entries (sequence already passed, same
 * hash) are skipped; a second record of a known sequence with another hash is a fork, which stops the tenant; an
 * entry ahead of its predecessor waits in a bounded hold ({@link GapHold}) until the predecessor arrives, and the
 * tenant's chain breaks at the missing sequence when the hold fills or the gap wait passes on the worker's clock.
 */
final class ChainWatch {

    /** What one entry did to its tenant's chain. */
    enum Outcome { VERIFIED, DUPLICATE, HELD, BROKEN, FORK, AFTER_BREAK }

    private final Map<String, ChainVerifier> verifiers = new HashMap<>();
    private final GapHold<StoredEntry> held;
    private final Map<String, ChainVerifier.Break> breaks = new HashMap<>();
    private final Map<String, RecentHashes> recent = new HashMap<>();
    /** Forked tenants → the sequence with two hashes. */
    private final Map<String, Long> forks = new HashMap<>();
    private long verified;

    ChainWatch(int maxHeldPerTenant, Duration gapWait, Clock clock) {
        this.held = new GapHold<>(maxHeldPerTenant, gapWait, clock);
    }

    /** Feeds one entry; answers its outcome (a held entry may verify later, counted then). */
    Outcome accept(StoredEntry entry) {
        String tenant = entry.tenantId();
        if (breaks.containsKey(tenant) || forks.containsKey(tenant)) {
            return Outcome.AFTER_BREAK;
        }
        ChainVerifier verifier = verifiers.computeIfAbsent(tenant, t -> new ChainVerifier());
        RecentHashes known = recent.computeIfAbsent(tenant, t -> new RecentHashes());
        switch (Arrival.of(verifier.lastSequence(), verifier.lastHash(), known, entry.sequence(), entry.hash())) {
            case FORK -> {
                return fork(entry);
            }
            case DUPLICATE -> {
                return Outcome.DUPLICATE;
            }
            case AHEAD -> {
                return switch (held.hold(tenant, entry.sequence(), entry.hash(), entry)) {
                    case HELD, ALREADY_HELD -> Outcome.HELD;
                    case CONFLICT -> fork(entry);
                    case FULL -> {
                        gap(tenant, verifier.lastSequence() + 1, "the hold for entries ahead of it is full");
                        yield Outcome.BROKEN;
                    }
                };
            }
            case NEXT -> {
                // verified below
            }
        }
        if (!verify(verifier, entry)) {
            return Outcome.BROKEN;
        }
        StoredEntry next;
        while ((next = held.take(tenant, verifier.lastSequence() + 1)) != null) {
            if (!verify(verifier, next)) {
                return Outcome.BROKEN;
            }
        }
        return Outcome.VERIFIED;
    }

    /** A tenant's chain broken at a sequence that never arrived. */
    record Gap(String tenantId, ChainVerifier.Break at) {
    }

    /** Breaks the chain of every tenant whose gap outlasted the gap wait; answers where. */
    List<Gap> expireGaps() {
        List<Gap> expired = new ArrayList<>();
        for (String tenant : held.expire()) {
            ChainVerifier verifier = verifiers.get(tenant);
            long missing = verifier == null ? 1 : verifier.lastSequence() + 1;
            expired.add(new Gap(tenant, gap(tenant, missing, "never delivered within " + held.gapWait())));
        }
        return expired;
    }

    private ChainVerifier.Break gap(String tenant, long missing, String detail) {
        ChainVerifier.Break b = new ChainVerifier.Break(missing, ChainVerifier.Reason.sequence_gap, detail);
        breaks.put(tenant, b);
        held.forget(tenant);
        return b;
    }

    private Outcome fork(StoredEntry entry) {
        forks.put(entry.tenantId(), entry.sequence());
        held.forget(entry.tenantId());
        return Outcome.FORK;
    }

    private boolean verify(ChainVerifier verifier, StoredEntry entry) {
        ChainVerifier.Break b = verifier.accept(entry);
        if (b != null) {
            breaks.put(entry.tenantId(), b);
            held.forget(entry.tenantId());
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
        held.forget(tenantId);
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
