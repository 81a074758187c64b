package dev.ledger.api.checkpoint;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ledger.api.config.LedgerProperties;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKey;
import dev.ledger.core.chain.CheckpointKeys;
import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.ProofIndex;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Issues signed checkpoints (on demand, every N entries, or every T) and answers inclusion and consistency proofs.
 * Each tenant's Merkle tree is kept in memory as a {@link ProofIndex} and extended from the database as its chain
 * grows, so a proof over a million entries costs microseconds, not a million reads. The trees together hold at most
 * {@code ledger.checkpoint.proof-cache-leaves} leaves: memory stays bounded however many tenants and entries there are.
 */
@Component
public class CheckpointService {

    private static final Logger log = LoggerFactory.getLogger(CheckpointService.class);
    private final JdbcTemplate jdbc;
    private final CheckpointSigner signer;
    private final CheckpointProperties props;
    private final Cache<String, ProofIndex> trees;
    private final Map<String, Long> touched = new ConcurrentHashMap<>();

    public CheckpointService(JdbcTemplate jdbc, CheckpointProperties props, LedgerProperties ledger) {
        this.jdbc = jdbc;
        this.props = props;
        // the weight is the tree's size when it was last put back; trees grow between, by at most one extension
        this.trees = Caffeine.newBuilder().maximumWeight(props.proofCacheLeaves())
                .weigher((String tenant, ProofIndex tree) -> (int) Math.min(Integer.MAX_VALUE, Math.max(1, tree.size()))).build();
        if (props.privateKey() == null || props.privateKey().isBlank()) {
            if (ledger.production()) {
                throw new IllegalStateException("ledger-api refuses to start: LEDGER_CHECKPOINT_PRIVATE_KEY is required in production");
            }
            this.signer = CheckpointSigner.generate();
            log.warn("No checkpoint signing key configured: using a fresh key {} for this run (its public key is kept)", signer.keyId());
        } else {
            this.signer = CheckpointSigner.fromBase64(props.privateKey(), props.publicKey());
        }
        CheckpointKey key = signer.key();
        jdbc.update("insert into checkpoint_key (key_id, algorithm, public_key) values (?, ?, ?) on conflict (key_id) do nothing",
                key.keyId(), CheckpointKey.ALGORITHM, key.publicKeyBase64());
        jdbc.query("select tenant_id from tenant", rs -> {
            touched.put(rs.getString(1), 0L);
        });
    }

    public CheckpointKeys keys() {
        return CheckpointKeys.of(jdbc.query("select public_key from checkpoint_key order by created_at",
                (rs, i) -> CheckpointKey.fromBase64(rs.getString(1))));
    }

    /** A tenant's chain grew (called inside the append); the scheduler looks at it next round. */
    public void touch(String tenantId, long sequence) {
        touched.merge(tenantId, sequence, Math::max);
    }

    /** The Merkle tree over the tenant's first {@code size} entries (at least), read from the database as needed. */
    public ProofIndex tree(String tenantId, long size) {
        ProofIndex tree = trees.get(tenantId, t -> ProofIndex.over(List.of()));
        synchronized (tree) {
            if (tree.size() < size) {
                jdbc.query(con -> {
                    PreparedStatement ps = con.prepareStatement("select entry_hash from domain_event_entry"
                            + " where aggregate_identifier = ? and sequence_number >= ? and sequence_number < ? order by sequence_number");
                    ps.setString(1, tenantId);
                    ps.setLong(2, tree.size());
                    ps.setLong(3, size);
                    ps.setFetchSize(10_000);
                    return ps;
                }, rs -> {
                    tree.append(rs.getBytes(1));
                });
                trees.asMap().replace(tenantId, tree, tree); // weighed again at its new size (may evict others)
            }
            return tree;
        }
    }

    public long head(String tenantId) {
        Long head = jdbc.queryForObject("select coalesce(max(sequence_number) + 1, 0) from domain_event_entry where aggregate_identifier = ?",
                Long.class, tenantId);
        return head == null ? 0 : head;
    }

    /** Signs the tenant's current head (or answers the checkpoint already issued for that size). */
    public Checkpoint issue(String tenantId) {
        long size = head(tenantId);
        Optional<Checkpoint> existing = at(tenantId, size);
        if (existing.isPresent()) {
            return existing.get();
        }
        ProofIndex tree = tree(tenantId, size);
        byte[] root;
        synchronized (tree) {
            root = tree.root(size);
        }
        Checkpoint c = signer.sign(tenantId, size, root, Instant.now().truncatedTo(ChronoUnit.MILLIS));
        jdbc.update("insert into checkpoint (tenant_id, size, root_hash, issued_at, key_id, signature) values (?, ?, ?, ?, ?, ?)"
                + " on conflict (tenant_id, size) do nothing", c.tenantId(), c.size(), c.rootHash(), c.issuedAt(), c.keyId(), c.signature());
        return at(tenantId, size).orElse(c);
    }

    public Optional<Checkpoint> latest(String tenantId) {
        return jdbc.query("select tenant_id, size, root_hash, issued_at, key_id, signature from checkpoint where tenant_id = ?"
                + " order by size desc limit 1", (rs, i) -> row(rs), tenantId).stream().findFirst();
    }

    public Optional<Checkpoint> at(String tenantId, long size) {
        return jdbc.query("select tenant_id, size, root_hash, issued_at, key_id, signature from checkpoint where tenant_id = ? and size = ?",
                (rs, i) -> row(rs), tenantId, size).stream().findFirst();
    }

    /** All of a tenant's checkpoints with size &lt;= maxSize, smallest first. */
    public List<Checkpoint> upTo(String tenantId, long maxSize) {
        return jdbc.query("select tenant_id, size, root_hash, issued_at, key_id, signature from checkpoint where tenant_id = ?"
                + " and size <= ? order by size", (rs, i) -> row(rs), tenantId, maxSize);
    }

    private static Checkpoint row(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Checkpoint(rs.getString(1), rs.getLong(2), rs.getBytes(3), rs.getString(4), rs.getString(5), rs.getBytes(6));
    }

    @Scheduled(fixedDelayString = "${ledger.checkpoint.scan-millis:1000}")
    void issueDue() {
        for (String tenant : touched.keySet()) {
            try {
                Optional<Checkpoint> last = latest(tenant);
                long head = head(tenant);
                long lastSize = last.map(Checkpoint::size).orElse(0L);
                boolean old = last.map(c -> Instant.parse(c.issuedAt()).plus(props.interval()).isBefore(Instant.now())).orElse(true);
                if (head > lastSize && (head - lastSize >= props.everyEntries() || old)) {
                    issue(tenant);
                }
                if (head <= lastSize) {
                    touched.remove(tenant, touched.get(tenant));
                }
            } catch (RuntimeException e) {
                log.warn("checkpoint for {} not issued this round: {}", tenant, e.getClass().getSimpleName());
            }
        }
    }
}
