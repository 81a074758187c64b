package dev.ledger.api.audit;

import dev.ledger.api.checkpoint.CheckpointService;
import dev.ledger.api.read.ChainAudit;
import dev.ledger.api.read.ReadLimits;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.core.chain.ChainVerifier;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.CheckpointAudit;
import dev.ledger.core.chain.Hex;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import org.springframework.stereotype.Service;

/**
 * An online verification run of a tenant's chain, as the offline verifier checks a bundle: every hash and link in the
 * range, and a run from 1 also holds history against every signed checkpoint. Used by auditors' verifications and by
 * the invoice witness; recording the run is the caller's.
 */
@Service
public class ChainVerification {

    /** The range actually checked and the verdict. */
    public record Run(long from, long to, AuditController.Verification verdict) {
        public boolean valid() {
            return "VALID".equals(verdict.status());
        }
    }

    /** Who asked for a run: every run is counted by it in {@code ledger_chain_verifications_total}. */
    public enum Source {
        /** an auditor, through the API (synchronous or a background run) */
        API,
        /** the invoice witness, before it signs an invoice's checkpoint */
        INVOICE_WITNESS,
        /** the ledger's own scheduled verification of every chain */
        SCHEDULED;

        String tag() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final ChainAudit audit;
    private final CheckpointService checkpoints;
    private final ReadLimits limits;
    private final MeterRegistry metrics;

    public ChainVerification(ChainAudit audit, CheckpointService checkpoints, ReadLimits limits, MeterRegistry metrics) {
        this.audit = audit;
        this.checkpoints = checkpoints;
        this.limits = limits;
        this.metrics = metrics;
        for (Source source : Source.values()) {
            // present from the start, so an alert on their increase sees the first failure
            Counter.builder("ledger.chain.integrity.failures").tag("source", source.tag())
                    .description("verifications that found a chain BROKEN (a changed, missing or reordered entry, or a checkpoint "
                            + "the history does not hold)").register(metrics);
            for (String result : new String[] {"valid", "broken"}) {
                Counter.builder("ledger.chain.verifications").tag("source", source.tag()).tag("result", result)
                        .description("verification runs of a chain, by who asked and their verdict").register(metrics);
            }
        }
    }

    /** How often, in entries checked, a run tells its progress. */
    static final int PROGRESS_EVERY = 4096;

    /** {@code fromSequence}, {@code toSequence}: null for the chain's start and head. */
    public Run verify(String tenantId, Long fromSequence, Long toSequence, Source source) {
        return verify(tenantId, fromSequence, toSequence, Progress.NONE, source);
    }

    /** Told, while a run goes, the range it checks and then how many entries it has checked so far. */
    public interface Progress {
        Progress NONE = new Progress() {
        };

        default void range(long from, long to) {
        }

        default void checked(long entries) {
        }
    }

    /** As {@link #verify(String, Long, Long)}, telling {@code progress} as it goes. */
    public Run verify(String tenantId, Long fromSequence, Long toSequence, Progress progress, Source source) {
        try (ReadLimits.Permit permit = admit(tenantId)) {
            return verifyAdmitted(tenantId, fromSequence, toSequence, progress, source);
        }
    }

    /** A long read's admission for a run of {@code tenantId} (429 {@code long_read_limited} or {@code read_rate_limited}). */
    public ReadLimits.Permit admit(String tenantId) {
        return limits.longRead(tenantId, checkpoints.head(tenantId));
    }

    /** A run whose admission the caller holds (from {@link #admit}) until it returns. */
    public Run verifyAdmitted(String tenantId, Long fromSequence, Long toSequence, Progress progress, Source source) {
        Run run = check(tenantId, fromSequence, toSequence, progress);
        metrics.counter("ledger.chain.verifications", "source", source.tag(), "result", run.valid() ? "valid" : "broken").increment();
        if (!run.valid()) {
            metrics.counter("ledger.chain.integrity.failures", "source", source.tag()).increment();
        }
        return run;
    }

    private Run check(String tenantId, Long fromSequence, Long toSequence, Progress progress) {
        ChainVerifier verifier;
        ChainVerifier.Break broken;
        ChainAudit.Head head;
        long from;
        long to;
        CheckpointAudit check = new CheckpointAudit(tenantId, checkpoints.keys(), "the ledger's checkpoint keys");
        ChainVerifier.Break checkpointBreak;
        try (ChainAudit.Session session = audit.open()) {
            // one snapshot: the head, the checkpoints and the entries agree with each other
            head = session.head(tenantId);
            from = fromSequence == null ? 1 : fromSequence;
            to = toSequence == null ? head.sequence() : toSequence;
            if (from < 1 || to < from - 1 || to > head.sequence()) {
                throw ApiProblem.unprocessable("invalid_range",
                        "from_sequence and to_sequence must lie within 1.." + head.sequence() + ".");
            }
            progress.range(from, to);
            verifier = from <= 1 ? new ChainVerifier() : new ChainVerifier(from - 1, session.hashAt(tenantId, from - 1));
            ChainVerifier v = verifier;
            // as the offline verifier: the first problem met wins, an entry's own checks before the checkpoints of its size
            ChainAudit.HashedEntrySink sink = (entry, recomputed, leaf) -> {
                if (v.firstBreak() == null && check.mismatch() == null
                        && v.accept(entry.sequence(), entry.prevHash(), entry.hash(), recomputed) == null) {
                    check.leaf(leaf);
                }
                if (entry.sequence() % PROGRESS_EVERY == 0) {
                    progress.checked(v.checked());
                }
            };
            if (from > 1) {
                session.streamHashed(tenantId, from, to, sink);
            } else {
                // a run from 1 also holds the history against every signed checkpoint up to its end, a page of them at a
                // time: the entries up to the page's largest checkpoint, then the next page
                long next = 1;
                while (next <= to) {
                    List<Checkpoint> page = session.checkpoints(tenantId, next - 1, to, 1000);
                    long until = page.size() == 1000 ? page.get(page.size() - 1).size() : to;
                    page.forEach(check::expect);
                    session.streamHashed(tenantId, next, until, sink);
                    if (check.size() < until) {
                        break; // rows missing: the verifier names the gap
                    }
                    next = until + 1;
                }
            }
            // a full run: a checkpoint beyond the head means the tail was cut off (a ranged run only covers its range)
            Checkpoint beyond = from > 1 || to < head.sequence() ? null
                    : session.checkpoints(tenantId, check.size(), Long.MAX_VALUE, 1).stream().findFirst().orElse(null);
            if (from <= 1 && verifier.firstBreak() == null && beyond != null) {
                check.expect(beyond);
            }
            checkpointBreak = from > 1 ? null : verifier.firstBreak() != null ? check.mismatch() : check.finish("the chain");
        }
        broken = CheckpointAudit.earlier(verifier.firstBreak(), checkpointBreak);
        if (broken == null && verifier.lastSequence() < to) {
            // the rows ended early: the entry after the last good one is missing
            broken = new ChainVerifier.Break(verifier.lastSequence() + 1, ChainVerifier.Reason.sequence_gap,
                    "entry " + (verifier.lastSequence() + 1) + " is missing");
        }
        return new Run(from, to, new AuditController.Verification(broken == null ? "VALID" : "BROKEN", verifier.checked(),
                broken == null ? null : broken.sequence(), broken == null ? null : broken.reason().name(),
                broken == null ? null : broken.detail(), head.sequence(), head.hash() == null ? null : Hex.of(head.hash())));
    }
}
