package dev.ledger.follower;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToDoubleFunction;

/**
 * The gauges of every {@link ChainFollower} of one worker in one registry (a process may run several consumers):
 * verified entries and lag summed over them, the chain table's counts as last read by any of them.
 */
final class FollowerGauges {

    private static final Map<MeterRegistry, Map<String, FollowerGauges>> ALL = new WeakHashMap<>();

    private final Map<Object, Long> lags = new ConcurrentHashMap<>();
    private final Map<Object, AtomicLong> verified = new ConcurrentHashMap<>();
    private final AtomicLong broken = new AtomicLong();
    private final AtomicLong forked = new AtomicLong();
    private final AtomicLong tenants = new AtomicLong();
    private final AtomicLong lostTenants = new AtomicLong();

    private FollowerGauges() {
    }

    /** The gauges of the followers with this metrics prefix in this registry, registered with the first of them. */
    static FollowerGauges of(MeterRegistry registry, String prefix) {
        synchronized (ALL) {
            return ALL.computeIfAbsent(registry, r -> new ConcurrentHashMap<>())
                    .computeIfAbsent(prefix, p -> new FollowerGauges().register(registry, p));
        }
    }

    private FollowerGauges register(MeterRegistry registry, String p) {
        gauge(registry, p + "_verified_entries", "entries whose chain link re-verified since start",
                g -> g.verified.values().stream().mapToLong(AtomicLong::get).sum());
        gauge(registry, p + "_broken_chains", "tenants whose chain failed verification", g -> g.broken.get());
        gauge(registry, "ledger_chain_forked_tenants",
                "tenants stopped because two records of one sequence carry different hashes", g -> g.forked.get());
        gauge(registry, p + "_tenants", "tenants followed", g -> g.tenants.get());
        gauge(registry, p + "_tenants_lost_to_retention",
                "tenants whose entries the topic's retention deleted before this worker read them", g -> g.lostTenants.get());
        gauge(registry, p + "_consumer_lag", "records on the assigned partitions not yet consumed",
                g -> g.lags.values().stream().mapToLong(Long::longValue).sum());
        return this;
    }

    private void gauge(MeterRegistry registry, String name, String description, ToDoubleFunction<FollowerGauges> f) {
        if (registry.find(name).gauge() != null) {
            return; // the worker registered a gauge of this name itself (counting its own stop reasons): it keeps it
        }
        Gauge.builder(name, this, f).description(description).register(registry);
    }

    void add(Object follower) {
        verified.put(follower, new AtomicLong());
        lags.put(follower, 0L);
    }

    void remove(Object follower) {
        lags.remove(follower);
    }

    void lag(Object follower, long lag) {
        lags.put(follower, lag);
    }

    void verified(Object follower, long n) {
        verified.computeIfAbsent(follower, f -> new AtomicLong()).addAndGet(n);
    }

    long verified(Object follower) {
        AtomicLong n = verified.get(follower);
        return n == null ? 0 : n.get();
    }

    void counts(long broken, long forked, long tenants, long lostTenants) {
        this.broken.set(broken);
        this.forked.set(forked);
        this.tenants.set(tenants);
        this.lostTenants.set(lostTenants);
    }

    long broken() {
        return broken.get();
    }

    long forked() {
        return forked.get();
    }
}
