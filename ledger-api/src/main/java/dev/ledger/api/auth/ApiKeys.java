package dev.ledger.api.auth;

import dev.ledger.api.config.LedgerProperties;
import dev.ledger.core.chain.Hex;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Timestamp;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Issues and checks keys of the form {@code lk_<key_id>_<secret>}. Only HMAC-SHA-256(pepper, key_id ‖ secret) is
 * stored, the pepper being a per-deployment secret; comparison is constant-time. Verified keys are cached for a
 * second; a revocation empties the cache after its transaction commits, and a check that raced the revocation is
 * never cached, so a revoked key stops working with the first request after the revocation's answer.
 */
@Component
public class ApiKeys {

    @io.swagger.v3.oas.annotations.media.Schema(description = "A new key; `key` is shown only in this answer", example = """
            {"key_id":"7d1e2f3a4b5c6d7e","key":"lk_7d1e2f3a4b5c6d7e_kq3Zp9xW2mV8rT5yN1bL6cH4dF0gJ7sA","scopes":["evaluations:write","audit:read"]}""")
    public record Issued(String keyId, String key, List<String> scopes) {
    }

    private static final SecureRandom RANDOM = new SecureRandom();
    private final JdbcTemplate jdbc;
    private final Clock clock;
    private final byte[] pepper;
    private final byte[] adminKeyHash;
    /** Verified keys for at most a second: a revoked key stops at once here and within a second elsewhere. */
    private final Cache<String, Optional<Caller>> recent = Caffeine.newBuilder()
            .expireAfterWrite(Duration.ofSeconds(1)).maximumSize(100_000).build();

    /** Counts committed revocations: a check that saw this count change may have read a row revoked since. */
    private final AtomicLong revocations = new AtomicLong();

    public ApiKeys(JdbcTemplate jdbc, LedgerProperties props, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
        this.pepper = props.keyPepper().getBytes(StandardCharsets.UTF_8);
        this.adminKeyHash = mac("admin", props.adminKey());
    }

    /** Stores a new key (in the caller's transaction) and answers it; the full key exists only in this answer. */
    public Issued issue(String tenantId, Set<Scope> scopes) {
        String keyId = randomHex(8);
        String secret = randomHex(32);
        String wireScopes = scopes.stream().map(Scope::wire).sorted().collect(Collectors.joining(" "));
        jdbc.update("insert into api_key (key_id, tenant_id, secret_hash, scopes, created_at) values (?, ?, ?, ?, ?)",
                keyId, tenantId, mac(keyId, secret), wireScopes, Timestamp.from(clock.instant()));
        return new Issued(keyId, "lk_" + keyId + "_" + secret, List.of(wireScopes.split(" ")));
    }

    /** Marks a tenant's key revoked (in the caller's transaction); answers false when the tenant has no such live key. */
    public boolean revoke(String tenantId, String keyId) {
        return forget(keyId, jdbc.update("update api_key set revoked_at = ? where key_id = ? and tenant_id = ? and revoked_at is null",
                Timestamp.from(clock.instant()), keyId, tenantId) == 1);
    }

    /** Marks a service key revoked (in the caller's transaction); answers false when there is no such live service key. */
    public boolean revokeService(String keyId) {
        return forget(keyId, jdbc.update("update api_key set revoked_at = ? where key_id = ? and tenant_id is null and revoked_at is null",
                Timestamp.from(clock.instant()), keyId) == 1);
    }

    /**
     * Drops the key from the cache once the revocation is committed: evicting before the commit would let a request
     * that reads the still-live row meanwhile cache the key again.
     */
    private boolean forget(String keyId, boolean revoked) {
        if (!revoked) {
            return false;
        }
        Runnable evict = () -> {
            revocations.incrementAndGet();
            recent.asMap().keySet().removeIf(k -> k.startsWith("lk_" + keyId + "_"));
        };
        if (TransactionSynchronizationManager.isSynchronizationActive()) {
            TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
                @Override
                public void afterCommit() {
                    evict.run();
                }
            });
        } else {
            evict.run();
        }
        return true;
    }

    public Optional<Caller> authenticate(String presented) {
        if (presented == null || presented.length() > 200) {
            return Optional.empty();
        }
        Optional<Caller> cached = recent.getIfPresent(presented);
        if (cached != null) {
            return cached;
        }
        long before = revocations.get();
        Optional<Caller> checked = check(presented);
        if (checked.isPresent()) {
            recent.put(presented, checked);
            // a revocation committed while this check read the row: the answer may be stale, so it is not kept
            if (revocations.get() != before) {
                recent.invalidate(presented);
            }
        }
        return checked;
    }

    private Optional<Caller> check(String presented) {
        if (!presented.startsWith("lk_")) {
            return Optional.empty();
        }
        int split = presented.indexOf('_', 3);
        if (split < 0) {
            return Optional.empty();
        }
        String keyId = presented.substring(3, split);
        String secret = presented.substring(split + 1);
        if ("admin".equals(keyId)) {
            return MessageDigest.isEqual(adminKeyHash, mac("admin", presented))
                    ? Optional.of(new Caller(Caller.Kind.ADMIN, "admin", null, EnumSet.allOf(Scope.class)))
                    : Optional.empty();
        }
        if (!keyId.matches("[0-9a-f]{16}")) {
            return Optional.empty();
        }
        List<Caller> found = jdbc.query("select tenant_id, secret_hash, scopes from api_key where key_id = ? and revoked_at is null",
                (rs, i) -> MessageDigest.isEqual(rs.getBytes(2), mac(keyId, secret)) ? toCaller(keyId, rs.getString(1), rs.getString(3)) : null,
                keyId);
        return found.stream().filter(c -> c != null).findFirst();
    }

    private static Caller toCaller(String keyId, String tenantId, String scopes) {
        Set<Scope> set = EnumSet.noneOf(Scope.class);
        Arrays.stream(scopes.split(" ")).map(Scope::fromWire).flatMap(Optional::stream).forEach(set::add);
        return new Caller(tenantId == null ? Caller.Kind.SERVICE : Caller.Kind.TENANT, keyId, tenantId, set);
    }

    private byte[] mac(String keyId, String secret) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(pepper, "HmacSHA256"));
            mac.update(keyId.getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return mac.doFinal(secret.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    private static String randomHex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return Hex.of(b);
    }
}
