package dev.ledger.api.redaction;

import dev.ledger.api.chain.EntryReader;
import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.api.chain.Receipt;
import dev.ledger.api.chain.RequestDigest;
import dev.ledger.core.audit.PayloadsRedacted;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.Sha256;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.tenant.TenantCommand.RedactPayloads;
import java.sql.Timestamp;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Redaction (docs/chain.md, "Redaction"): the tenant's aggregate decides a {@link RedactPayloads} and records it as a
 * {@link PayloadsRedacted} entry; then, in one transaction, each redacted entry's digest goes into
 * {@code entry_redaction} and its payload bytes are erased (the one UPDATE the V20 trigger admits). A process that stops
 * between the two leaves a PayloadsRedacted entry without its rows: {@link #applyPending} (scheduled) and a retry of
 * the same request finish it.
 */
@Component
public class Redactions {

    private static final Logger log = LoggerFactory.getLogger(Redactions.class);
    static final String REDACTION_TYPE = EntryTypes.nameOf(PayloadsRedacted.class);
    private static final String NO_DIGEST = "00".repeat(Sha256.BYTES);

    /** What an idempotent redaction request is, for its digest: the entry and the reason (the body alone names no entry). */
    public record RedactionRequest(long sequence, String reason) {
    }

    /** An applied redaction of one entry: the redaction entry's receipt, and what it erased. */
    public record Redacted(LedgerWriter.Written written, long redactedSequence, String payloadSha256) {
    }

    private final LedgerWriter writer;
    private final JdbcTemplate jdbc;
    private final TransactionTemplate transactions;
    private final Clock clock;

    public Redactions(LedgerWriter writer, JdbcTemplate jdbc, PlatformTransactionManager transactionManager, Clock clock) {
        this.writer = writer;
        this.jdbc = jdbc;
        this.transactions = new TransactionTemplate(transactionManager);
        this.clock = clock;
    }

    public static byte[] requestDigest(long sequence, String reason) {
        return RequestDigest.of(new RedactionRequest(sequence, reason));
    }

    /** An admin's redaction of one entry: recorded (or the first answer of the same key again), then applied. */
    public Redacted redact(String tenantId, long sequence, String reason, String idempotencyKey, String actor) {
        RedactPayloads.Target target = target(tenantId, sequence);
        LedgerWriter.Written written = writer.append(tenantId, new LedgerWriter.Write(new RedactPayloads(List.of(target), reason, null),
                idempotencyKey, requestDigest(sequence, reason), actor, null, null));
        PayloadsRedacted applied = apply(tenantId, written.receipt().sequence());
        PayloadsRedacted.Redaction r = applied.redactions().get(0);
        return new Redacted(written, r.sequence(), r.payloadSha256());
    }

    /** Redactions of several entries, as the ledger's own write (a retention run): recorded, then applied. */
    public Receipt redactAll(String tenantId, List<RedactPayloads.Target> targets, String reason, String policy, String actor) {
        Receipt receipt = writer.appendAll(tenantId, List.of(new RedactPayloads(targets, reason, policy)), actor).get(0);
        apply(tenantId, receipt.sequence());
        return receipt;
    }

    /**
     * The entry at {@code sequence} as the aggregate decides on it: its type and the digest its hash commits to. An
     * entry that is not there is named with no type and no digest, which the aggregate refuses (entry_not_in_chain).
     */
    public RedactPayloads.Target target(String tenantId, long sequence) {
        List<RedactPayloads.Target> found = jdbc.query("select payload_type, case when octet_length(payload) > 0 then sha256(payload) end, "
                        + EntryReader.RETAINED_DIGEST + " from domain_event_entry where aggregate_identifier = ? and sequence_number = ?",
                (rs, i) -> new RedactPayloads.Target(sequence, Hex.of(rs.getBytes(2) != null ? rs.getBytes(2) : digestOrNone(rs.getBytes(3))),
                        rs.getString(1)), tenantId, sequence - 1);
        return found.isEmpty() ? new RedactPayloads.Target(sequence, NO_DIGEST, "") : found.get(0);
    }

    private static byte[] digestOrNone(byte[] digest) {
        return digest != null ? digest : new byte[Sha256.BYTES];
    }

    /**
     * Applies the PayloadsRedacted entry at {@code redactionSequence}: its entry_redaction rows and the erasures, in one
     * transaction; what is applied already is left as it is. Answers the entry.
     */
    public PayloadsRedacted apply(String tenantId, long redactionSequence) {
        return transactions.execute(status -> {
            byte[] payload = jdbc.queryForObject("select payload from domain_event_entry where aggregate_identifier = ?"
                    + " and sequence_number = ? and payload_type = ?", byte[].class, tenantId, redactionSequence - 1, REDACTION_TYPE);
            PayloadsRedacted entry = (PayloadsRedacted) EntryTypes.read(REDACTION_TYPE, payload);
            Timestamp now = Timestamp.from(clock.instant());
            int erased = 0;
            for (PayloadsRedacted.Redaction r : entry.redactions()) {
                jdbc.update("insert into entry_redaction (tenant_id, sequence, payload_sha256, redaction_sequence, reason, redacted_at)"
                                + " values (?, ?, ?, ?, ?, ?) on conflict (tenant_id, sequence) do nothing", tenantId, r.sequence(),
                        Hex.parse(r.payloadSha256()), redactionSequence, entry.reason(), now);
                erased += jdbc.update("update domain_event_entry set payload = ''::bytea where aggregate_identifier = ?"
                        + " and sequence_number = ? and octet_length(payload) > 0", tenantId, r.sequence() - 1);
            }
            if (erased > 0) {
                log.info("tenant {}: {} payload(s) erased by redaction entry {}", tenantId, erased, redactionSequence);
            }
            return entry;
        });
    }

    /** Redaction entries whose erasure a stopped process left undone, applied: at most {@code limit} a call. */
    public int applyPending(int limit) {
        List<Object[]> pending = jdbc.query("select e.aggregate_identifier, e.sequence_number + 1 from domain_event_entry e"
                        + " where e.payload_type = ? and not exists (select 1 from entry_redaction r where r.tenant_id = e.aggregate_identifier"
                        + " and r.redaction_sequence = e.sequence_number + 1) order by e.global_index limit ?",
                (rs, i) -> new Object[] {rs.getString(1), rs.getLong(2)}, REDACTION_TYPE, limit);
        int applied = 0;
        for (Object[] p : pending) {
            try {
                apply((String) p[0], (Long) p[1]);
                applied++;
            } catch (RuntimeException e) {
                log.warn("tenant {}: redaction entry {} not applied yet: {}", p[0], p[1], e.getClass().getSimpleName());
            }
        }
        return applied;
    }

    @Scheduled(initialDelayString = "${ledger.redaction.apply-millis:60000}", fixedDelayString = "${ledger.redaction.apply-millis:60000}")
    void applyPendingOnSchedule() {
        try {
            applyPending(100);
        } catch (RuntimeException e) {
            log.warn("pending redactions not applied this round: {}", e.getClass().getSimpleName());
        }
    }
}
