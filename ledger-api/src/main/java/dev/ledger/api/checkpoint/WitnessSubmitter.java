package dev.ledger.api.checkpoint;

import dev.ledger.api.checkpoint.WitnessProperties.Witness;
import dev.ledger.core.chain.Checkpoint;
import dev.ledger.core.chain.Cosignature;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.time.Clock;
import java.time.Instant;
import jakarta.annotation.PreDestroy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Sends every tenant's latest checkpoint, and the deployment's log of checkpoints at its head, to each configured witness (C2SP tlog-witness {@code add-checkpoint}) with an
 * RFC 6962 consistency proof from the largest checkpoint that witness cosigned for the tenant, and keeps the
 * cosignature it answers (checked against the witness's key first) in {@code checkpoint_cosignature}, from where the
 * checkpoint is served with it. A witness that holds a larger size than the ledger thought (409) is answered once
 * more from that size. A refusal (the witness's 4xx: a fork, a rollback, a checkpoint it cannot verify) is kept in
 * {@code checkpoint_refusal} with the witness's reason and counted; that checkpoint is not sent to that witness again.
 * An unreachable witness is tried again after a pause that doubles from one round to a minute. The rounds run on a
 * thread of their own, never on the service's shared scheduler.
 */
@Component
public class WitnessSubmitter {

    private static final Logger log = LoggerFactory.getLogger(WitnessSubmitter.class);
    private static final int MAX_REASON = 500;

    private final List<Witness> witnesses;
    private final CheckpointService checkpoints;
    private final CheckpointLog checkpointLog;
    private final JdbcTemplate jdbc;
    private final HttpClient http;
    private final WitnessProperties props;
    private final MeterRegistry meters;
    private final Clock clock;
    private final ScheduledExecutorService rounds;
    private final Map<String, Backoff> backoffs = new ConcurrentHashMap<>();
    private static final long MAX_PAUSE_MILLIS = 60_000;

    public WitnessSubmitter(WitnessProperties props, CheckpointService checkpoints, CheckpointLog checkpointLog, JdbcTemplate jdbc,
                            MeterRegistry meters, Clock clock) {
        this.clock = clock;
        this.checkpointLog = checkpointLog;
        this.witnesses = props.witnesses();
        this.props = props;
        this.checkpoints = checkpoints;
        this.jdbc = jdbc;
        this.meters = meters;
        this.http = HttpClient.newBuilder().connectTimeout(props.timeout()).followRedirects(HttpClient.Redirect.NEVER).build();
        witnesses.forEach(w -> log.info("checkpoints are sent to witness {} at {}", w.key().encoded(), w.submissionPrefix()));
        // its own thread: a witness that hangs or is gone must never hold up the service's shared scheduler (checkpoints,
        // scheduled verifications, retention), whatever the timeouts
        this.rounds = witnesses.isEmpty() ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "witness-submitter");
            t.setDaemon(true);
            return t;
        });
        if (rounds != null) {
            rounds.scheduleWithFixedDelay(this::submitDueQuietly, props.submitMillis(), props.submitMillis(), TimeUnit.MILLISECONDS);
        }
    }

    @PreDestroy
    void stop() {
        if (rounds != null) {
            rounds.shutdownNow();
        }
    }

    private void submitDueQuietly() {
        try {
            submitDue();
        } catch (RuntimeException e) {
            log.warn("witness round failed: {}", e.toString());
        }
    }

    /**
     * A witness that could not be reached is left alone for a while, doubling from one round to a minute: its tenants'
     * checkpoints wait (they are sent when it answers again), and the log says so once per pause, not once per tenant.
     */
    private final class Backoff {
        private int failures;
        private Instant next = Instant.MIN;

        boolean due() {
            return !clock.instant().isBefore(next);
        }

        void failed(Witness w, String what, Exception e) {
            failures++;
            meters.counter("ledger.witness.errors", "witness", w.name()).increment();
            long millis = Math.min(MAX_PAUSE_MILLIS, props.submitMillis() << Math.min(failures, 20));
            next = clock.instant().plusMillis(millis);
            log.warn("witness {} not reached ({}): {}; trying again in {} ms", w.name(), what, e.toString(), millis);
        }

        void answered() {
            failures = 0;
        }
    }

    public List<Witness> witnesses() {
        return witnesses;
    }

    /** One round: each witness gets the latest checkpoint of every tenant it has neither cosigned nor refused. */
    public void submitDue() {
        for (Witness w : witnesses) {
            Backoff backoff = backoffs.computeIfAbsent(w.name(), n -> new Backoff());
            if (!backoff.due()) {
                continue;
            }
            List<Checkpoint> due = jdbc.query("select c.tenant_id, c.size, c.root_hash, c.issued_at, c.key_id, c.signature"
                    + " from checkpoint c where c.size = (select max(size) from checkpoint l where l.tenant_id = c.tenant_id)"
                    + " and not exists (select 1 from checkpoint_cosignature s where s.tenant_id = c.tenant_id and s.witness = ?"
                    + " and s.size = c.size)"
                    + " and not exists (select 1 from checkpoint_refusal r where r.tenant_id = c.tenant_id and r.witness = ?"
                    + " and r.size = c.size)", (rs, i) -> new Checkpoint(rs.getString(1), rs.getLong(2), rs.getBytes(3),
                    rs.getString(4), rs.getString(5), rs.getBytes(6)), w.name(), w.name());
            boolean reached = true;
            for (Checkpoint cp : due) {
                try {
                    submit(w, cp);
                    backoff.answered();
                } catch (IOException | RuntimeException e) {
                    backoff.failed(w, cp.tenantId() + " at size " + cp.size(), e);
                    reached = false;
                    break;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
            if (!reached) {
                continue;
            }
            try {
                submitLog(w);
                backoff.answered();
            } catch (IOException | RuntimeException e) {
                backoff.failed(w, "the log of checkpoints", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The deployment's log of checkpoints at its head, unless this witness has cosigned or refused that size (V22). */
    void submitLog(Witness w) throws IOException, InterruptedException {
        CheckpointLog.Head head = checkpointLog.head();
        if (head.size() == 0) {
            return;
        }
        Integer done = jdbc.queryForObject("select (select count(*) from checkpoint_log_cosignature where witness = ? and size = ?)"
                + " + (select count(*) from checkpoint_log_refusal where witness = ? and size = ?)", Integer.class, w.name(), head.size(),
                w.name(), head.size());
        if (done != null && done > 0) {
            return;
        }
        long old = jdbc.queryForObject("select coalesce(max(size), 0) from checkpoint_log_cosignature where witness = ?", Long.class,
                w.name());
        String note = checkpointLog.note(head);
        Outcome outcome = settle(w, note, head.size(), old, from -> checkpointLog.consistency(from, head.size()));
        switch (outcome) {
            case Outcome.Cosigned c -> {
                jdbc.update("insert into checkpoint_log_cosignature (size, witness, root_hash, cosigned_at, line) values (?, ?, ?, ?, ?)"
                        + " on conflict do nothing", head.size(), w.name(), head.root(), c.timestamp(), c.line());
                meters.counter("ledger.witness.cosignatures", "witness", w.name()).increment();
            }
            case Outcome.Refused r -> {
                jdbc.update("insert into checkpoint_log_refusal (size, witness, root_hash, status, reason) values (?, ?, ?, ?, ?)"
                        + " on conflict do nothing", head.size(), w.name(), head.root(), r.status(), r.reason());
                meters.counter("ledger.witness.refusals", "witness", w.name(), "status", Integer.toString(r.status())).increment();
                log.error("witness {} refused the log of checkpoints at size {} ({}): {}", w.name(), head.size(), r.status(), r.reason());
            }
            case Outcome.OldSize o -> throw new IllegalStateException("unreachable");
        }
    }

    /** The witness's cosignature lines of the log of checkpoints at {@code size}. */
    public List<String> logCosignatures(long size) {
        return jdbc.queryForList("select line from checkpoint_log_cosignature where size = ? order by witness", String.class, size);
    }

    /** Sends a note, answering a 409 once more from the size the witness names. */
    private Outcome settle(Witness w, String note, long size, long old, LongFunction<List<byte[]>> proofs)
            throws IOException, InterruptedException {
        Outcome outcome = send(w, note, size, old, proofs);
        if (outcome instanceof Outcome.OldSize(long held)) {
            outcome = held <= size ? send(w, note, size, held, proofs) : new Outcome.Refused(409, "the witness has cosigned a tree of "
                    + held + ", larger than this checkpoint's " + size + ": the history was cut back");
            if (outcome instanceof Outcome.OldSize(long again)) {
                outcome = new Outcome.Refused(409, "the witness answered 409 twice (it holds " + again + ")");
            }
        }
        return outcome;
    }

    /** What a witness answered one checkpoint: cosigned, refused, or to be sent again from another old size. */
    sealed interface Outcome {
        record Cosigned(String line, long timestamp) implements Outcome {
        }

        record Refused(int status, String reason) implements Outcome {
        }

        record OldSize(long size) implements Outcome {
        }
    }

    void submit(Witness w, Checkpoint cp) throws IOException, InterruptedException {
        long old = jdbc.queryForObject("select coalesce(max(size), 0) from checkpoint_cosignature where tenant_id = ? and witness = ?",
                Long.class, cp.tenantId(), w.name());
        Outcome outcome = settle(w, checkpoints.logNote(cp), cp.size(), old, from -> checkpoints.consistency(cp.tenantId(), from, cp.size()));
        switch (outcome) {
            case Outcome.Cosigned c -> {
                jdbc.update("insert into checkpoint_cosignature (tenant_id, size, witness, cosigned_at, line) values (?, ?, ?, ?, ?)"
                        + " on conflict do nothing", cp.tenantId(), cp.size(), w.name(), c.timestamp(), c.line());
                meters.counter("ledger.witness.cosignatures", "witness", w.name()).increment();
            }
            case Outcome.Refused r -> {
                jdbc.update("insert into checkpoint_refusal (tenant_id, size, witness, status, reason) values (?, ?, ?, ?, ?)"
                        + " on conflict do nothing", cp.tenantId(), cp.size(), w.name(), r.status(), r.reason());
                meters.counter("ledger.witness.refusals", "witness", w.name(), "status", Integer.toString(r.status())).increment();
                log.error("witness {} refused the checkpoint of {} at size {} ({}): {}", w.name(), cp.tenantId(), cp.size(), r.status(),
                        r.reason());
            }
            case Outcome.OldSize o -> throw new IllegalStateException("unreachable");
        }
    }

    private Outcome send(Witness w, String note, long size, long old, LongFunction<List<byte[]>> proofs)
            throws IOException, InterruptedException {
        StringBuilder body = new StringBuilder("old ").append(old).append('\n');
        if (old > 0 && old < size) {
            for (byte[] hash : proofs.apply(old)) {
                body.append(Base64.getEncoder().encodeToString(hash)).append('\n');
            }
        }
        body.append('\n').append(note);
        HttpRequest request = HttpRequest.newBuilder(URI.create(w.submissionPrefix() + "/add-checkpoint"))
                .timeout(props.timeout()).header("Content-Type", "text/plain; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8)).build();
        HttpResponse<String> answer = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        String text = answer.body() == null ? "" : answer.body();
        if (answer.statusCode() == 200) {
            String noteText = note.substring(0, note.indexOf("\n\n") + 1);
            for (String line : text.split("\n")) {
                Optional<Long> at = line.isEmpty() ? Optional.empty() : Cosignature.verify(noteText, line, w.key());
                if (at.isPresent()) {
                    return new Outcome.Cosigned(line + "\n", at.get());
                }
            }
            return new Outcome.Refused(200, "the witness answered no cosignature that verifies with its key " + w.key().encoded());
        }
        if (answer.statusCode() == 409) {
            try {
                return new Outcome.OldSize(Long.parseLong(text.strip()));
            } catch (NumberFormatException e) {
                return new Outcome.Refused(409, "the witness answered 409 without a size");
            }
        }
        if (answer.statusCode() >= 400 && answer.statusCode() < 500) {
            String reason = text.strip();
            return new Outcome.Refused(answer.statusCode(), reason.isEmpty() ? "no reason given"
                    : reason.substring(0, Math.min(MAX_REASON, reason.length())));
        }
        throw new IOException("the witness answered " + answer.statusCode());
    }
}
