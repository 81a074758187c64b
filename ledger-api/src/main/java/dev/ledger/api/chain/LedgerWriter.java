package dev.ledger.api.chain;

import dev.ledger.core.chain.Hex;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.core.tenant.AppendEntries;
import dev.ledger.core.tenant.AppendOutcome;
import dev.ledger.core.tenant.TenantCommand;
import dev.ledger.core.tenant.RegisterTenant;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.modelling.command.AggregateNotFoundException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The one write path: entries go to the tenant's aggregate as commands (grouped per tenant by the
 * {@link AppendBatcher}) and come back as receipts carrying the committed links. Which of two racing requests
 * records an entry is decided by the database's uniqueness constraints inside the append, never by a prior read.
 */
@Component
public class LedgerWriter {

    public static final String IDEMPOTENCY_KEY = "idempotency_key";
    public static final String ENTITY_KEY = "entity_key";
    public static final String REQUEST_DIGEST = "request_digest";
    public static final String ACTOR = "actor";
    /** Client keys and entity keys share one table; the prefix keeps a client key from posing as an entity key. */
    public static final String CLIENT_KEY_PREFIX = "k:";
    private static final long APPEND_TIMEOUT_SECONDS = 20;

    /** What became of one write of a batch: its receipt (new or replayed), or the problem that refused it. */
    public sealed interface Answer permits Written, Refused {
    }

    public record Written(Receipt receipt, boolean replayed) implements Answer {
    }

    public record Refused(ApiProblem problem) implements Answer {
    }

    /**
     * One write: the command, the request's idempotency key and digest, and optionally a key that must be unique for
     * the tenant forever (e.g. "evaluation_id:ev_1") with the error code for a conflicting repeat.
     */
    public record Write(TenantCommand command, String idempotencyKey, byte[] requestDigest, String actor, String entityKey,
                        String entityConflictCode) {
    }

    private final CommandGateway commands;
    private final AppendBatcher batcher;
    private final JdbcTemplate jdbc;
    private final org.axonframework.common.caching.Cache tenantLedgerCache;
    /** Sends of a ledger-issued command that met a stale head, before its failure is final. */
    private static final int STALE_HEAD_ATTEMPTS = 5;

    public LedgerWriter(CommandGateway commands, AppendBatcher batcher, JdbcTemplate jdbc,
                        org.axonframework.common.caching.Cache tenantLedgerCache) {
        this.commands = commands;
        this.batcher = batcher;
        this.jdbc = jdbc;
        this.tenantLedgerCache = tenantLedgerCache;
    }

    public void register(RegisterTenant command) {
        commands.sendAndWait(command);
    }

    /**
     * Sends commands the ledger issues itself (admin actions, verification and reconciliation records), in the
     * caller's transaction when there is one. Another instance may have appended to the tenant since this one last
     * did: its cached view of the head is then stale, and the append would fail on the chain's unique row. These
     * commands are rare, so each first drops this instance's cached tenant and loads it from the store. One that
     * still meets a head moved meanwhile has written nothing: outside a caller's transaction it is sent again;
     * inside one, the failed statement has ended that transaction, so the failure is the caller's.
     */
    public List<Receipt> appendAll(String tenantId, List<? extends TenantCommand> commands, String actor) {
        AppendEntries command = AppendEntries.of(tenantId, commands, Map.of(ACTOR, actor));
        tenantLedgerCache.remove(tenantId);
        boolean own = !org.springframework.transaction.support.TransactionSynchronizationManager
                .isActualTransactionActive();
        AppendResult result = null;
        for (int attempt = 1; result == null; attempt++) {
            try {
                result = send(command);
            } catch (DuplicateKeyException staleHead) {
                if (!own || attempt == STALE_HEAD_ATTEMPTS) {
                    throw staleHead;
                }
            }
        }
        List<Receipt> receipts = new ArrayList<>();
        for (AppendOutcome o : result.outcomes()) {
            if (!o.isAppended()) {
                throw rejection(o);
            }
            ChainLinks.Link link = result.link(tenantId, o.sequence());
            receipts.add(link != null ? receipt(tenantId, o.sequence(), link) : receipt(tenantId, o.sequence()));
        }
        return receipts;
    }

    /** Appends one client write: the same key and request answer the first receipt again. */
    public Written append(String tenantId, Write write) {
        for (int attempt = 0; attempt < 5; attempt++) {
            if (attempt > 0) {
                // a key of this write is recorded (by an earlier request, or one racing this one): answer what it recorded
                Written earlier = earlier(tenantId, write);
                if (earlier != null) {
                    return earlier;
                }
            }
            try {
                AppendBatcher.Appended appended = batcher.submit(tenantId, write.command(), metadata(write), keys(write))
                        .get(APPEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                if (appended.keyTaken()) {
                    continue;
                }
                if (!appended.outcome().isAppended()) {
                    throw rejection(appended.outcome());
                }
                long sequence = appended.outcome().sequence();
                return new Written(appended.link() != null ? receipt(tenantId, sequence, appended.link()) : receipt(tenantId, sequence), false);
            } catch (ExecutionException e) {
                if (!isDuplicate(e.getCause())) {
                    throw translate(tenantId, e.getCause());
                }
                // another request with the same key committed first: the next round answers what it recorded
            } catch (TimeoutException e) {
                throw new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, "append_timeout",
                        "The entry was not confirmed in time; retry with the same Idempotency-Key to learn its fate.");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, "shutting_down", "The service is stopping; retry.");
            }
        }
        throw new ApiProblem(HttpStatus.CONFLICT, "concurrent_request", "The same Idempotency-Key is in flight; retry.");
    }

    /**
     * Many independent writes of one tenant (the batch endpoint): one read for all their keys, one group commit for
     * the new ones. Each answer is the receipt or the ApiProblem of that write alone.
     */
    public List<Answer> appendMany(String tenantId, List<Write> writes) {
        // null until settled; a write left unsettled by the group commit (a repeat, a key taken meanwhile) goes through append()
        List<Answer> answers = new ArrayList<>(java.util.Collections.nCopies(writes.size(), null));
        Map<String, Object[]> known = new HashMap<>();
        List<String> keys = new ArrayList<>();
        for (Write w : writes) {
            keys.add(CLIENT_KEY_PREFIX + w.idempotencyKey());
            if (w.entityKey() != null) {
                keys.add(w.entityKey());
            }
        }
        jdbc.query(con -> {
            var ps = con.prepareStatement("select idempotency_key, request_digest, sequence from idempotency_record"
                    + " where tenant_id = ? and idempotency_key = any(?)");
            ps.setString(1, tenantId);
            ps.setArray(2, con.createArrayOf("varchar", keys.toArray()));
            return ps;
        }, (java.sql.ResultSet rs) -> {
            known.put(rs.getString(1), new Object[] {rs.getString(1), rs.getBytes(2), rs.getLong(3)});
        });
        List<java.util.concurrent.CompletableFuture<AppendBatcher.Appended>> pending = new ArrayList<>();
        java.util.Set<String> inThisBatch = new java.util.HashSet<>();
        for (int i = 0; i < writes.size(); i++) {
            Write w = writes.get(i);
            pending.add(null);
            try {
                Written earlier = earlier(tenantId, w, known);
                if (earlier != null) {
                    answers.set(i, earlier);
                } else if (!inThisBatch.add(CLIENT_KEY_PREFIX + w.idempotencyKey())
                        || w.entityKey() != null && !inThisBatch.add(w.entityKey())) {
                    // a repeat inside this batch: settled after the first one
                } else {
                    // this request's keys were looked up above: the batcher need not look again (the constraints still decide)
                    pending.set(i, batcher.submit(tenantId, w.command(), metadata(w), List.of()));
                }
            } catch (ApiProblem problem) {
                answers.set(i, new Refused(problem));
            }
        }
        for (int i = 0; i < writes.size(); i++) {
            if (pending.get(i) == null) {
                continue;
            }
            try {
                AppendBatcher.Appended a = pending.get(i).get(APPEND_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                if (a.keyTaken()) {
                    continue; // recorded meanwhile: settled below through append()
                } else if (!a.outcome().isAppended()) {
                    answers.set(i, new Refused(rejection(a.outcome())));
                } else {
                    long seq = a.outcome().sequence();
                    answers.set(i, new Written(a.link() != null ? receipt(tenantId, seq, a.link()) : receipt(tenantId, seq), false));
                }
            } catch (Exception e) {
                // not confirmed by the group commit: settled below through append(), which learns its fate
            }
        }
        for (int i = 0; i < writes.size(); i++) {
            if (answers.get(i) == null) {
                try {
                    answers.set(i, append(tenantId, writes.get(i)));
                } catch (ApiProblem problem) {
                    answers.set(i, new Refused(problem));
                }
            }
        }
        return List.copyOf(answers);
    }

    /** The unique keys the append of this write stores, as idempotency_record holds them. */
    private static List<String> keys(Write w) {
        return w.entityKey() == null ? List.of(CLIENT_KEY_PREFIX + w.idempotencyKey())
                : List.of(CLIENT_KEY_PREFIX + w.idempotencyKey(), w.entityKey());
    }

    private static Map<String, String> metadata(Write w) {
        Map<String, String> m = new HashMap<>();
        m.put(ACTOR, w.actor());
        m.put(IDEMPOTENCY_KEY, w.idempotencyKey());
        m.put(REQUEST_DIGEST, Hex.of(w.requestDigest()));
        // the HTTP request it came from (RequestGate put it in the MDC of this thread), for the workers' log lines
        String requestId = org.slf4j.MDC.get(dev.ledger.core.trace.RequestId.LOG_KEY);
        if (dev.ledger.core.trace.RequestId.valid(requestId)) {
            m.put(dev.ledger.core.trace.RequestId.METADATA_KEY, requestId);
        }
        if (w.entityKey() != null) {
            m.put(ENTITY_KEY, w.entityKey());
        }
        return m;
    }

    /** The answer already recorded for this key or this entity, or null when there is none. */
    private Written earlier(String tenantId, Write write) {
        Map<String, Object[]> known = new HashMap<>();
        jdbc.query("select idempotency_key, request_digest, sequence from idempotency_record"
                        + " where tenant_id = ? and idempotency_key in (?, ?)",
                (java.sql.ResultSet rs) -> {
                    known.put(rs.getString(1), new Object[] {rs.getString(1), rs.getBytes(2), rs.getLong(3)});
                },
                tenantId, CLIENT_KEY_PREFIX + write.idempotencyKey(), write.entityKey() == null ? "" : write.entityKey());
        return earlier(tenantId, write, known);
    }

    private Written earlier(String tenantId, Write write, Map<String, Object[]> known) {
        Object[] byKey = known.get(CLIENT_KEY_PREFIX + write.idempotencyKey());
        if (byKey != null) {
            if (!MessageDigest.isEqual((byte[]) byKey[1], write.requestDigest())) {
                throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "idempotency_key_reused",
                        "This Idempotency-Key was used with a different request body.");
            }
            return new Written(receipt(tenantId, (Long) byKey[2]), true);
        }
        Object[] byEntity = write.entityKey() == null ? null : known.get(write.entityKey());
        if (byEntity != null) {
            if (!MessageDigest.isEqual((byte[]) byEntity[1], write.requestDigest())) {
                throw new ApiProblem(HttpStatus.CONFLICT, write.entityConflictCode(),
                        "Already recorded with other content: " + write.entityKey().replace(':', ' ') + ".");
            }
            return new Written(receipt(tenantId, (Long) byEntity[2]), true);
        }
        return null;
    }

    private AppendResult send(AppendEntries command) {
        try {
            return commands.sendAndWait(command);
        } catch (RuntimeException e) {
            throw translate(command.tenantId(), e);
        }
    }

    private static RuntimeException translate(String tenantId, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof AggregateNotFoundException) {
                return ApiProblem.notFound("Tenant " + tenantId);
            }
            if (t instanceof ApiProblem problem) {
                return problem;
            }
        }
        if (isDuplicate(e)) {
            return new DuplicateKeyException("a concurrent append won", e);
        }
        return e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }

    static boolean isDuplicate(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof DuplicateKeyException
                    || t instanceof org.axonframework.modelling.command.ConcurrencyException
                    || t instanceof java.sql.SQLException sql && "23505".equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }

    private static ApiProblem rejection(AppendOutcome o) {
        return dev.ledger.api.web.Problems.of(o.rejection());
    }

    private static Receipt receipt(String tenantId, long sequence, ChainLinks.Link link) {
        return new Receipt(tenantId, null, null, sequence, Hex.of(link.hash()), Hex.of(link.prevHash()),
                link.recordedAt());
    }

    /** The committed link of one entry, read back. */
    public Receipt receipt(String tenantId, long sequence) {
        return jdbc.queryForObject("select prev_hash, entry_hash, time_stamp from domain_event_entry"
                        + " where aggregate_identifier = ? and sequence_number = ?",
                (rs, i) -> receipt(tenantId, sequence, new ChainLinks.Link(rs.getBytes(1), rs.getBytes(2), rs.getString(3))),
                tenantId, sequence - 1);
    }
}
