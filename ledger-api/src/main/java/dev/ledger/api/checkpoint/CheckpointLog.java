package dev.ledger.api.checkpoint;

import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.ProofIndex;
import dev.ledger.core.chain.TlogCheckpoint;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The deployment's log of checkpoints (V21, docs/chain.md section 4): leaf {@code i} is the {@code i}-th tenant
 * checkpoint issued, its leaf data the tenant checkpoint's note text. The leaf hashes are read once and kept (the log
 * only grows); its checkpoints are signed notes of origin {@code <deployment origin>/checkpoints}.
 */
@Component
public class CheckpointLog {

    /** One leaf: which tenant checkpoint it records. */
    public record Leaf(long position, String tenantId, long size, byte[] rootHash) {
    }

    /** A size of the log and its root. */
    public record Head(long size, byte[] root) {
    }

    private final JdbcTemplate jdbc;
    private final CheckpointService checkpoints;
    /** Every leaf read so far, indexed once: roots and proofs of any size up to it come from the index, not a rebuild. */
    private final ProofIndex index = ProofIndex.overLeafHashes(List.of());

    public CheckpointLog(JdbcTemplate jdbc, CheckpointService checkpoints) {
        this.jdbc = jdbc;
        this.checkpoints = checkpoints;
    }

    /** The log's origin: {@code <deployment origin>/checkpoints}. */
    public String origin() {
        return checkpoints.origin() + "/checkpoints";
    }

    /** The RFC 6962 leaf data of a tenant checkpoint: its note text. */
    public String leafText(String tenantId, long size, byte[] root) {
        return new TlogCheckpoint.Body(checkpoints.origin(tenantId), size, root).text();
    }

    /** The log as the database holds it now. */
    public synchronized Head head() {
        long size = jdbc.queryForObject("select size from checkpoint_log_head where id = 1", Long.class);
        catchUp(size);
        return new Head(size, index.root(size));
    }

    /** The log's checkpoint at its head, as a signed note. */
    public String note(Head head) {
        return checkpoints.signNote(new TlogCheckpoint.Body(origin(), head.size(), head.root()));
    }

    /** Leaves from {@code from} on, at most {@code limit}. */
    public List<Leaf> leaves(long from, int limit) {
        return jdbc.query("select position, tenant_id, size, root_hash from checkpoint_log_leaf where position >= ? order by position"
                + " limit ?", (rs, i) -> new Leaf(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getBytes(4)), from, limit);
    }

    /** RFC 6962 PROOF(from, D[0:to]) over the log's leaves. */
    public synchronized List<byte[]> consistency(long from, long to) {
        catchUp(to);
        return index.consistencyProof(from, to);
    }

    private void catchUp(long size) {
        while (index.size() < size) {
            List<Leaf> more = leaves(index.size(), 10_000);
            if (more.isEmpty()) {
                throw new IllegalStateException("the checkpoint log holds fewer leaves than its head says");
            }
            for (Leaf leaf : more) {
                if (leaf.position() != index.size()) {
                    throw new IllegalStateException("the checkpoint log has a gap at " + index.size());
                }
                index.appendLeafHash(MerkleTree.leafHash(leafText(leaf.tenantId(), leaf.size(), leaf.rootHash())
                        .getBytes(StandardCharsets.UTF_8)));
            }
        }
    }
}
