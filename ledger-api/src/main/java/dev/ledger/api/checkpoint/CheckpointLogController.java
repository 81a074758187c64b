package dev.ledger.api.checkpoint;

import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.read.ReadLimits;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.ProblemCodes;
import dev.ledger.core.chain.Hex;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The deployment's log of checkpoints: its signed head, its leaves and consistency proofs (docs/chain.md section 4). */
@RestController
@Tag(name = "Checkpoints and proofs")
public class CheckpointLogController {

    private static final String JSON = "application/json";
    private static final String TEXT = "text/plain";

    @Schema(description = "The deployment's log of checkpoints at its head: every tenant checkpoint issued is a leaf",
            example = "{\"origin\":\"ledger.example.com/checkpoints\",\"size\":3,"
                    + "\"root_hash\":\"c8feebdd45670b2e1556a0b47d380eafbfb0269fbb696bdaf503e74984d26f48\"}")
    public record LogHead(String origin, long size, String rootHash) {
    }

    @Schema(description = "A leaf of the log: the tenant checkpoint issued at that position; its leaf data is the checkpoint's "
            + "note text `<origin>/tenants/<tenant_id>\\n<size>\\n<base64 root>\\n`")
    public record LogLeaf(long position, String tenantId, long size, String rootHash) {
    }

    @Schema(description = "Leaves of the log from a position on", example = "{\"leaves\":[{\"position\":0,\"tenant_id\":\"acme\","
            + "\"size\":3,\"root_hash\":\"d53359441fcd4d8f50ab9e7a6ea6104f3d64e392ce3e7f16a809216a236cbe1c\"}],\"next_from\":1}")
    public record LogLeaves(List<LogLeaf> leaves, Long nextFrom) {
    }

    private final CheckpointLog log;
    private final ReadLimits limits;
    private final WitnessSubmitter witnesses;

    public CheckpointLogController(CheckpointLog log, ReadLimits limits, WitnessSubmitter witnesses) {
        this.log = log;
        this.limits = limits;
        this.witnesses = witnesses;
    }

    @Operation(summary = "Read the deployment's log of checkpoints", operationId = "getCheckpointLog",
            description = "Scope audit:read or the admin key. Every tenant checkpoint issued is a leaf of this one Merkle tree "
                    + "(RFC 6962), so a deleted or rolled-back tenant leaves a leaf its chain no longer matches. `Accept: text/plain` "
                    + "answers its head as a C2SP tlog-checkpoint signed note of origin `<deployment origin>/checkpoints`, signed "
                    + "like the tenants' checkpoints, followed by the cosignature line of each witness that cosigned that size.")
    @ApiResponse(responseCode = "200", description = "The log's head", content = {
            @Content(mediaType = JSON, schema = @Schema(implementation = LogHead.class)),
            @Content(mediaType = TEXT, schema = @Schema(type = "string", description = "a C2SP tlog-checkpoint signed note",
                    example = "ledger.example.com/checkpoints\n3\nyP7r3UVnCy4VVqC0fThQ6vuwJp+7aWva9QPnSYTSb0g=\n\n"
                            + "\u2014 ledger.example.com 9D9P8eTRYZIOE1u8RoBK+xXiSd+4StLro9p7GyMRIZ/gzkx0PubWZTvjUtbBFixmTidtKo8sTDeZF0CIPGc/tWcfsQM=\n"))})
    @ProblemCodes({"insufficient_scope", "read_rate_limited"})
    @GetMapping(value = "/v1/checkpoint-log", produces = JSON)
    public LogHead head(Caller caller) {
        admit(caller);
        CheckpointLog.Head head = log.head();
        return new LogHead(log.origin(), head.size(), Hex.of(head.root()));
    }

    @Operation(hidden = true)
    @GetMapping(value = "/v1/checkpoint-log", produces = TEXT)
    public ResponseEntity<String> headNote(Caller caller) {
        admit(caller);
        CheckpointLog.Head head = log.head();
        StringBuilder note = new StringBuilder(log.note(head));
        witnesses.logCosignatures(head.size()).forEach(note::append);
        return ResponseEntity.ok().contentType(new MediaType("text", "plain", StandardCharsets.UTF_8)).body(note.toString());
    }

    @Operation(summary = "List the leaves of the log of checkpoints", operationId = "listCheckpointLogLeaves",
            description = "The admin key (the leaves name every tenant). `from` (default 0) is the first position, `limit` at "
                    + "most 1000 (default 1000); `next_from` is null at the log's end.")
    @ApiResponse(responseCode = "200", description = "Leaves", content = @Content(schema = @Schema(implementation = LogLeaves.class)))
    @ProblemCodes({"admin_only", "invalid_parameter"})
    @GetMapping(value = "/v1/checkpoint-log/leaves", produces = JSON)
    public LogLeaves leaves(Caller caller, @RequestParam(defaultValue = "0") long from, @RequestParam(defaultValue = "1000") int limit) {
        caller.requireAdmin();
        if (from < 0 || limit < 1 || limit > 1000) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", "Need from >= 0 and 1 <= limit <= 1000.");
        }
        List<LogLeaf> leaves = log.leaves(from, limit + 1).stream()
                .map(l -> new LogLeaf(l.position(), l.tenantId(), l.size(), Hex.of(l.rootHash()))).toList();
        boolean more = leaves.size() > limit;
        List<LogLeaf> page = more ? leaves.subList(0, limit) : leaves;
        return new LogLeaves(page, more ? page.get(page.size() - 1).position() + 1 : null);
    }

    @Operation(summary = "Prove two sizes of the log of checkpoints consistent", operationId = "getCheckpointLogConsistency",
            description = "Scope audit:read or the admin key. RFC 6962 PROOF(from, to) over the log's leaves; outside "
                    + "1 <= from <= to <= size: `422 invalid_range`.")
    @ApiResponse(responseCode = "200", description = "The consistency proof",
            content = @Content(schema = @Schema(implementation = CheckpointController.Consistency.class)))
    @ProblemCodes({"insufficient_scope", "invalid_range", "read_rate_limited"})
    @GetMapping(value = "/v1/checkpoint-log/consistency", produces = JSON)
    public CheckpointController.Consistency consistency(Caller caller, @RequestParam long from, @RequestParam long to) {
        admit(caller);
        long size = log.head().size();
        if (from < 1 || from > to || to > size) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "invalid_range", "Need 1 <= from <= to <= " + size + " (the log's size).");
        }
        return new CheckpointController.Consistency(from, to, log.consistency(from, to).stream().map(Hex::of).toList());
    }

    private void admit(Caller caller) {
        if (caller.kind() == Caller.Kind.SERVICE) {
            throw ApiProblem.forbidden("insufficient_scope", "Service keys cannot read the log of checkpoints.");
        }
        caller.require(Scope.AUDIT_READ);
        if (caller.tenantId() != null) {
            limits.cheap(caller.tenantId());
        }
    }
}
