package dev.ledger.api.ratelimit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper;
import io.github.bucket4j.distributed.proxy.optimization.DelayParameters;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Each tenant's token bucket, kept in PostgreSQL ({@code rate_limit_bucket}, Bucket4j's select-for-update proxy) so
 * that every ledger-api instance draws from the same one: two replicas do not double a tenant's limit.
 * <p>
 * A database round trip per request would cost the write path its latency, so each instance consumes from its local
 * view and synchronizes with the stored bucket after {@code syncTokens} tokens or {@code syncInterval}, whichever
 * comes first (Bucket4j's delaying optimization): across N instances a tenant can exceed its limit by at most
 * N × syncTokens per interval. The bucket transactions commit without waiting for the WAL flush
 * ({@code synchronous_commit off}, their own small pool): a bucket state lost in a crash only forgives a few requests.
 * <p>
 * When the store cannot be reached the instance limits on its own (a local bucket of the same limit), counts it in
 * {@code ledger_ratelimit_store_failures_total} and says so in its log once a minute: an outage of this table must
 * neither refuse every request nor lift the limit.
 */
@Component
class TenantBuckets implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(TenantBuckets.class);
    private final RateLimitProperties props;
    private final HikariDataSource pool;
    private final PostgreSQLSelectForUpdateBasedProxyManager<String> store;
    private final ConcurrentHashMap<String, Bucket> shared = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Bucket> local = new ConcurrentHashMap<>();
    private final Counter storeFailures;
    private final AtomicLong lastWarning = new AtomicLong();

    TenantBuckets(RateLimitProperties props, HikariDataSource dataSource, MeterRegistry metrics) {
        this.props = props;
        HikariConfig config = new HikariConfig();
        dataSource.copyStateTo(config);
        config.setPoolName("ledger-ratelimit");
        config.setMaximumPoolSize(props.storeConnections());
        config.setMinimumIdle(1);
        config.setConnectionTimeout(1_000); // a store that does not answer soon falls back to the local bucket
        config.setConnectionInitSql("set synchronous_commit to off");
        this.pool = new HikariDataSource(config);
        this.store = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(pool)
                .primaryKeyMapper(PrimaryKeyMapper.STRING)
                .table("rate_limit_bucket").idColumn("id").stateColumn("state").expiresAtColumn("expires_at")
                .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(60)))
                .build();
        this.storeFailures = Counter.builder("ledger.ratelimit.store.failures")
                .description("rate-limit checks that could not reach the shared buckets and used this instance's own")
                .register(metrics);
    }

    /** Takes one token of the tenant's bucket. */
    ConsumptionProbe take(String tenantId) {
        long rate = Math.max(1, props.rateOf(tenantId));
        long capacity = Math.max(rate, props.burstOf(tenantId));
        // the limit is part of the key: a changed limit is a new bucket, the same on every instance that has it
        String key = tenantId + ":" + rate + ":" + capacity;
        try {
            return shared.computeIfAbsent(key, k -> store.builder()
                    .withOptimization(Optimizations.delaying(new DelayParameters(props.syncTokensFor(rate), props.syncInterval())))
                    .build(k, () -> configuration(rate, capacity))).tryConsumeAndReturnRemaining(1);
        } catch (RuntimeException e) {
            storeFailures.increment();
            long now = System.nanoTime();
            long last = lastWarning.get();
            if ((last == 0 || now - last > 60_000_000_000L) && lastWarning.compareAndSet(last, now)) {
                log.warn("rate limits: the shared buckets cannot be reached ({}); this instance limits on its own until they can",
                        e.getClass().getSimpleName());
            }
            return local.computeIfAbsent(key, k -> Bucket.builder().addLimit(limit(rate, capacity)).build())
                    .tryConsumeAndReturnRemaining(1);
        }
    }

    private static BucketConfiguration configuration(long rate, long capacity) {
        return BucketConfiguration.builder().addLimit(limit(rate, capacity)).build();
    }

    private static Bandwidth limit(long rate, long capacity) {
        return Bandwidth.builder().capacity(capacity).refillGreedy(rate, Duration.ofSeconds(1)).build();
    }

    /** Removes buckets idle long enough to be full again (they are created anew when needed). */
    @Scheduled(fixedDelayString = "${ledger.rate-limit.cleanup-millis:60000}", initialDelayString = "${ledger.rate-limit.cleanup-millis:60000}")
    void removeExpired() {
        try {
            while (store.removeExpired(1_000) == 1_000) {
                // more to go
            }
        } catch (RuntimeException e) {
            log.debug("rate limits: expired buckets not removed this time: {}", e.toString());
        }
    }

    @Override
    public void destroy() {
        pool.close();
    }
}
