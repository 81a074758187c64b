package dev.ledger.api.audit;

import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.read.ReadLimits;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.core.tenant.TenantCommand;
import jakarta.annotation.PreDestroy;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Verification runs that go on after the request which started them, each telling how far it has got: what a console
 * shows as live progress over a long chain. A run is admitted (the read limits) before it is accepted, so a refused
 * run is refused at once; it is recorded in the chain as the synchronous verification is. Runs live in this process
 * only: a finished run is kept for {@link #KEPT} and at most {@link #MAX_RUNS} runs are remembered.
 */
@Service
public class VerificationRuns {

    private static final Logger log = LoggerFactory.getLogger(VerificationRuns.class);
    static final Duration KEPT = Duration.ofMinutes(15);
    static final int MAX_RUNS = 1000;

    /** What a run shows while it goes and when it has ended. */
    public static final class State {
        final String runId;
        final String tenantId;
        final Instant startedAt;
        final AtomicLong checked = new AtomicLong();
        volatile long from;
        volatile long to;
        volatile Instant finishedAt;
        volatile AuditController.Verification verdict;
        volatile ApiProblem failure;

        State(String runId, String tenantId, Instant startedAt) {
            this.runId = runId;
            this.tenantId = tenantId;
            this.startedAt = startedAt;
        }
    }

    private final ChainVerification verification;
    private final LedgerWriter writer;
    private final Clock clock;
    private final Map<String, State> runs = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "verification-run");
        t.setDaemon(true);
        return t;
    });
    private final SecureRandom random = new SecureRandom();

    public VerificationRuns(ChainVerification verification, LedgerWriter writer, Clock clock) {
        this.verification = verification;
        this.writer = writer;
        this.clock = clock;
    }

    /** Starts a run of {@code tenantId} in [from, to] (nulls: the whole chain), admitted now or refused with 429. */
    public State start(String tenantId, Long from, Long to, String actor) {
        forgetOld();
        if (runs.size() >= MAX_RUNS) {
            throw ReadLimits.longReadLimited("Too many verification runs are remembered; retry shortly.");
        }
        ReadLimits.Permit permit = verification.admit(tenantId);
        byte[] id = new byte[12];
        random.nextBytes(id);
        State state = new State("vr_" + HexFormat.of().formatHex(id), tenantId, clock.instant());
        runs.put(state.runId, state);
        try {
            workers.execute(() -> run(state, from, to, actor, permit));
        } catch (RejectedExecutionException e) {
            permit.close();
            runs.remove(state.runId);
            throw ReadLimits.longReadLimited("The ledger is shutting down; retry on another instance.");
        }
        return state;
    }

    /** The run {@code runId} of {@code tenantId}, or 404 (another tenant's run is not found either). */
    public State get(String tenantId, String runId) {
        State s = runId == null ? null : runs.get(runId);
        if (s == null || !s.tenantId.equals(tenantId)) {
            throw ApiProblem.notFound("Verification run " + runId);
        }
        return s;
    }

    private void run(State state, Long from, Long to, String actor, ReadLimits.Permit permit) {
        try (permit) {
            ChainVerification.Run run = verification.verifyAdmitted(state.tenantId, from, to, new ChainVerification.Progress() {
                @Override
                public void range(long f, long t) {
                    state.from = f;
                    state.to = t;
                }

                @Override
                public void checked(long entries) {
                    state.checked.set(entries);
                }
            }, ChainVerification.Source.API);
            state.checked.set(run.verdict().checked());
            record(state.tenantId, run, actor);
            state.verdict = run.verdict();
        } catch (ApiProblem p) {
            state.failure = p;
        } catch (RuntimeException e) {
            log.error("verification run {} of {} failed: {}", state.runId, state.tenantId, e.getClass().getSimpleName());
            state.failure = dev.ledger.api.web.Problems.internal();
        } finally {
            state.finishedAt = clock.instant();
        }
    }

    /** Records a verification's verdict in the tenant's chain; a chain damaged below its head may refuse it. */
    void record(String tenantId, ChainVerification.Run run, String actor) {
        AuditController.Verification result = run.verdict();
        try {
            writer.appendAll(tenantId, List.of(new TenantCommand.RecordVerification(run.from(), run.to(), result.status(), result.checked(),
                    result.firstBrokenSequence(), result.reason(), actor)), actor);
        } catch (RuntimeException e) {
            // the verdict is still the auditor's to have
            log.error("verification of {} ({}) could not be recorded in its chain: {}", tenantId, result.status(), e.getClass().getSimpleName());
        }
    }

    private void forgetOld() {
        Instant before = clock.instant().minus(KEPT);
        runs.values().removeIf(s -> s.finishedAt != null && s.finishedAt.isBefore(before));
    }

    @PreDestroy
    void stop() {
        workers.shutdownNow();
    }
}
