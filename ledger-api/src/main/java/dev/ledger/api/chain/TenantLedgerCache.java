package dev.ledger.api.chain;

import com.github.benmanes.caffeine.cache.Caffeine;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.axonframework.common.Registration;
import org.axonframework.common.caching.Cache;

/**
 * Axon's aggregate cache on a bounded Caffeine cache, holding loaded {@code TenantLedger}s strongly. Axon's own
 * {@code WeakReferenceCache} lost every aggregate at every young collection, so under load each append re-read its
 * tenant's latest snapshot and the entries after it. Axon evicts an aggregate itself when its unit of work rolls
 * back, so a failed command never leaves its state here. Entry listeners are not offered (nothing in Axon's aggregate
 * repositories registers one).
 */
final class TenantLedgerCache implements Cache {

    private final ConcurrentMap<Object, Object> entries;

    TenantLedgerCache(long maxTenants) {
        this.entries = Caffeine.newBuilder().maximumSize(maxTenants).build().asMap();
    }

    @Override
    @SuppressWarnings("unchecked")
    public <K, V> V get(K key) {
        return (V) entries.get(key);
    }

    @Override
    public void put(Object key, Object value) {
        if (value == null) {
            entries.remove(key);
        } else {
            entries.put(key, value);
        }
    }

    @Override
    public boolean putIfAbsent(Object key, Object value) {
        return entries.putIfAbsent(key, value) == null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T computeIfAbsent(Object key, Supplier<T> valueSupplier) {
        return (T) entries.computeIfAbsent(key, k -> valueSupplier.get());
    }

    @Override
    public boolean remove(Object key) {
        return entries.remove(key) != null;
    }

    @Override
    public void removeAll() {
        entries.clear();
    }

    @Override
    public boolean containsKey(Object key) {
        return entries.containsKey(key);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <V> void computeIfPresent(Object key, UnaryOperator<V> update) {
        entries.computeIfPresent(key, (k, v) -> update.apply((V) v));
    }

    @Override
    public Registration registerCacheEntryListener(EntryListener cacheEntryListener) {
        throw new UnsupportedOperationException("the tenant ledger cache offers no entry listeners");
    }
}
