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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Sends every tenant's latest checkpoint to each configured witness (C2SP tlog-witness {@code add-checkpoint}) with an
 * RFC 6962 consistency proof from the largest checkpoint that witness cosigned for the tenant, and keeps the
 * cosignature it answers (checked against the witness's key first) in {@code checkpoint_cosignature}, from where the
 * checkpoint is served with it. A witness that holds a larger size than the ledger thought (409) is answered once
 * more from that size. A refusal (the witness's 4xx: a fork, a rollback, a checkpoint it cannot verify) is kept in
 * {@code witness_refusal} with the witness's reason and counted; that checkpoint is not sent to that witness again.
 * An unreachable witness is tried again next round.
 */
@Component
public class WitnessSubmitter {

    private static final Logger log = LoggerFactory.getLogger(WitnessSubmitter.class);
    private static final int MAX_REASON = 500;

    private final List<Witness> witnesses;
    private final CheckpointService checkpoints;
    private final JdbcTemplate jdbc;
    private final HttpClient http;
    private final WitnessProperties props;
    private final MeterRegistry meters;

    public WitnessSubmitter(WitnessProperties props, CheckpointService checkpoints, JdbcTemplate jdbc, MeterRegistry meters) {
        this.witnesses = props.witnesses();
        this.props = props;
        this.checkpoints = checkpoints;
        this.jdbc = jdbc;
        this.meters = meters;
        this.http = HttpClient.newBuilder().connectTimeout(props.timeout()).followRedirects(HttpClient.Redirect.NEVER).build();
        witnesses.forEach(w -> log.info("checkpoints are sent to witness {} at {}", w.key().encoded(), w.submissionPrefix()));
    }

    public List<Witness> witnesses() {
        return witnesses;
    }

    /** One round: each witness gets the latest checkpoint of every tenant it has neither cosigned nor refused. */
    @Scheduled(fixedDelayString = "${ledger.witness.submit-millis:1000}", initialDelayString = "${ledger.witness.submit-millis:1000}")
    public void submitDue() {
        for (Witness w : witnesses) {
            List<Checkpoint> due = jdbc.query("select c.tenant_id, c.size, c.root_hash, c.issued_at, c.key_id, c.signature"
                    + " from checkpoint c where c.size = (select max(size) from checkpoint l where l.tenant_id = c.tenant_id)"
                    + " and not exists (select 1 from checkpoint_cosignature s where s.tenant_id = c.tenant_id and s.witness = ?"
                    + " and s.size = c.size)"
                    + " and not exists (select 1 from witness_refusal r where r.tenant_id = c.tenant_id and r.witness = ?"
                    + " and r.size = c.size)", (rs, i) -> new Checkpoint(rs.getString(1), rs.getLong(2), rs.getBytes(3),
                    rs.getString(4), rs.getString(5), rs.getBytes(6)), w.name(), w.name());
            for (Checkpoint cp : due) {
                try {
                    submit(w, cp);
                } catch (IOException | RuntimeException e) {
                    meters.counter("ledger.witness.errors", "witness", w.name()).increment();
                    log.warn("witness {} not reached for {} at size {}: {}", w.name(), cp.tenantId(), cp.size(), e.toString());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
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
        Outcome outcome = send(w, cp, old);
        if (outcome instanceof Outcome.OldSize(long held)) {
            outcome = held <= cp.size() ? send(w, cp, held) : new Outcome.Refused(409, "the witness has cosigned " + held
                    + " entries of this tenant, more than this checkpoint's " + cp.size() + ": the ledger's history was cut back");
            if (outcome instanceof Outcome.OldSize(long again)) {
                outcome = new Outcome.Refused(409, "the witness answered 409 twice (it holds " + again + ")");
            }
        }
        switch (outcome) {
            case Outcome.Cosigned c -> {
                jdbc.update("insert into checkpoint_cosignature (tenant_id, size, witness, cosigned_at, line) values (?, ?, ?, ?, ?)"
                        + " on conflict do nothing", cp.tenantId(), cp.size(), w.name(), c.timestamp(), c.line());
                meters.counter("ledger.witness.cosignatures", "witness", w.name()).increment();
            }
            case Outcome.Refused r -> {
                jdbc.update("insert into witness_refusal (tenant_id, size, witness, status, reason) values (?, ?, ?, ?, ?)"
                        + " on conflict do nothing", cp.tenantId(), cp.size(), w.name(), r.status(), r.reason());
                meters.counter("ledger.witness.refusals", "witness", w.name(), "status", Integer.toString(r.status())).increment();
                log.error("witness {} refused the checkpoint of {} at size {} ({}): {}", w.name(), cp.tenantId(), cp.size(), r.status(),
                        r.reason());
            }
            case Outcome.OldSize o -> throw new IllegalStateException("unreachable");
        }
    }

    private Outcome send(Witness w, Checkpoint cp, long old) throws IOException, InterruptedException {
        StringBuilder body = new StringBuilder("old ").append(old).append('\n');
        if (old > 0 && old < cp.size()) {
            for (byte[] hash : checkpoints.consistency(cp.tenantId(), old, cp.size())) {
                body.append(Base64.getEncoder().encodeToString(hash)).append('\n');
            }
        }
        String note = checkpoints.logNote(cp);
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
