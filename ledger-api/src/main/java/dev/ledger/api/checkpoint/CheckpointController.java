package dev.ledger.api.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.api.audit.AuditController;
import dev.ledger.api.audit.ChainAudit;
import dev.ledger.api.auth.Caller;
import dev.ledger.api.read.ReadLimits;
import dev.ledger.api.web.ApiProblem;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.ledger.core.chain.CheckpointKey;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.verify.BundleHeader;
import dev.ledger.core.verify.BundleWriter;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Signed checkpoints, RFC 6962 proofs and the offline-verifiable export. */
@RestController
public class CheckpointController {

    public record Proof(long sequence, long treeSize, long leafIndex, List<String> auditPath, String rootHash) {
    }

    public record Consistency(long fromSize, long toSize, List<String> proof) {
    }

    private static final Logger log = LoggerFactory.getLogger(CheckpointController.class);
    private final CheckpointService checkpoints;
    private final ChainAudit audit;
    private final JdbcTemplate jdbc;
    private final ReadLimits limits;

    public CheckpointController(CheckpointService checkpoints, ChainAudit audit, JdbcTemplate jdbc, ReadLimits limits) {
        this.checkpoints = checkpoints;
        this.audit = audit;
        this.jdbc = jdbc;
        this.limits = limits;
    }

    @GetMapping("/v1/checkpoint-keys")
    public Map<String, Object> keys() {
        return Map.of("keys", checkpoints.keys().all().stream().map(CheckpointKey::toJson).toList());
    }

    @GetMapping("/v1/tenants/{tenantId}/checkpoints/latest")
    public JsonNode latest(Caller caller, @PathVariable String tenantId) {
        AuditController.requireCheckpointReader(caller, tenantId, jdbc);
        limits.cheap(tenantId);
        return checkpoints.latest(tenantId).orElseGet(() -> checkpoints.issue(tenantId)).toJson();
    }

    /** A checkpoint of the tenant's current head, now. */
    @PostMapping("/v1/tenants/{tenantId}/checkpoints")
    public ResponseEntity<ObjectNode> issue(Caller caller, @PathVariable String tenantId) {
        AuditController.requireAuditor(caller, tenantId, jdbc);
        limits.cheap(tenantId);
        return ResponseEntity.status(HttpStatus.CREATED).body(checkpoints.issue(tenantId).toJson());
    }

    @GetMapping("/v1/tenants/{tenantId}/entries/{sequence}/proof")
    public Proof proof(Caller caller, @PathVariable String tenantId, @PathVariable long sequence,
                       @RequestParam(required = false) Long size) {
        AuditController.requireAuditor(caller, tenantId, jdbc);
        limits.cheap(tenantId);
        long head = checkpoints.head(tenantId);
        long treeSize = size == null ? head : size;
        if (sequence < 1 || treeSize < sequence || treeSize > head) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "invalid_range",
                    "Need 1 <= sequence <= size <= " + head + " (the chain's head).");
        }
        CheckpointService.Proof proof = checkpoints.inclusion(tenantId, sequence, treeSize);
        return new Proof(sequence, treeSize, sequence - 1, hex(proof.path()), EntryFraming.hex(proof.root()));
    }

    @GetMapping("/v1/tenants/{tenantId}/consistency")
    public Consistency consistency(Caller caller, @PathVariable String tenantId, @RequestParam long from, @RequestParam long to) {
        AuditController.requireAuditor(caller, tenantId, jdbc);
        limits.cheap(tenantId);
        long head = checkpoints.head(tenantId);
        if (from < 1 || to < from || to > head) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "invalid_range", "Need 1 <= from <= to <= " + head + ".");
        }
        return new Consistency(from, to, hex(checkpoints.consistency(tenantId, from, to)));
    }

    /**
     * NDJSON bundle: header, public keys, anchor (ranged), checkpoints, entries as stored, and the closing line, all
     * from one snapshot on the read pool. Written on the request's own thread straight to the response: no async
     * timeout can cut it, and checkpoints and entries stream (never the whole chain in memory). If the export fails
     * once the 200 is out, the bundle lacks its closing line and the verifier reports it TRUNCATED.
     */
    @GetMapping(value = "/v1/tenants/{tenantId}/export", produces = "application/x-ndjson")
    public void export(Caller caller, @PathVariable String tenantId, @RequestParam(required = false) Long from,
                       @RequestParam(required = false) Long to, HttpServletResponse response) throws IOException {
        AuditController.requireAuditor(caller, tenantId, jdbc);
        var keys = checkpoints.keys().all();
        try (ReadLimits.Permit permit = limits.longRead(tenantId, checkpoints.head(tenantId));
             ChainAudit.Session session = audit.open()) {
            long head = session.head(tenantId).sequence();
            long first = from == null ? 1 : from;
            long last = to == null ? head : to;
            if (first < 1 || last < first || last > head) {
                throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "invalid_range", "Need 1 <= from <= to <= " + head + ".");
            }
            byte[] anchor = first > 1 ? session.hashAt(tenantId, first - 1) : null;
            response.setStatus(HttpStatus.OK.value());
            response.setContentType("application/x-ndjson");
            response.setHeader("Content-Disposition", "attachment; filename=\"" + tenantId + ".ndjson\"");
            OutputStream out = response.getOutputStream();
            try {
                BundleWriter writer = new BundleWriter(out);
                writer.header(new BundleHeader(tenantId, first, last, Instant.now().toString()));
                for (CheckpointKey k : keys) {
                    writer.key(k);
                }
                if (anchor != null) {
                    writer.anchor(first - 1, anchor);
                }
                // checkpoints before entries: a streaming verifier then checks each root the moment it reaches its size.
                // A full export carries every checkpoint (one beyond the head can only mean a cut-off tail: same snapshot),
                // a ranged one those it covers.
                session.eachCheckpoint(tenantId, last == head ? Long.MAX_VALUE : last, c -> {
                    try {
                        writer.checkpoint(c);
                    } catch (IOException io) {
                        throw new UncheckedIOException(io);
                    }
                });
                session.stream(tenantId, first, last, e -> {
                    try {
                        writer.entry(e);
                    } catch (IOException io) {
                        throw new UncheckedIOException(io);
                    }
                });
                writer.end();
                writer.flush();
            } catch (IOException | UncheckedIOException e) {
                // the client went away (or stopped reading): its copy lacks the closing line
                log.info("export of {} ended early: the client stopped reading ({})", tenantId, e.getClass().getSimpleName());
            } catch (RuntimeException e) {
                // the 200 is out: the missing closing line is how the client learns the bundle is incomplete
                log.error("export of {} failed after it started: {}", tenantId, e.getClass().getSimpleName());
            }
        }
    }

    private static List<String> hex(List<byte[]> hashes) {
        return hashes.stream().map(EntryFraming::hex).toList();
    }
}
