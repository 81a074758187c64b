package dev.ledger.api.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import java.time.Duration;

/**
 * Failed authentications per source address (Bucket4j): a source that used up its failures is refused before its
 * next key is even looked at, so guessing keys costs the guesser time and the ledger nothing. The limit is a rate-limit
 * setting ({@code ledger.rate-limit.failed-auth-per-minute}); the bean is made in the {@code ratelimit} package.
 */
public class FailedAuthentications {

    private final long perMinute;
    private final Cache<String, Bucket> sources = Caffeine.newBuilder()
            .expireAfterAccess(Duration.ofMinutes(10)).maximumSize(100_000).build();

    public FailedAuthentications(long perMinute) {
        this.perMinute = Math.max(1, perMinute);
    }

    /** Seconds the source must wait before it may try again, or 0 when it may try now. */
    public long retryAfterSeconds(String source) {
        Bucket bucket = sources.getIfPresent(source);
        if (bucket == null || bucket.getAvailableTokens() > 0) {
            return 0;
        }
        long nanos = bucket.estimateAbilityToConsume(1).getNanosToWaitForRefill();
        return Math.max(1, (nanos + 999_999_999L) / 1_000_000_000L);
    }

    /** Counts one failed authentication of the source. */
    public void failed(String source) {
        sources.get(source, s -> Bucket.builder()
                .addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, Duration.ofMinutes(1)).build())
                .build()).tryConsume(1);
    }
}
