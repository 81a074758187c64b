package dev.ledger.api.audit;

import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.read.ReadLimits;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.TenantCommand;
import jakarta.annotation.PreDestroy;
import java.security.SecureRandom;
import java.sql.Timestamp;
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
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Service;

/**
 * Verification runs that go on after the request which started them, each telling how far it has got: what a console
 * shows as live progress over a long chain. A run is admitted (the read limits) before it is accepted, so a refused
 * run is refused at once; it is recorded in the chain as the synchronous verification is.
 * <p>
 * A run goes on in the instance that started it, which writes its progress to {@code verification_run} at most every
 * {@link #PROGRESS_EVERY} and its end at once, so every instance behind a load balancer answers for it: the running
 * one from memory, the others from the table. A run whose instance stopped before its end (no progress written for
 * {@link #LOST_AFTER}) is answered as failed, {@code 503 service_unavailable}. A finished run is kept for
 * {@link #KEPT}; one instance remembers at most {@link #MAX_RUNS}.
 */
@Service
public class VerificationRuns {

    private static final Logger log = LoggerFactory.getLogger(VerificationRuns.class);
    static final Duration KEPT = Duration.ofMinutes(15);
    static final int MAX_RUNS = 1000;
    static final Duration PROGRESS_EVERY = Duration.ofMillis(500);
    static final Duration LOST_AFTER = Duration.ofSeconds(30);

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
        volatile long progressWritten;

        State(String runId, String tenantId, Instant startedAt) {
            this.runId = runId;
            this.tenantId = tenantId;
            this.startedAt = startedAt;
        }
    }

    private final ChainVerification verification;
    private final LedgerWriter writer;
    private final Clock clock;
    private final JdbcTemplate jdbc;
    private final Map<String, State> runs = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "verification-run");
        t.setDaemon(true);
        return t;
    });
    private final SecureRandom random = new SecureRandom();

    public VerificationRuns(ChainVerification verification, LedgerWriter writer, Clock clock, JdbcTemplate jdbc) {
        this.verification = verification;
        this.writer = writer;
        this.clock = clock;
        this.jdbc = jdbc;
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
        try {
            jdbc.update("insert into verification_run (run_id, tenant_id, started_at, updated_at) values (?, ?, ?, ?)",
                    state.runId, tenantId, Timestamp.from(state.startedAt), Timestamp.from(state.startedAt));
        } catch (RuntimeException e) {
            permit.close();
            throw e;
        }
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

    /**
     * The run {@code runId} of {@code tenantId}, from this instance's memory when it runs here, else as the instance
     * running it last wrote it; or 404 (another tenant's run is not found either).
     */
    public State get(String tenantId, String runId) {
        State s = runId == null ? null : runs.get(runId);
        if (s == null && runId != null && runId.length() <= 40) {
            s = stored(runId);
        }
        if (s == null || !s.tenantId.equals(tenantId)) {
            throw ApiProblem.notFound("Verification run " + runId);
        }
        return s;
    }

    private State stored(String runId) {
        List<State> found = jdbc.query("select tenant_id, started_at, updated_at, finished_at, range_from, range_to, checked,"
                + " verdict, failure_status, failure_code, failure_detail from verification_run where run_id = ?", (rs, i) -> {
            State s = new State(runId, rs.getString(1), rs.getTimestamp(2).toInstant());
            Instant updated = rs.getTimestamp(3).toInstant();
            Timestamp finished = rs.getTimestamp(4);
            s.from = rs.getLong(5);
            s.to = rs.getLong(6);
            s.checked.set(rs.getLong(7));
            String verdict = rs.getString(8);
            if (verdict != null) {
                s.verdict = read(verdict);
            } else if (rs.getString(10) != null) {
                s.failure = ApiProblem.of(rs.getInt(9), rs.getString(10), rs.getString(11));
            }
            if (finished != null) {
                s.finishedAt = finished.toInstant();
            } else if (updated.isBefore(clock.instant().minus(LOST_AFTER))) {
                s.failure = ApiProblem.unavailable("The instance running this verification stopped before its verdict (no "
                        + "progress since " + updated + "); start a new run.");
                s.finishedAt = updated;
            }
            return s;
        }, runId);
        return found.isEmpty() ? null : found.get(0);
    }

    private static AuditController.Verification read(String json) {
        try {
            return LedgerJson.mapper().readValue(json, AuditController.Verification.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a stored verification verdict is unreadable", e);
        }
    }

    private static String write(AuditController.Verification v) {
        try {
            return LedgerJson.mapper().writeValueAsString(v);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("a verification verdict cannot be written", e);
        }
    }

    /** The run's progress for the other instances, at most every {@link #PROGRESS_EVERY}; a failed write is retried later. */
    private void progress(State state) {
        long now = System.nanoTime();
        if (now - state.progressWritten < PROGRESS_EVERY.toNanos()) {
            return;
        }
        state.progressWritten = now;
        try {
            jdbc.update("update verification_run set checked = ?, range_from = ?, range_to = ?, updated_at = ? where run_id = ?",
                    state.checked.get(), state.from, state.to, Timestamp.from(clock.instant()), state.runId);
        } catch (RuntimeException e) {
            log.debug("verification run {}: progress not written: {}", state.runId, e.toString());
        }
    }

    /** The run's end, for the other instances. */
    private void finished(State state) {
        AuditController.Verification v = state.verdict;
        ApiProblem p = state.failure;
        try {
            jdbc.update("update verification_run set checked = ?, range_from = ?, range_to = ?, updated_at = ?, finished_at = ?,"
                    + " verdict = ?, failure_status = ?, failure_code = ?, failure_detail = ? where run_id = ?",
                    state.checked.get(), state.from, state.to, Timestamp.from(state.finishedAt), Timestamp.from(state.finishedAt),
                    v == null ? null : write(v), p == null ? null : p.statusCode(), p == null ? null : p.code(),
                    p == null ? null : p.getMessage(), state.runId);
        } catch (RuntimeException e) {
            log.error("verification run {} of {}: its end could not be stored ({}); other instances will call it lost",
                    state.runId, state.tenantId, e.getClass().getSimpleName());
        }
    }

    private void run(State state, Long from, Long to, String actor, ReadLimits.Permit permit) {
        try (permit) {
            ChainVerification.Run run = verification.verifyAdmitted(state.tenantId, from, to, new ChainVerification.Progress() {
                @Override
                public void range(long f, long t) {
                    state.from = f;
                    state.to = t;
                    progress(state);
                }

                @Override
                public void checked(long entries) {
                    state.checked.set(entries);
                    progress(state);
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
            finished(state);
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
        // every instance's, ended or lost
        jdbc.update("delete from verification_run where updated_at < ?", Timestamp.from(before));
    }

    @PreDestroy
    void stop() {
        workers.shutdownNow();
    }
}
