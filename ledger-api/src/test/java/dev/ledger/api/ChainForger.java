package dev.ledger.api;

import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.Sha256;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What a superuser with the triggers off can do to a tenant's history, for tests that show who notices: rewrite its
 * first evaluation and re-hash every entry after it, so that the chain is valid again, and delete what would give it
 * away inside the ledger (its checkpoints, Merkle caches and aggregate snapshots). The caller's connection is a
 * superuser's in a transaction it commits.
 */
public final class ChainForger {

    private ChainForger() {
    }

    /** Turns the triggers off for this transaction (session_replication_role = replica). */
    public static void triggersOff(Connection c) throws Exception {
        try (Statement s = c.createStatement()) {
            s.execute("set session_replication_role = replica");
        }
    }

    /**
     * Rewrites the tenant's first evaluation (REJECTED becomes APPROVED, or the reverse) and re-hashes the chain from it to
     * its head; answers the head's sequence.
     */
    public static long rechainFromFirstEvaluation(Connection c, String tenant) throws Exception {
        record Row(long sequence, String eventId, String type, String revision, String at, byte[] payload, byte[] metadata) {
        }
        List<Row> rows = new ArrayList<>();
        byte[] prev = null;
        try (PreparedStatement ps = c.prepareStatement("select sequence_number + 1, event_identifier, payload_type, payload_revision,"
                + " time_stamp, payload, meta_data, prev_hash from domain_event_entry where aggregate_identifier = ? and sequence_number >="
                + " (select min(sequence_number) from domain_event_entry where aggregate_identifier = ? and payload_type = 'EvaluationRecorded')"
                + " order by sequence_number")) {
            ps.setString(1, tenant);
            ps.setString(2, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    prev = prev == null ? rs.getBytes(8) : prev;
                    rows.add(new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getBytes(6),
                            rs.getBytes(7)));
                }
            }
        }
        if (rows.isEmpty()) {
            throw new IllegalStateException("tenant " + tenant + " has no evaluation to rewrite");
        }
        try (PreparedStatement up = c.prepareStatement("update domain_event_entry set payload = ?, prev_hash = ?, entry_hash = ?"
                + " where aggregate_identifier = ? and sequence_number = ?")) {
            for (int i = 0; i < rows.size(); i++) {
                Row r = rows.get(i);
                byte[] payload = i == 0 ? flipped(r.payload()) : r.payload();
                byte[] hash = EntryFraming.hash(tenant, r.sequence(), r.eventId(), r.type(), r.revision(), r.at(), Sha256.of(payload),
                        Sha256.of(r.metadata()), prev);
                up.setBytes(1, payload);
                up.setBytes(2, prev);
                up.setBytes(3, hash);
                up.setString(4, tenant);
                up.setLong(5, r.sequence() - 1);
                up.executeUpdate();
                prev = hash;
            }
        }
        return rows.get(rows.size() - 1).sequence();
    }

    /** Deletes the tenant's checkpoints (and their cosignatures), Merkle caches and aggregate snapshots. */
    public static void coverUp(Connection c, String tenant) throws Exception {
        try (PreparedStatement ps = c.prepareStatement("delete from checkpoint_cosignature where tenant_id = ?")) {
            ps.setString(1, tenant);
            ps.executeUpdate();
        }
        for (String table : List.of("checkpoint", "merkle_node", "merkle_frontier")) {
            try (PreparedStatement ps = c.prepareStatement("delete from " + table + " where tenant_id = ?")) {
                ps.setString(1, tenant);
                ps.executeUpdate();
            }
        }
        try (PreparedStatement ps = c.prepareStatement("delete from snapshot_event_entry where aggregate_identifier = ?")) {
            ps.setString(1, tenant);
            ps.executeUpdate();
        }
    }

    private static byte[] flipped(byte[] payload) {
        String json = new String(payload, StandardCharsets.UTF_8);
        String changed = json.contains("REJECTED") ? json.replace("REJECTED", "APPROVED") : json.replace("APPROVED", "REJECTED");
        byte[] out = changed.getBytes(StandardCharsets.UTF_8);
        if (Arrays.equals(out, payload)) {
            throw new IllegalStateException("the evaluation names no terminal state to change");
        }
        return out;
    }
}
