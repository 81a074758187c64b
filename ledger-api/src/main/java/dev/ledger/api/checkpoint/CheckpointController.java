package dev.ledger.api.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.api.audit.AuditController;
import dev.ledger.api.audit.ChainAudit;
import dev.ledger.api.auth.Caller;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointKey;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.ProofIndex;
import dev.ledger.core.verify.BundleHeader;
import dev.ledger.core.verify.BundleWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/** Signed checkpoints, RFC 6962 proofs and the offline-verifiable export. */
@RestController
public class CheckpointController {

    public record Proof(long sequence, long treeSize, long leafIndex, List<String> auditPath, String rootHash) {
    }

    public record Consistency(long fromSize, long toSize, List<String> proof) {
    }

    private final CheckpointService checkpoints;
    private final ChainAudit audit;
    private final JdbcTemplate jdbc;

    public CheckpointController(CheckpointService checkpoints, ChainAudit audit, JdbcTemplate jdbc) {
        this.checkpoints = checkpoints;
        this.audit = audit;
        this.jdbc = jdbc;
    }

    @GetMapping("/v1/checkpoint-keys")
    public Map<String, Object> keys() {
        return Map.of("keys", checkpoints.keys().all().stream().map(CheckpointKey::toJson).toList());
    }

    @GetMapping("/v1/tenants/{tenantId}/checkpoints/latest")
    public JsonNode latest(Caller caller, @PathVariable String tenantId) {
        AuditController.requireAuditor(caller, tenantId, jdbc);
        return checkpoints.latest(tenantId).orElseGet(() -> checkpoints.issue(tenantId)).toJson();
    }

    /** A checkpoint of the tenant's current head, now. */
    @PostMapping("/v1/tenants/{tenantId}/checkpoints")
    public ResponseEntity<ObjectNode> issue(Caller caller, @PathVariable String tenantId) {
        AuditController.requireAuditor(caller, tenantId, jdbc);
        return ResponseEntity.status(HttpStatus.CREATED).body(checkpoints.issue(tenantId).toJson());
    }

    @GetMapping("/v1/tenants/{tenantId}/entries/{sequence}/proof")
    public Proof proof(Caller caller, @PathVariable String tenantId, @PathVariable long sequence,
                       @RequestParam(required = false) Long size) {
        AuditController.requireAuditor(caller, tenantId, jdbc);
        long head = checkpoints.head(tenantId);
        long treeSize = size == null ? head : size;
        if (sequence < 1 || treeSize < sequence || treeSize > head) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "invalid_range",
                    "Need 1 <= sequence <= size <= " + head + " (the chain's head).");
        }
        ProofIndex tree = checkpoints.tree(tenantId, treeSize);
        synchronized (tree) {
            return new Proof(sequence, treeSize, sequence - 1, hex(tree.inclusionProof(sequence - 1, treeSize)),
                    EntryFraming.hex(tree.root(treeSize)));
        }
    }

    @GetMapping("/v1/tenants/{tenantId}/consistency")
    public Consistency consistency(Caller caller, @PathVariable String tenantId, @RequestParam long from, @RequestParam long to) {
        AuditController.requireAuditor(caller, tenantId, jdbc);
        long head = checkpoints.head(tenantId);
        if (from < 1 || to < from || to > head) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "invalid_range", "Need 1 <= from <= to <= " + head + ".");
        }
        ProofIndex tree = checkpoints.tree(tenantId, to);
        synchronized (tree) {
            return new Consistency(from, to, hex(tree.consistencyProof(from, to)));
        }
    }

    /** NDJSON bundle: header, public keys, anchor (ranged), entries as stored, checkpoints. Streams; never buffers the chain. */
    @GetMapping(value = "/v1/tenants/{tenantId}/export", produces = "application/x-ndjson")
    public ResponseEntity<StreamingResponseBody> export(Caller caller, @PathVariable String tenantId,
                                                        @RequestParam(required = false) Long from, @RequestParam(required = false) Long to) {
        AuditController.requireAuditor(caller, tenantId, jdbc);
        // checkpoints first, head second: a checkpoint issued meanwhile is then never beyond the exported head, so a
        // checkpoint past the last entry can only mean a cut-off tail
        List<Checkpoint> all = checkpoints.upTo(tenantId, Long.MAX_VALUE);
        long head = checkpoints.head(tenantId);
        long first = from == null ? 1 : from;
        long last = to == null ? head : to;
        if (first < 1 || last < first || last > head) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "invalid_range", "Need 1 <= from <= to <= " + head + ".");
        }
        // a full export carries every checkpoint, so a cut-off tail shows; a ranged one only those it covers
        List<Checkpoint> signed = last == head ? all : all.stream().filter(c -> c.size() <= last).toList();
        byte[] anchor = first > 1 ? audit.hashAt(tenantId, first - 1) : null;
        var keys = checkpoints.keys().all();
        StreamingResponseBody body = out -> {
            BundleWriter writer = new BundleWriter(out);
            writer.header(new BundleHeader(tenantId, first, last, Instant.now().toString()));
            for (CheckpointKey k : keys) {
                writer.key(k);
            }
            if (anchor != null) {
                writer.anchor(first - 1, anchor);
            }
            // checkpoints before entries: a streaming verifier then checks each root the moment it reaches its size
            for (Checkpoint c : signed) {
                writer.checkpoint(c);
            }
            audit.stream(tenantId, first, last, e -> {
                try {
                    writer.entry(e);
                } catch (java.io.IOException io) {
                    throw new java.io.UncheckedIOException(io);
                }
            });
            writer.flush();
        };
        return ResponseEntity.ok().contentType(MediaType.parseMediaType("application/x-ndjson"))
                .header("Content-Disposition", "attachment; filename=\"" + tenantId + ".ndjson\"").body(body);
    }

    private static List<String> hex(List<byte[]> hashes) {
        return hashes.stream().map(EntryFraming::hex).toList();
    }
}
