package dev.ledger.follower;

import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Entries that arrived ahead of their predecessor, per tenant, bounded twice: at most {@code maxPerTenant} entries a
 * tenant, and for at most {@code gapWait} from the first of them (measured on the follower's clock). A tenant past
 * either bound has a gap that will not fill: the follower breaks its chain at the missing sequence.
 *
 * @param <E> what is held (an entry as the follower read it)
 */
public final class GapHold<E> {

    /** What holding one entry did. */
    public enum Held { HELD, ALREADY_HELD, CONFLICT, FULL }

    private record Waiting<E>(byte[] hash, E entry) {
    }

    private static final class Tenant<E> {
        final TreeMap<Long, Waiting<E>> bySequence = new TreeMap<>();
        Instant since;
    }

    private final int maxPerTenant;
    private final Duration gapWait;
    private final Clock clock;
    private final Map<String, Tenant<E>> tenants = new HashMap<>();

    public GapHold(int maxPerTenant, Duration gapWait, Clock clock) {
        if (maxPerTenant < 1 || gapWait.isNegative() || gapWait.isZero()) {
            throw new IllegalArgumentException("a hold needs room for an entry and a positive gap wait");
        }
        this.maxPerTenant = maxPerTenant;
        this.gapWait = gapWait;
        this.clock = clock;
    }

    /** Holds {@code entry} of {@code sequence}; CONFLICT when another hash of that sequence is held already (a fork). */
    public Held hold(String tenantId, long sequence, byte[] hash, E entry) {
        Tenant<E> t = tenants.computeIfAbsent(tenantId, k -> new Tenant<>());
        Waiting<E> before = t.bySequence.get(sequence);
        if (before != null) {
            return MessageDigest.isEqual(before.hash(), hash) ? Held.ALREADY_HELD : Held.CONFLICT;
        }
        if (t.bySequence.size() >= maxPerTenant) {
            return Held.FULL;
        }
        if (t.bySequence.isEmpty()) {
            t.since = clock.instant();
        }
        t.bySequence.put(sequence, new Waiting<>(hash.clone(), entry));
        return Held.HELD;
    }

    /** The held entry of {@code sequence}, removed; null when none is held. */
    public E take(String tenantId, long sequence) {
        Tenant<E> t = tenants.get(tenantId);
        if (t == null) {
            return null;
        }
        Waiting<E> w = t.bySequence.remove(sequence);
        if (t.bySequence.isEmpty()) {
            tenants.remove(tenantId);
        } else if (w != null) {
            t.since = clock.instant(); // the gap moved: the next one waits its own full time
        }
        return w == null ? null : w.entry();
    }

    /** Forgets what a tenant has held (its chain broke, or its partition moved away). */
    public void forget(String tenantId) {
        tenants.remove(tenantId);
    }

    /** The tenants whose first held entry has waited longer than the gap wait, their holds dropped. */
    public List<String> expire() {
        Instant deadline = clock.instant().minus(gapWait);
        List<String> expired = new ArrayList<>();
        tenants.entrySet().removeIf(e -> {
            if (e.getValue().since.isBefore(deadline)) {
                expired.add(e.getKey());
                return true;
            }
            return false;
        });
        return expired;
    }

    public int heldEntries(String tenantId) {
        Tenant<E> t = tenants.get(tenantId);
        return t == null ? 0 : t.bySequence.size();
    }

    public Duration gapWait() {
        return gapWait;
    }
}
