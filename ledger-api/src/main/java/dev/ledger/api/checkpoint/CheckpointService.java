package dev.ledger.api.checkpoint;

import dev.ledger.api.config.LedgerProperties;
import dev.ledger.api.read.ReadPool;
import dev.ledger.api.read.ReadProperties;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.MerkleTree;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Qualifier;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKey;
import dev.ledger.core.chain.CheckpointKeys;
import dev.ledger.core.chain.CheckpointSigner;
import dev.ledger.core.chain.ProofIndex;
import dev.ledger.core.chain.SignedNote;
import dev.ledger.core.chain.TlogCheckpoint;
import java.sql.PreparedStatement;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Issues signed checkpoints (on demand, every N entries, or every T) and answers inclusion and consistency proofs,
 * in bounded memory whatever a tenant's size. Each tenant's Merkle tree lives in the database: its frontier (the
 * O(log n) roots of the perfect subtrees the tree is made of) at every size it was extended to, and the roots of its
 * perfect subtrees of 1,024 leaves and more. A checkpoint resumes from the latest frontier and reads only the entries
 * after it; a proof reads O(log n) stored roots and at most a few blocks of 1,024 entry hashes. Nothing is kept in
 * memory between requests, so a restart or a tenant of millions of entries costs no re-reading of the chain.
 */
@Component
public class CheckpointService {

    /** Perfect subtrees of 2^STORED_LEVEL leaves and more are stored; smaller ones are hashed from one block of leaves. */
    static final int STORED_LEVEL = 10;
    static final int BLOCK = 1 << STORED_LEVEL;
    private static final Logger log = LoggerFactory.getLogger(CheckpointService.class);
    private final JdbcTemplate jdbc;
    private final JdbcTemplate reads;
    private final TransactionTemplate transactions;
    private final CheckpointSigner signer;
    private final SignedNote.SignerKey noteSigner;
    private final CheckpointProperties props;
    private final ReadProperties readProps;
    private final Clock clock;
    private final Map<String, Long> touched = new ConcurrentHashMap<>();
    private final Object[] extending = new Object[256];
    private final Counter entriesRead;

    public CheckpointService(JdbcTemplate jdbc, @Qualifier(ReadPool.NAME) DataSource readPool, CheckpointProperties props,
                             ReadProperties readProps, LedgerProperties ledger, MeterRegistry meters, Clock clock,
                             PlatformTransactionManager transactionManager) {
        this.jdbc = jdbc;
        this.transactions = new TransactionTemplate(transactionManager);
        this.clock = clock;
        this.reads = new JdbcTemplate(readPool);
        this.props = props;
        this.readProps = readProps;
        for (int i = 0; i < extending.length; i++) {
            extending[i] = new Object();
        }
        this.entriesRead = Counter.builder("ledger.merkle.entries.read")
                .description("entry hashes read from the chain to extend Merkle trees and answer proofs").register(meters);
        if (props.privateKey() == null || props.privateKey().isBlank()) {
            if (ledger.production()) {
                throw new IllegalStateException("ledger-api refuses to start: LEDGER_CHECKPOINT_PRIVATE_KEY is required in production");
            }
            this.signer = CheckpointSigner.generate();
            log.warn("No checkpoint signing key configured: using a fresh key {} for this run (its public key is kept)", signer.keyId());
        } else {
            this.signer = CheckpointSigner.fromBase64(props.privateKey(), props.publicKey());
        }
        TlogCheckpoint.requireOrigin(props.origin());
        this.noteSigner = signer.noteSigner(props.origin());
        if (ledger.production() && CheckpointProperties.LOCAL_ORIGIN.equals(props.origin())) {
            log.warn("LEDGER_CHECKPOINT_ORIGIN is not set: signed-note checkpoints name the local origin {}", props.origin());
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

    /** The deployment's origin: the key name of signed-note checkpoints, and the first part of each tenant's origin. */
    public String origin() {
        return props.origin();
    }

    /** The origin line of the tenant's signed-note checkpoints: {@code <deployment origin>/tenants/<tenant_id>}. */
    public String origin(String tenantId) {
        return TlogCheckpoint.origin(props.origin(), tenantId);
    }

    /** A published key as a signed-note verifier key, {@code <deployment origin>+<key hash>+<base64 key>}. */
    public String noteVerifierKey(CheckpointKey key) {
        return key.noteVerifierKey(props.origin()).encoded();
    }

    /**
     * The checkpoint as a C2SP tlog-checkpoint signed note: the same size and root, signed now by the current key
     * (deterministic Ed25519: the same checkpoint is the same note while the key stays).
     */
    public String note(Checkpoint checkpoint) {
        StringBuilder note = new StringBuilder(logNote(checkpoint));
        for (String line : cosignatures(checkpoint)) {
            note.append(line);
        }
        return note.toString();
    }

    /** The checkpoint's note with the ledger's own signature only: what is sent to witnesses. */
    public String logNote(Checkpoint checkpoint) {
        return TlogCheckpoint.sign(new TlogCheckpoint.Body(origin(checkpoint.tenantId()), checkpoint.size(), checkpoint.rootHash()),
                noteSigner);
    }

    /** The witnesses' cosignature lines of this checkpoint (each ends in a newline), by witness name. */
    public List<String> cosignatures(Checkpoint checkpoint) {
        return jdbc.queryForList("select line from checkpoint_cosignature where tenant_id = ? and size = ? order by witness",
                String.class, checkpoint.tenantId(), checkpoint.size());
    }

    /** A tenant's chain grew (called inside the append); the scheduler looks at it next round. */
    public void touch(String tenantId, long sequence) {
        touched.merge(tenantId, sequence, Math::max);
    }

    /** The tree of a tenant's first {@code size} entries, as far as it was stored: its size and frontier. */
    public record Frontier(long size, List<byte[]> hashes) {
        byte[] root() {
            return MerkleTree.Builder.resume(size, hashes).root();
        }
    }

    /** The latest stored frontier of the tenant's tree (size 0 when none). */
    Frontier latestFrontier(String tenantId) {
        return reads.query("select size, frontier from merkle_frontier where tenant_id = ? order by size desc limit 1",
                rs -> rs.next() ? new Frontier(rs.getLong(1), split(rs.getBytes(2))) : new Frontier(0, List.of()), tenantId);
    }

    /**
     * Makes the stored tree cover at least the tenant's first {@code size} entries: resumes from the latest frontier,
     * reads only the entries after it (a cursor on the read pool), stores the perfect subtrees they complete and the new
     * frontier. Answers the latest frontier, of {@code size} or more entries.
     *
     * @throws IllegalStateException when entries below {@code size} are missing (the tree stops before them)
     */
    public Frontier extend(String tenantId, long size) {
        synchronized (extending[Math.floorMod(tenantId.hashCode(), extending.length)]) {
            Frontier latest = latestFrontier(tenantId);
            if (latest.size() >= size) {
                return latest;
            }
            List<Object[]> nodes = new ArrayList<>();
            MerkleTree.Builder tree = MerkleTree.Builder.resume(latest.size(), latest.hashes())
                    .reportingSubtrees(STORED_LEVEL, (level, position, root) -> nodes.add(new Object[] {tenantId, level, position, root}));
            reads.query(con -> {
                PreparedStatement ps = con.prepareStatement("select sequence_number, entry_hash from domain_event_entry"
                        + " where aggregate_identifier = ? and sequence_number >= ? and sequence_number < ? order by sequence_number");
                ps.setString(1, tenantId);
                ps.setLong(2, latest.size());
                ps.setLong(3, size);
                ps.setFetchSize(readProps.fetchSize() * 10);
                return ps;
            }, (ResultSet rs) -> {
                // a leaf is the entry at exactly the next position: a missing one ends the extension there
                if (rs.getLong(1) != tree.size() || rs.getBytes(2) == null || rs.getBytes(2).length != EntryFraming.HASH_BYTES) {
                    return;
                }
                tree.append(rs.getBytes(2));
                if (nodes.size() >= 10_000) {
                    storeNodes(nodes);
                }
            });
            entriesRead.increment(tree.size() - latest.size());
            storeNodes(nodes);
            if (tree.size() != size) {
                throw new IllegalStateException("entry " + (tree.size() + 1) + " of " + tenantId + " is missing or damaged:"
                        + " its Merkle tree is not extended past it");
            }
            byte[] frontier = join(tree.frontier());
            jdbc.update("insert into merkle_frontier (tenant_id, size, frontier) values (?, ?, ?) on conflict do nothing",
                    tenantId, size, frontier);
            return new Frontier(size, tree.frontier());
        }
    }

    private void storeNodes(List<Object[]> nodes) {
        if (!nodes.isEmpty()) {
            jdbc.batchUpdate("insert into merkle_node (tenant_id, level, position, hash) values (?, ?, ?, ?) on conflict do nothing", nodes);
            nodes.clear();
        }
    }

    /** RFC 6962 root of the tenant's first {@code size} entries. */
    public byte[] root(String tenantId, long size) {
        Frontier f = extend(tenantId, size);
        return f.size() == size ? f.root() : ProofIndex.root(subtrees(tenantId, size), size);
    }

    /** RFC 6962 PATH of entry {@code sequence} in the tree of the first {@code treeSize} entries, and that tree's root. */
    public Proof inclusion(String tenantId, long sequence, long treeSize) {
        extend(tenantId, treeSize);
        StoredSubtrees tree = subtrees(tenantId, treeSize);
        List<byte[]> path = ProofIndex.inclusionProof(tree, sequence - 1, treeSize);
        return new Proof(path, ProofIndex.root(tree, treeSize));
    }

    public record Proof(List<byte[]> path, byte[] root) {
    }

    /** RFC 6962 PROOF(from, D[0:to]) over the tenant's entries. */
    public List<byte[]> consistency(String tenantId, long from, long to) {
        extend(tenantId, to);
        return ProofIndex.consistencyProof(subtrees(tenantId, to), from, to);
    }

    StoredSubtrees subtrees(String tenantId, long treeSize) {
        return new StoredSubtrees(tenantId, treeSize);
    }

    /**
     * One request's view of a stored tree: perfect subtrees of 1,024 leaves and more from merkle_node, smaller ones
     * hashed from the block of 1,024 entry hashes they lie in (read once per request).
     */
    final class StoredSubtrees implements ProofIndex.PerfectSubtrees {
        private final String tenantId;
        private final long treeSize;
        private final Map<Long, byte[][]> blocks = new HashMap<>();

        StoredSubtrees(String tenantId, long treeSize) {
            this.tenantId = tenantId;
            this.treeSize = treeSize;
        }

        @Override
        public byte[] perfect(long start, int level) {
            if (level >= STORED_LEVEL) {
                byte[] h = reads.query("select hash from merkle_node where tenant_id = ? and level = ? and position = ?",
                        rs -> rs.next() ? rs.getBytes(1) : null, tenantId, level, start >>> level);
                if (h == null) {
                    throw new IllegalStateException("the stored Merkle tree of " + tenantId + " lacks subtree " + level + "/" + (start >>> level));
                }
                return h;
            }
            byte[][] leaves = block(start >>> STORED_LEVEL);
            return hash(leaves, (int) (start & (BLOCK - 1)), level);
        }

        private byte[] hash(byte[][] leaves, int offset, int level) {
            if (level == 0) {
                return leaves[offset];
            }
            int half = 1 << (level - 1);
            return MerkleTree.nodeHash(hash(leaves, offset, level - 1), hash(leaves, offset + half, level - 1));
        }

        private byte[][] block(long block) {
            return blocks.computeIfAbsent(block, b -> {
                long first = b * BLOCK;
                int count = (int) Math.min(BLOCK, treeSize - first);
                byte[][] leaves = new byte[count][];
                int[] n = {0};
                reads.query("select sequence_number, entry_hash from domain_event_entry where aggregate_identifier = ?"
                        + " and sequence_number >= ? and sequence_number < ? order by sequence_number", (ResultSet rs) -> {
                    int i = (int) (rs.getLong(1) - first);
                    if (i == n[0] && rs.getBytes(2) != null && rs.getBytes(2).length == EntryFraming.HASH_BYTES) {
                        leaves[n[0]++] = MerkleTree.leafHash(rs.getBytes(2));
                    }
                }, tenantId, first, first + count);
                entriesRead.increment(n[0]);
                if (n[0] != count) {
                    throw new IllegalStateException("entry " + (first + n[0] + 1) + " of " + tenantId + " is missing or damaged");
                }
                return leaves;
            });
        }
    }

    private static byte[] join(List<byte[]> hashes) {
        byte[] out = new byte[hashes.size() * EntryFraming.HASH_BYTES];
        for (int i = 0; i < hashes.size(); i++) {
            System.arraycopy(hashes.get(i), 0, out, i * EntryFraming.HASH_BYTES, EntryFraming.HASH_BYTES);
        }
        return out;
    }

    private static List<byte[]> split(byte[] joined) {
        List<byte[]> out = new ArrayList<>(joined.length / EntryFraming.HASH_BYTES);
        for (int off = 0; off + EntryFraming.HASH_BYTES <= joined.length; off += EntryFraming.HASH_BYTES) {
            out.add(Arrays.copyOfRange(joined, off, off + EntryFraming.HASH_BYTES));
        }
        return out;
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
        byte[] root = root(tenantId, size);
        Checkpoint c = signer.sign(tenantId, size, root, clock.instant().truncatedTo(ChronoUnit.MILLIS));
        transactions.executeWithoutResult(tx -> {
            int inserted = jdbc.update("insert into checkpoint (tenant_id, size, root_hash, issued_at, key_id, signature)"
                    + " values (?, ?, ?, ?, ?, ?) on conflict (tenant_id, size) do nothing", c.tenantId(), c.size(), c.rootHash(),
                    c.issuedAt(), c.keyId(), c.signature());
            if (inserted == 1) {
                // the next leaf of the deployment's log of checkpoints, in the same transaction (V21)
                Long position = jdbc.queryForObject("select size from checkpoint_log_head where id = 1 for update", Long.class);
                jdbc.update("insert into checkpoint_log_leaf (position, tenant_id, size, root_hash) values (?, ?, ?, ?)", position,
                        c.tenantId(), c.size(), c.rootHash());
                jdbc.update("update checkpoint_log_head set size = ? where id = 1", position + 1);
            }
        });
        return at(tenantId, size).orElse(c);
    }

    /** A note of {@code body} signed now by the current key under the deployment's key name. */
    public String signNote(TlogCheckpoint.Body body) {
        return TlogCheckpoint.sign(body, noteSigner);
    }

    public Optional<Checkpoint> latest(String tenantId) {
        return jdbc.query("select tenant_id, size, root_hash, issued_at, key_id, signature from checkpoint where tenant_id = ?"
                + " order by size desc limit 1", (rs, i) -> row(rs), tenantId).stream().findFirst();
    }

    public Optional<Checkpoint> at(String tenantId, long size) {
        return jdbc.query("select tenant_id, size, root_hash, issued_at, key_id, signature from checkpoint where tenant_id = ? and size = ?",
                (rs, i) -> row(rs), tenantId, size).stream().findFirst();
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
                boolean old = last.map(c -> Instant.parse(c.issuedAt()).plus(props.interval()).isBefore(clock.instant())).orElse(true);
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
