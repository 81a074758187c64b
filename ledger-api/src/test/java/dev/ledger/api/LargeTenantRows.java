package dev.ledger.api;

import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.evaluation.GateOutcome;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.chain.Sha256;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Grows a registered tenant's chain fast: valid chained evaluation entries written straight into the store (tens of
 * thousands a second), for tests and benchmarks of large tenants; an API append per entry would measure the write path.
 */
public final class LargeTenantRows {

    private LargeTenantRows() {
    }

    /** Appends {@code n} valid entries after the tenant's head; answers the new head. */
    public static long append(String jdbcUrl, String tenant, long n) throws Exception {
        try (Connection c = DriverManager.getConnection(jdbcUrl + (jdbcUrl.contains("?") ? "&" : "?") + "reWriteBatchedInserts=true")) {
            c.setAutoCommit(false);
            long head = 0;
            byte[] prev = EntryFraming.genesis();
            try (PreparedStatement q = c.prepareStatement("select sequence_number + 1, entry_hash from domain_event_entry"
                    + " where aggregate_identifier = ? order by sequence_number desc limit 1")) {
                q.setString(1, tenant);
                try (ResultSet rs = q.executeQuery()) {
                    if (rs.next()) {
                        head = rs.getLong(1);
                        prev = rs.getBytes(2);
                    }
                }
            }
            byte[] meta = "{\"actor\":\"fixture\"}".getBytes();
            byte[] metaDigest = Sha256.of(meta);
            String type = EntryTypes.nameOf(EvaluationRecorded.class);
            String at = Instant.now().toString();
            try (PreparedStatement ps = c.prepareStatement("insert into domain_event_entry (event_identifier, aggregate_identifier,"
                    + " sequence_number, type, time_stamp, payload_type, payload_revision, payload, meta_data, prev_hash, entry_hash)"
                    + " values (?, ?, ?, 'TenantLedger', ?, ?, '1', ?, ?, ?, ?)")) {
                for (long i = 1; i <= n; i++) {
                    long seq = head + i;
                    byte[] payload = LedgerJson.mapper().writeValueAsBytes(new EvaluationRecorded(tenant, "ev_" + seq, "pol_pii", "7",
                            "agent:42", "sha256:" + "ab".repeat(32), TerminalState.REJECTED,
                            List.of(new GateResult("pii", GateOutcome.FAIL, "PII_EMAIL")), "2026-11-21T10:00:00Z"));
                    String id = UUID.randomUUID().toString();
                    byte[] hash = EntryFraming.hash(tenant, seq, id, type, "1", at, Sha256.of(payload), metaDigest, prev);
                    ps.setString(1, id);
                    ps.setString(2, tenant);
                    ps.setLong(3, seq - 1);
                    ps.setString(4, at);
                    ps.setString(5, type);
                    ps.setBytes(6, payload);
                    ps.setBytes(7, meta);
                    ps.setBytes(8, prev);
                    ps.setBytes(9, hash);
                    ps.addBatch();
                    prev = hash;
                    if (i % 5000 == 0) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
                ps.executeBatch();
                c.commit();
            }
            return head + n;
        }
    }
}
