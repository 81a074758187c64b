package dev.ledger.api;

import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.Sha256;
import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.evaluation.GateOutcome;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.usage.UsageRecorded;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * Grows a registered tenant's chain fast: valid chained evaluation or usage entries written straight into the store (tens of
 * thousands a second), for tests and benchmarks of large tenants; an API append per entry would measure the write path.
 */
public final class LargeTenantRows {

    private LargeTenantRows() {
    }

    /** One entry of the fixture: its stored type, payload, metadata and recorded time. */
    private record Made(String type, byte[] payload, byte[] metadata, String recordedAt) {
    }

    @FunctionalInterface
    private interface Maker {
        Made make(long sequence) throws Exception;
    }

    /** Appends {@code n} valid evaluation entries after the tenant's head, all recorded now; answers the new head. */
    public static long append(String jdbcUrl, String tenant, long n) throws Exception {
        byte[] meta = "{\"actor\":\"fixture\"}".getBytes(StandardCharsets.UTF_8);
        String type = EntryTypes.nameOf(EvaluationRecorded.class);
        String at = Instant.now().toString();
        return append(jdbcUrl, tenant, n, seq -> new Made(type, LedgerJson.mapper().writeValueAsBytes(new EvaluationRecorded(tenant,
                "ev_" + seq, "pol_pii", "7", "agent:42", "sha256:" + "ab".repeat(32), TerminalState.REJECTED,
                List.of(new GateResult("pii", GateOutcome.FAIL, "PII_EMAIL")), "2026-11-21T10:00:00Z")), meta, at));
    }

    /**
     * Appends {@code n} valid usage entries after the tenant's head, their recorded times spread evenly over
     * [{@code from}, {@code to}) in order, the meters taken in turn, each billing {@code 1 + sequence % 10} units in its
     * hashed metadata as the ledger writes it; answers the new head.
     */
    public static long appendUsage(String jdbcUrl, String tenant, long n, Instant from, Instant to, List<String> meters)
            throws Exception {
        String type = EntryTypes.nameOf(UsageRecorded.class);
        long spanMillis = Duration.between(from, to).toMillis();
        long[] first = {-1};
        return append(jdbcUrl, tenant, n, seq -> {
            if (first[0] < 0) {
                first[0] = seq;
            }
            long i = seq - first[0];
            String meter = meters.get((int) (i % meters.size()));
            long quantity = 1 + seq % 10;
            String at = from.plusMillis(Math.multiplyExact(spanMillis, i) / n).toString();
            byte[] payload = LedgerJson.mapper().writeValueAsBytes(new UsageRecorded(tenant, "u_" + seq, meter, quantity, at));
            byte[] meta = ("{\"actor\":\"fixture\",\"meter\":\"" + meter + "\",\"quantity\":\"" + quantity + "\"}")
                    .getBytes(StandardCharsets.UTF_8);
            return new Made(type, payload, meta, at);
        });
    }

    private static long append(String jdbcUrl, String tenant, long n, Maker maker) throws Exception {
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
            try (PreparedStatement ps = c.prepareStatement("insert into domain_event_entry (event_identifier, aggregate_identifier,"
                    + " sequence_number, type, time_stamp, payload_type, payload_revision, payload, meta_data, prev_hash, entry_hash)"
                    + " values (?, ?, ?, 'TenantLedger', ?, ?, '1', ?, ?, ?, ?)")) {
                for (long i = 1; i <= n; i++) {
                    long seq = head + i;
                    Made m = maker.make(seq);
                    String id = UUID.randomUUID().toString();
                    byte[] hash = EntryFraming.hash(tenant, seq, id, m.type(), "1", m.recordedAt(), Sha256.of(m.payload()),
                            Sha256.of(m.metadata()), prev);
                    ps.setString(1, id);
                    ps.setString(2, tenant);
                    ps.setLong(3, seq - 1);
                    ps.setString(4, m.recordedAt());
                    ps.setString(5, m.type());
                    ps.setBytes(6, m.payload());
                    ps.setBytes(7, m.metadata());
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
