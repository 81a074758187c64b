package dev.ledger.api.audit;

import static dev.ledger.api.auth.AuditAccess.requireAuditor;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.auth.Caller;
import dev.ledger.api.auth.Scope;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.checkpoint.CheckpointService;
import dev.ledger.api.read.ChainAudit;
import dev.ledger.api.read.ReadLimits;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.ProblemCodes;
import dev.ledger.api.web.QueryParams;
import dev.ledger.core.chain.ChainVerifier;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointAudit;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.TenantCommand;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** What auditors read: the entries as stored, and verification runs that are themselves recorded. */
@RestController
@Tag(name = "Reading and verifying")
public class AuditController {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(AuditController.class);

    @Schema(description = "An entry as stored: `payload` is its JSON, `hash`/`prev_hash` lowercase hex SHA-256. A redacted entry "
            + "has `payload` null, the `payload_sha256` its hash commits to and `redacted` (the redaction entry and its reason)")
    public record Entry(long sequence, String type, String recordedAt, JsonNode payload, String hash, String prevHash,
                        @JsonInclude(JsonInclude.Include.NON_NULL) @com.fasterxml.jackson.annotation.JsonProperty("payload_sha256")
                        String payloadSha256, @JsonInclude(JsonInclude.Include.NON_NULL) Redacted redacted) {

        Entry redactedBy(Redacted by) {
            return new Entry(sequence, type, recordedAt, payload, hash, prevHash, payloadSha256, by);
        }
    }

    @Schema(description = "The redaction of an entry's payload: the PayloadsRedacted entry and its reason", example = """
            {"redaction_sequence":43,"reason":"GDPR erasure request ticket PRIV-2211"}""")
    public record Redacted(long redactionSequence, String reason) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "A page of entries; `next_after` is the `after` of the next page, absent on the last one", example = """
            {"entries":[{"sequence":3,"type":"EvaluationRecorded","recorded_at":"2026-11-21T10:00:00.123Z",
             "payload":{"evaluation_id":"ev_123","terminal_state":"REJECTED"},
             "hash":"e0fc6de0cb69c1b85dc204c7f10d29f98bb909e6275bbf46695bc3c6775990e6",
             "prev_hash":"7eb764d539cb0cb333331a9ebbd63b9c87670655acbbaec48add28d7f5e361b7"}],"next_after":3}""")
    public record Entries(List<Entry> entries, Long nextAfter) {
    }

    @Schema(description = "The range to verify; both ends default to the whole chain", example = """
            {"from_sequence":1,"to_sequence":100}""")
    public record VerificationRequest(Long fromSequence, Long toSequence) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "The verdict; `first_broken_sequence`, `reason` and `detail` only when BROKEN", example = """
            {"status":"BROKEN","checked":41,"first_broken_sequence":42,"reason":"hash_mismatch",
             "detail":"entry 42 does not hash to its stored hash","head_sequence":100,
             "head_hash":"e0fc6de0cb69c1b85dc204c7f10d29f98bb909e6275bbf46695bc3c6775990e6"}""")
    public record Verification(String status, long checked, Long firstBrokenSequence, String reason, String detail,
                               long headSequence, String headHash) {
    }

    private final ChainAudit audit;
    private final LedgerWriter writer;
    private final JdbcTemplate jdbc;
    private final CheckpointService checkpoints;
    private final ReadLimits limits;
    private final ChainVerification verification;
    private final VerificationRuns runs;

    public AuditController(ChainAudit audit, LedgerWriter writer, JdbcTemplate jdbc, CheckpointService checkpoints, ReadLimits limits,
                           ChainVerification verification, VerificationRuns runs) {
        this.verification = verification;
        this.runs = runs;
        this.audit = audit;
        this.writer = writer;
        this.jdbc = jdbc;
        this.checkpoints = checkpoints;
        this.limits = limits;
    }

    /** How many entries one filtered page looks at, at most: a sparse filter answers a short page and goes on. */
    static final long FILTER_SCAN = 100_000;

    @Operation(summary = "Read a page of entries", operationId = "listEntries",
            description = "Scope audit:read (own tenant) or the admin key. Entries after sequence `after` (default 0), at most "
                    + "`limit` (1-1000, default 100), as stored; optionally only of the entry types `type` (repeatable, "
                    + "e.g. UsageRecorded) recorded in [`from`, `to`) (ISO-8601 instants). A filtered page looks at "
                    + FILTER_SCAN + " entries at most, so it may hold fewer than `limit` (even none) and still carry "
                    + "`next_after`: read on until `next_after` is absent.")
    @ApiResponse(responseCode = "200", description = "The page")
    @ProblemCodes({"insufficient_scope", "not_found", "invalid_parameter", "read_rate_limited"})
    @GetMapping("/v1/tenants/{tenantId}/entries")
    public Entries entries(Caller caller, @PathVariable String tenantId, @RequestParam(defaultValue = "0") long after,
                           @RequestParam(defaultValue = "100") int limit,
                           @RequestParam(name = "type", required = false) List<String> types,
                           @RequestParam(required = false) String from, @RequestParam(required = false) String to) {
        requireAuditor(caller, tenantId, jdbc);
        QueryParams.pageLimit(limit);
        QueryParams.after(after);
        List<String> wanted = types == null ? List.of() : List.copyOf(new java.util.LinkedHashSet<>(types));
        for (String t : wanted) {
            if (!EntryTypes.isKnown(t)) {
                throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", "type must name a ledger entry type "
                        + "(such as UsageRecorded or EvaluationRecorded); see docs/chain.md.");
            }
        }
        Instant recordedFrom = dev.ledger.api.web.QueryParams.instant("from", from);
        Instant recordedTo = dev.ledger.api.web.QueryParams.instant("to", to);
        if (recordedFrom != null && recordedTo != null && !recordedFrom.isBefore(recordedTo)) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", "from must be before to.");
        }
        limits.cheap(tenantId);
        List<Entry> entries = new ArrayList<>(limit);
        boolean filtered = !wanted.isEmpty() || recordedFrom != null || recordedTo != null;
        if (!filtered) {
            audit.stream(tenantId, after + 1, after + limit, e -> entries.add(entry(e)));
            Long next = entries.size() == limit ? entries.get(entries.size() - 1).sequence() : null;
            return new Entries(withRedactions(tenantId, entries), next);
        }
        long scanTo = after > Long.MAX_VALUE - FILTER_SCAN ? Long.MAX_VALUE : after + FILTER_SCAN;
        long head;
        try (ChainAudit.Session session = audit.open()) {
            head = session.head(tenantId).sequence();
            session.filtered(tenantId, after + 1, scanTo, wanted, recordedFrom, recordedTo, limit,
                    e -> entries.add(entry(e)));
        }
        Long next;
        if (entries.size() == limit) {
            next = entries.get(entries.size() - 1).sequence();
        } else {
            next = scanTo < head ? scanTo : null; // this page looked at everything up to scanTo
        }
        return new Entries(withRedactions(tenantId, entries), next);
    }

    private static Entry entry(dev.ledger.core.chain.StoredEntry e) {
        return new Entry(e.sequence(), LedgerJson.shortType(e.type()), e.recordedAt(), payload(e.payload()), Hex.of(e.hash()),
                Hex.of(e.prevHash()), e.payload() == null ? Hex.of(e.payloadDigest()) : null, null);
    }

    /** The page with each redacted entry's redaction (entry_redaction), read for the redacted ones only. */
    private List<Entry> withRedactions(String tenantId, List<Entry> entries) {
        Long[] redacted = entries.stream().filter(e -> e.payloadSha256() != null).map(Entry::sequence).toArray(Long[]::new);
        if (redacted.length == 0) {
            return entries;
        }
        java.util.Map<Long, Redacted> by = new java.util.HashMap<>();
        jdbc.query(con -> {
            var ps = con.prepareStatement("select sequence, redaction_sequence, reason from entry_redaction where tenant_id = ?"
                    + " and sequence = any (?)");
            ps.setString(1, tenantId);
            ps.setArray(2, con.createArrayOf("bigint", redacted));
            return ps;
        }, (java.sql.ResultSet rs) -> {
            by.put(rs.getLong(1), new Redacted(rs.getLong(2), rs.getString(3)));
        });
        return entries.stream().map(e -> by.containsKey(e.sequence()) ? e.redactedBy(by.get(e.sequence())) : e).toList();
    }

    @Operation(summary = "Verify the chain", operationId = "verifyChain",
            description = "Scope audit:read (own tenant) or the admin key. Recomputes every hash and link in the range; a run "
                    + "from 1 also holds history against every signed checkpoint. The run is itself recorded in the chain.")
    @ApiResponse(responseCode = "200", description = "The verdict, VALID or BROKEN")
    @ProblemCodes({"insufficient_scope", "not_found", "invalid_range", "long_read_limited", "read_rate_limited"})
    @PostMapping("/v1/tenants/{tenantId}/verifications")
    public Verification verify(Caller caller, @PathVariable String tenantId, @RequestBody(required = false) VerificationRequest body) {
        requireAuditor(caller, tenantId, jdbc);
        Long from = body == null ? null : body.fromSequence();
        Long to = body == null ? null : body.toSequence();
        ChainVerification.Run run = verification.verify(tenantId, from, to, ChainVerification.Source.API);
        runs.record(tenantId, run, caller.actor());
        return run.verdict();
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "A verification run that goes on after the request: `state` running, then done (with `verification`) "
            + "or failed (with `problem`); `checked` of the entries from `from_sequence` to `to_sequence` so far", example = """
            {"run_id":"vr_5f0c2a9d41b7e3c8a6d2f190","tenant_id":"acme","state":"running","from_sequence":1,
             "to_sequence":1000000,"checked":430080,"started_at":"2026-11-21T10:00:00Z"}""")
    public record VerificationRun(String runId, String tenantId, String state, Long fromSequence, Long toSequence, long checked,
                                  String startedAt, String finishedAt, Verification verification, Failure problem) {
    }

    @Schema(description = "Why a run could not give a verdict, as the synchronous call would have answered")
    public record Failure(int status, String code, String detail) {
    }

    @Operation(summary = "Start a verification run", operationId = "startVerificationRun",
            description = "Scope audit:read (own tenant) or the admin key. As POST /verifications, but answered at once with 202 "
                    + "and a run whose progress GET .../verification-runs/{run_id} shows until its verdict. Admission is the "
                    + "same: a run beyond the read limits is refused now. The verdict is recorded in the chain.")
    @ApiResponse(responseCode = "202", description = "The run, started",
            headers = @Header(name = "Location", description = "Where the run's progress is read",
                    schema = @Schema(type = "string")))
    @ProblemCodes({"insufficient_scope", "not_found", "long_read_limited", "read_rate_limited"})
    @PostMapping("/v1/tenants/{tenantId}/verification-runs")
    public ResponseEntity<VerificationRun> startRun(Caller caller, @PathVariable String tenantId,
                                                                             @RequestBody(required = false) VerificationRequest body) {
        requireAuditor(caller, tenantId, jdbc);
        VerificationRuns.State s = runs.start(tenantId, body == null ? null : body.fromSequence(),
                body == null ? null : body.toSequence(), caller.actor());
        return ResponseEntity.accepted()
                .location(URI.create("/v1/tenants/" + tenantId + "/verification-runs/" + s.runId))
                .body(view(s));
    }

    @Operation(summary = "Read a verification run", operationId = "getVerificationRun",
            description = "Scope audit:read (own tenant) or the admin key. Any instance answers for a run (its progress "
                    + "is shared through the database); a run whose instance stopped before its verdict is answered failed, "
                    + "503 service_unavailable. Runs are kept 15 minutes after they end.")
    @ApiResponse(responseCode = "200", description = "The run")
    @ProblemCodes({"insufficient_scope", "not_found"})
    @GetMapping("/v1/tenants/{tenantId}/verification-runs/{runId}")
    public VerificationRun getRun(Caller caller, @PathVariable String tenantId, @PathVariable String runId) {
        requireAuditor(caller, tenantId, jdbc);
        return view(runs.get(tenantId, runId));
    }

    private static VerificationRun view(VerificationRuns.State s) {
        Verification v = s.verdict;
        ApiProblem p = s.failure;
        String state = v != null ? "done" : p != null ? "failed" : "running";
        boolean ranged = s.to != 0 || s.from != 0;
        return new VerificationRun(s.runId, s.tenantId, state, ranged ? s.from : null, ranged ? s.to : null,
                v != null ? v.checked() : s.checked.get(), s.startedAt.toString(), s.finishedAt == null ? null : s.finishedAt.toString(), v,
                p == null ? null : new Failure(p.status().value(), p.code(), p.getMessage()));
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "A chain's head: its last entry's sequence, hash and recorded time (sequence 0 and no hash when empty)",
            example = """
            {"tenant_id":"acme","sequence":1204,"hash":"e0fc6de0cb69c1b85dc204c7f10d29f98bb909e6275bbf46695bc3c6775990e6",
             "recorded_at":"2026-11-21T10:00:00.123Z"}""")
    public record Head(String tenantId, long sequence, String hash, String recordedAt) {
    }

    @Operation(summary = "Read a chain's head", operationId = "getHead",
            description = "Scope audit:read (own tenant) or the admin key.")
    @ApiResponse(responseCode = "200", description = "The head")
    @ProblemCodes({"insufficient_scope", "not_found", "read_rate_limited"})
    @GetMapping("/v1/tenants/{tenantId}/head")
    public Head head(Caller caller, @PathVariable String tenantId) {
        requireAuditor(caller, tenantId, jdbc);
        limits.cheap(tenantId);
        ChainAudit.Head h = audit.head(tenantId);
        String[] recorded = {null};
        if (h.sequence() > 0) {
            audit.stream(tenantId, h.sequence(), h.sequence(), e -> recorded[0] = e.recordedAt());
        }
        return new Head(tenantId, h.sequence(), h.hash() == null ? null : Hex.of(h.hash()), recorded[0]);
    }

    private static JsonNode payload(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        try {
            return LedgerJson.mapper().readTree(bytes);
        } catch (IOException e) {
            return LedgerJson.mapper().getNodeFactory().textNode("<unreadable payload>");
        }
    }
}
