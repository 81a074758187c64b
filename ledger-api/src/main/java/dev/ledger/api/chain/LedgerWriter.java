package dev.ledger.api.chain;

import dev.ledger.api.web.ApiProblem;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.messages.AppendEntries;
import dev.ledger.core.messages.AppendOutcome;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.messages.RegisterTenant;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.modelling.command.AggregateNotFoundException;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The one write path: entries go to the tenant's aggregate as a command and come back as receipts read from the
 * committed chain. Idempotency is decided by the database constraint on (tenant, key) inside the append.
 */
@Component
public class LedgerWriter {

    public static final String IDEMPOTENCY_KEY = "idempotency_key";
    public static final String REQUEST_DIGEST = "request_digest";
    public static final String ACTOR = "actor";

    /** A receipt, and whether it is the replay of an earlier answer. */
    public record Written(Receipt receipt, boolean replayed) {
    }

    private final CommandGateway commands;
    private final JdbcTemplate jdbc;

    public LedgerWriter(CommandGateway commands, JdbcTemplate jdbc) {
        this.commands = commands;
        this.jdbc = jdbc;
    }

    public void register(RegisterTenant command) {
        commands.sendAndWait(command);
    }

    /** Appends entries without idempotency (admin actions the ledger takes itself, inside a caller's transaction). */
    public List<Receipt> appendAll(String tenantId, List<LedgerEvent> entries, String actor) {
        List<AppendOutcome> outcomes = send(AppendEntries.of(tenantId, entries, Map.of(ACTOR, actor)));
        for (AppendOutcome o : outcomes) {
            if (!o.isAppended()) {
                throw rejection(o);
            }
        }
        return outcomes.stream().map(o -> receipt(tenantId, o.sequence())).toList();
    }

    /**
     * Appends one entry under an idempotency key: the same key and request answer the first receipt again; the same
     * key with another request is refused.
     */
    public Written append(String tenantId, LedgerEvent entry, String idempotencyKey, byte[] requestDigest, String actor) {
        for (int attempt = 0; attempt < 3; attempt++) {
            Written earlier = replay(tenantId, idempotencyKey, requestDigest);
            if (earlier != null) {
                return earlier;
            }
            Map<String, String> meta = Map.of(ACTOR, actor, IDEMPOTENCY_KEY, idempotencyKey,
                    REQUEST_DIGEST, EntryFraming.hex(requestDigest));
            try {
                AppendOutcome outcome = send(AppendEntries.of(tenantId, List.of(entry), meta)).get(0);
                if (!outcome.isAppended()) {
                    throw rejection(outcome);
                }
                return new Written(receipt(tenantId, outcome.sequence()), false);
            } catch (DuplicateKeyException raced) {
                // another request with this key committed first: answer what it recorded
            }
        }
        throw new ApiProblem(HttpStatus.CONFLICT, "concurrent_request", "The same Idempotency-Key is in flight; retry.");
    }

    private Written replay(String tenantId, String key, byte[] digest) {
        List<Written> found = jdbc.query("select request_digest, sequence from idempotency_record where tenant_id = ? and idempotency_key = ?",
                (rs, i) -> {
                    if (!MessageDigest.isEqual(rs.getBytes(1), digest)) {
                        throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "idempotency_key_reused",
                                "This Idempotency-Key was used with a different request body.");
                    }
                    return new Written(receipt(tenantId, rs.getLong(2)), true);
                }, tenantId, key);
        return found.isEmpty() ? null : found.get(0);
    }

    @SuppressWarnings("unchecked")
    private List<AppendOutcome> send(AppendEntries command) {
        try {
            return (List<AppendOutcome>) commands.sendAndWait(command);
        } catch (AggregateNotFoundException e) {
            throw ApiProblem.notFound("Tenant " + command.tenantId());
        } catch (RuntimeException e) {
            Throwable t = e;
            while (t != null) {
                if (t instanceof DuplicateKeyException dup) {
                    throw dup;
                }
                if (t instanceof java.sql.SQLException sql && "23505".equals(sql.getSQLState())) {
                    throw new DuplicateKeyException("duplicate", sql);
                }
                t = t.getCause();
            }
            throw e;
        }
    }

    private static ApiProblem rejection(AppendOutcome o) {
        HttpStatus status = switch (o.rejection()) {
            case "tenant_suspended" -> HttpStatus.PAYMENT_REQUIRED;
            default -> HttpStatus.CONFLICT;
        };
        return new ApiProblem(status, o.rejection(), o.detail());
    }

    /** The committed link of one entry. */
    public Receipt receipt(String tenantId, long sequence) {
        return jdbc.queryForObject("select prev_hash, entry_hash, time_stamp from domain_event_entry"
                        + " where aggregate_identifier = ? and sequence_number = ?",
                (rs, i) -> new Receipt(tenantId, null, null, sequence, EntryFraming.hex(rs.getBytes(2)),
                        EntryFraming.hex(rs.getBytes(1)), rs.getString(3)),
                tenantId, sequence - 1);
    }
}
