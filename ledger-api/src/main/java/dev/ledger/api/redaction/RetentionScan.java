package dev.ledger.api.redaction;

import dev.ledger.api.web.ApiProblem;
import dev.ledger.core.audit.PayloadsRedacted;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.tenant.TenantCommand.RedactPayloads;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

/**
 * Per-tenant retention (table retention_policy, set by PUT /v1/tenants/{t}/retention): every
 * {@code LEDGER_RETENTION_SCAN_MILLIS} (default an hour) the payloads of redactable entries recorded more than N days
 * before now (the service's one clock) are redacted, in PayloadsRedacted entries of at most 500 with policy
 * {@code retention:<N>d}. Instances racing on one tenant cost a refused batch (already_redacted), never a second
 * redaction: the aggregate decides.
 */
@Component
public class RetentionScan {

    private static final Logger log = LoggerFactory.getLogger(RetentionScan.class);
    static final String ACTOR = "ledger:retention";
    /** Batches one tenant gets per scan, so one large tenant does not hold up the others for long. */
    private static final int BATCHES_PER_TENANT = 20;

    private final Redactions redactions;
    private final JdbcTemplate jdbc;
    private final Clock clock;

    public RetentionScan(Redactions redactions, JdbcTemplate jdbc, Clock clock) {
        this.redactions = redactions;
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @Scheduled(initialDelayString = "${ledger.retention.scan-millis:3600000}", fixedDelayString = "${ledger.retention.scan-millis:3600000}")
    void scanOnSchedule() {
        try {
            scan();
        } catch (RuntimeException e) {
            log.warn("retention scan failed this round: {}", e.getClass().getSimpleName());
        }
    }

    /** One pass over every tenant with a policy; answers how many payloads were redacted. */
    public int scan() {
        redactions.applyPending(1000); // what a stopped process left undone is not selected again below
        int redacted = 0;
        List<Object[]> policies = jdbc.query("select tenant_id, redact_payloads_after_days from retention_policy order by tenant_id",
                (rs, i) -> new Object[] {rs.getString(1), rs.getInt(2)});
        for (Object[] p : policies) {
            try {
                redacted += scan((String) p[0], (Integer) p[1]);
            } catch (RuntimeException e) {
                log.warn("retention of tenant {} not applied this round: {}", p[0], e.getClass().getSimpleName());
            }
        }
        return redacted;
    }

    private int scan(String tenantId, int days) {
        Instant cutoff = clock.instant().minus(Duration.ofDays(days));
        String[] types = EntryTypes.all().stream().map(EntryTypes.EntryType::name).filter(EntryTypes::isRedactable).toArray(String[]::new);
        int redacted = 0;
        for (int batch = 0; batch < BATCHES_PER_TENANT; batch++) {
            List<RedactPayloads.Target> targets = jdbc.query(con -> {
                var ps = con.prepareStatement("select sequence_number + 1, sha256(payload), payload_type from domain_event_entry"
                        + " where aggregate_identifier = ? and payload_type = any (?) and octet_length(payload) > 0"
                        + " and time_stamp::timestamptz < ? order by sequence_number limit ?");
                ps.setString(1, tenantId);
                ps.setArray(2, con.createArrayOf("varchar", types));
                ps.setObject(3, java.time.OffsetDateTime.ofInstant(cutoff, java.time.ZoneOffset.UTC));
                ps.setInt(4, PayloadsRedacted.MAX_REDACTIONS);
                return ps;
            }, (rs, i) -> new RedactPayloads.Target(rs.getLong(1), Hex.of(rs.getBytes(2)), rs.getString(3)));
            if (targets.isEmpty()) {
                break;
            }
            try {
                redactions.redactAll(tenantId, targets, "retention policy: payloads older than " + days + " days",
                        PayloadsRedacted.retentionPolicy(days), ACTOR);
            } catch (ApiProblem refused) {
                log.info("retention of tenant {}: a batch was refused ({}); the next scan reads again", tenantId, refused.code());
                break;
            }
            redacted += targets.size();
            if (targets.size() < PayloadsRedacted.MAX_REDACTIONS) {
                break;
            }
        }
        if (redacted > 0) {
            log.info("retention of tenant {}: {} payload(s) older than {} days redacted", tenantId, redacted, days);
        }
        return redacted;
    }
}
