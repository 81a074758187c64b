package dev.ledger.api.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.api.auth.AuditAccess;
import dev.ledger.api.read.ChainAudit;
import dev.ledger.api.auth.Caller;
import dev.ledger.api.read.ReadLimits;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.ProblemCodes;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirements;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.TlogProof;
import java.nio.charset.StandardCharsets;
import org.springframework.http.MediaType;
import dev.ledger.core.verify.BundleHeader;
import dev.ledger.core.verify.BundleWriter;
import dev.ledger.core.chain.Hex;
import java.time.Clock;
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
@Tag(name = "Checkpoints and proofs")
public class CheckpointController {

    @Schema(description = "RFC 6962 inclusion proof of entry `sequence` (leaf index sequence - 1) in the tree of the first `tree_size` entries",
            example = """
            {"sequence":3,"tree_size":4,"leaf_index":2,
             "audit_path":["7eb764d539cb0cb333331a9ebbd63b9c87670655acbbaec48add28d7f5e361b7",
             "e0fc6de0cb69c1b85dc204c7f10d29f98bb909e6275bbf46695bc3c6775990e6"],
             "root_hash":"c8feebdd45670b2e1556a0b47d380eafbfb0269fbb696bdaf503e74984d26f48"}""")
    public record Proof(long sequence, long treeSize, long leafIndex, List<String> auditPath, String rootHash) {
    }

    @Schema(description = "RFC 6962 consistency proof between the trees of the first `from_size` and `to_size` entries",
            example = """
            {"from_size":3,"to_size":4,"proof":["2a671b1b253b294374ce91c5ae1e11cb8e696a814af5ecc8ec7b877139e4aa95",
             "c8feebdd45670b2e1556a0b47d380eafbfb0269fbb696bdaf503e74984d26f48"]}""")
    public record Consistency(long fromSize, long toSize, List<String> proof) {
    }

    private static final Logger log = LoggerFactory.getLogger(CheckpointController.class);
    private static final String JSON = "application/json";
    private static final String TEXT = "text/plain";
    private static final String NOTE_EXAMPLE = """
            ledger.example.com/tenants/acme
            3
            1TNZRBH8TY9Qq5h6bqYQTz1k45LOPn8WqAkhaiNsvhw=

            \u2014 ledger.example.com 9D9P8eTRYZIOE1u8RoBK+xXiSd+4StLro9p7GyMRIZ/gzkx0PubWZTvjUtbBFixmTidtKo8sTDeZF0CIPGc/tWcfsQM=
            """;
    private static final String PROOF_EXAMPLE = "c2sp.org/tlog-proof@v1\nindex 2\nxrRakJZ7rdTu9WqqWkGioFhMOCcEO+H78GKGRRqhvrg=\n\n"
            + NOTE_EXAMPLE;
    private final CheckpointService checkpoints;
    private final WitnessSubmitter witnesses;
    private final ChainAudit audit;
    private final JdbcTemplate jdbc;
    private final ReadLimits limits;
    private final Clock clock;

    public CheckpointController(CheckpointService checkpoints, ChainAudit audit, JdbcTemplate jdbc, ReadLimits limits, Clock clock,
                                WitnessSubmitter witnesses) {
        this.witnesses = witnesses;
        this.clock = clock;
        this.checkpoints = checkpoints;
        this.audit = audit;
        this.jdbc = jdbc;
        this.limits = limits;
    }

    @Operation(summary = "List the checkpoint signing keys", operationId = "listCheckpointKeys",
            description = "Public (no key): the Ed25519 public keys that verify signed checkpoints and export bundles, and the "
                    + "witnesses every checkpoint is sent to, with the cosigner keys their cosignatures verify with.")
    @SecurityRequirements
    @ApiResponse(responseCode = "200", description = "The public keys",
            content = @Content(schema = @Schema(ref = "#/components/schemas/CheckpointKeys")))
    @GetMapping("/v1/checkpoint-keys")
    public Map<String, Object> keys() {
        return Map.of("keys", checkpoints.keys().all().stream().map(k -> {
            ObjectNode n = k.toJson();
            n.put("note_verifier_key", checkpoints.noteVerifierKey(k));
            return n;
        }).toList(), "witnesses", witnesses.witnesses().stream().map(w -> Map.of("name", w.name(), "cosigner_key",
                w.key().encoded())).toList());
    }

    @Operation(summary = "Read the latest signed checkpoint", operationId = "getLatestCheckpoint",
            description = "Scope audit:read (own tenant), the admin key, or a service key (the workers witness what they bill). "
                    + "Issues one first if the tenant has none. `Accept: text/plain` answers the same checkpoint (same size "
                    + "and root) as a C2SP tlog-checkpoint signed note: origin `<deployment origin>/tenants/<tenant_id>`, "
                    + "size, base64 root, a blank line and the Ed25519 signature line under the key name `<deployment origin>` "
                    + "(verify it with `note_verifier_key` of GET /v1/checkpoint-keys), then one C2SP cosignature line "
                    + "(Ed25519 cosignature/v1) per witness that cosigned this checkpoint (keys under `witnesses` there).")
    @ApiResponse(responseCode = "200", description = "The checkpoint", content = {
            @Content(mediaType = JSON, schema = @Schema(ref = "#/components/schemas/Checkpoint")),
            @Content(mediaType = TEXT, schema = @Schema(type = "string", description = "a C2SP tlog-checkpoint signed note",
                    example = NOTE_EXAMPLE))})
    @ProblemCodes({"insufficient_scope", "not_found", "read_rate_limited"})
    @GetMapping(value = "/v1/tenants/{tenantId}/checkpoints/latest", produces = JSON)
    public JsonNode latest(Caller caller, @PathVariable String tenantId) {
        return latestCheckpoint(caller, tenantId).toJson();
    }

    @Operation(hidden = true)
    @GetMapping(value = "/v1/tenants/{tenantId}/checkpoints/latest", produces = TEXT)
    public ResponseEntity<String> latestNote(Caller caller, @PathVariable String tenantId) {
        return text(checkpoints.note(latestCheckpoint(caller, tenantId)), null);
    }

    private Checkpoint latestCheckpoint(Caller caller, String tenantId) {
        AuditAccess.requireCheckpointReader(caller, tenantId, jdbc);
        limits.cheap(tenantId);
        return checkpoints.latest(tenantId).orElseGet(() -> checkpoints.issue(tenantId));
    }

    /** A checkpoint of the tenant's current head, now. */
    @Operation(summary = "Issue a checkpoint now", operationId = "issueCheckpoint",
            description = "Scope audit:read (own tenant) or the admin key. A signed checkpoint of the chain's current head.")
    @ApiResponse(responseCode = "201", description = "The new checkpoint", content = @Content(schema = @Schema(ref = "#/components/schemas/Checkpoint")))
    @ProblemCodes({"insufficient_scope", "not_found", "read_rate_limited"})
    @PostMapping("/v1/tenants/{tenantId}/checkpoints")
    public ResponseEntity<ObjectNode> issue(Caller caller, @PathVariable String tenantId) {
        AuditAccess.requireAuditor(caller, tenantId, jdbc);
        limits.cheap(tenantId);
        return ResponseEntity.status(HttpStatus.CREATED).body(checkpoints.issue(tenantId).toJson());
    }

    @Operation(summary = "Prove an entry's inclusion", operationId = "getInclusionProof",
            description = "Scope audit:read (own tenant) or the admin key. `size` defaults to the chain's head. "
                    + "`Accept: text/plain` answers a C2SP tlog-proof file (`<tenant_id>-<sequence>.tlog-proof`): the leaf "
                    + "index, the proof and the signed-note checkpoint it proves against, verifiable offline "
                    + "(`./ledger verify-proof`). Its checkpoint is the latest one (issued first if the tenant has none), or "
                    + "the one issued at `size` (`404 not_found` if none was); an entry after it: `409 entry_not_checkpointed`.")
    @ApiResponse(responseCode = "200", description = "The inclusion proof", content = {
            @Content(mediaType = JSON, schema = @Schema(implementation = Proof.class)),
            @Content(mediaType = TEXT, schema = @Schema(type = "string", description = "a C2SP tlog-proof",
                    example = PROOF_EXAMPLE))})
    @ProblemCodes({"insufficient_scope", "not_found", "invalid_parameter", "invalid_range", "entry_not_checkpointed", "chain_broken",
            "read_rate_limited"})
    @GetMapping(value = "/v1/tenants/{tenantId}/entries/{sequence}/proof", produces = JSON)
    public Proof proof(Caller caller, @PathVariable String tenantId, @PathVariable long sequence,
                       @RequestParam(required = false) Long size) {
        AuditAccess.requireAuditor(caller, tenantId, jdbc);
        limits.cheap(tenantId);
        long head = checkpoints.head(tenantId);
        long treeSize = size == null ? head : size;
        if (sequence < 1 || treeSize < sequence || treeSize > head) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "invalid_range",
                    "Need 1 <= sequence <= size <= " + head + " (the chain's head).");
        }
        CheckpointService.Proof proof = checkpoints.inclusion(tenantId, sequence, treeSize);
        return new Proof(sequence, treeSize, sequence - 1, hex(proof.path()), Hex.of(proof.root()));
    }

    @Operation(hidden = true)
    @GetMapping(value = "/v1/tenants/{tenantId}/entries/{sequence}/proof", produces = TEXT)
    public ResponseEntity<String> proofFile(Caller caller, @PathVariable String tenantId, @PathVariable long sequence,
                                            @RequestParam(required = false) Long size) {
        AuditAccess.requireAuditor(caller, tenantId, jdbc);
        limits.cheap(tenantId);
        long head = checkpoints.head(tenantId);
        if (sequence < 1 || sequence > head || size != null && (size < sequence || size > head)) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "invalid_range",
                    "Need 1 <= sequence <= size <= " + head + " (the chain's head).");
        }
        Checkpoint checkpoint = size == null ? checkpoints.latest(tenantId).orElseGet(() -> checkpoints.issue(tenantId))
                : checkpoints.at(tenantId, size).orElseThrow(() -> ApiProblem.notFound("A checkpoint of size " + size));
        if (sequence > checkpoint.size()) {
            throw new ApiProblem(HttpStatus.CONFLICT, "entry_not_checkpointed", "Entry " + sequence + " is after the latest "
                    + "checkpoint (size " + checkpoint.size() + "); issue one (POST /v1/tenants/" + tenantId + "/checkpoints) or "
                    + "wait for the next.");
        }
        CheckpointService.Proof proof = checkpoints.inclusion(tenantId, sequence, checkpoint.size());
        if (!java.util.Arrays.equals(proof.root(), checkpoint.rootHash())) {
            throw new ApiProblem(HttpStatus.CONFLICT, "chain_broken", "The chain no longer has the root of its checkpoint of size "
                    + checkpoint.size() + "; verify the chain.");
        }
        String file = new TlogProof(sequence - 1, proof.path(), checkpoints.note(checkpoint)).encoded();
        return text(file, tenantId + "-" + sequence + ".tlog-proof");
    }

    private static ResponseEntity<String> text(String body, String attachment) {
        ResponseEntity.BodyBuilder ok = ResponseEntity.ok().contentType(new MediaType("text", "plain", StandardCharsets.UTF_8));
        if (attachment != null) {
            ok.header("Content-Disposition", "attachment; filename=\"" + attachment + "\"");
        }
        return ok.body(body);
    }

    @Operation(summary = "Prove two tree sizes consistent", operationId = "getConsistencyProof",
            description = "Scope audit:read (own tenant) or the admin key. Shows that the tree of the first `to` entries extends "
                    + "the tree of the first `from`.")
    @ApiResponse(responseCode = "200", description = "The consistency proof")
    @ProblemCodes({"insufficient_scope", "not_found", "invalid_parameter", "invalid_range", "read_rate_limited"})
    @GetMapping("/v1/tenants/{tenantId}/consistency")
    public Consistency consistency(Caller caller, @PathVariable String tenantId, @RequestParam long from, @RequestParam long to) {
        AuditAccess.requireAuditor(caller, tenantId, jdbc);
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
    @Operation(summary = "Export an offline-verifiable bundle", operationId = "exportBundle",
            description = "Scope audit:read (own tenant) or the admin key. NDJSON (docs/chain.md section 5, format "
                    + "ledger-export/v2): header, keys, anchor (ranged export), checkpoints, entries, and the closing line "
                    + "`{\"kind\":\"end\",...}`. A bundle without the closing line was cut short: `./ledger verify` reports it TRUNCATED.")
    @ApiResponse(responseCode = "200", description = "The bundle, streamed", content = @Content(mediaType = "application/x-ndjson",
            schema = @Schema(type = "string", description = "one JSON object per line"), examples = @io.swagger.v3.oas.annotations.media.ExampleObject(
            name = "bundle", summary = "a bundle of one entry", value = """
            {"kind":"header","format":"ledger-export/v2","tenant_id":"acme","from_sequence":1,"to_sequence":1,"exported_at":"2026-11-21T12:05:00.000Z"}
            {"kind":"key","key_id":"06e3fd8fda29bb60","algorithm":"Ed25519","public_key":"MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}
            {"kind":"entry","tenant_id":"acme","sequence":1,"event_id":"3f1c2a4e-0b7d-4c55-9a8e-6d2f1b0c9e71","type":"TenantRegistered","revision":"1","recorded_at":"2026-11-21T10:00:00.000Z","payload_b64":"e30=","metadata_b64":"e30=","prev_hash":"0000000000000000000000000000000000000000000000000000000000000000","hash":"ce0ae2c96fd6467f478cba2f4cf5958718d99e6614e2bff8bee998b56dd471b4"}
            {"kind":"end","entries":1,"head_sequence":1,"head_hash":"ce0ae2c96fd6467f478cba2f4cf5958718d99e6614e2bff8bee998b56dd471b4"}
            """)))
    @ProblemCodes({"insufficient_scope", "not_found", "invalid_parameter", "invalid_range", "long_read_limited", "read_rate_limited"})
    @GetMapping(value = "/v1/tenants/{tenantId}/export", produces = "application/x-ndjson")
    public void export(Caller caller, @PathVariable String tenantId, @RequestParam(required = false) Long from,
                       @RequestParam(required = false) Long to, HttpServletResponse response) throws IOException {
        AuditAccess.requireAuditor(caller, tenantId, jdbc);
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
                // A full export carries every checkpoint (one beyond the head can only mean a cut-off tail: same
                // snapshot), a ranged one those it covers.
                long checkpointsUpTo = last == head ? Long.MAX_VALUE : last;
                BundleWriter.write(out, new BundleHeader(tenantId, first, last, clock.instant().toString()), keys, anchor,
                        each -> session.eachCheckpoint(tenantId, checkpointsUpTo, each), each -> session.stream(tenantId, first, last, each));
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
        return hashes.stream().map(Hex::of).toList();
    }
}
