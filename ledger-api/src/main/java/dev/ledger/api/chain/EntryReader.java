package dev.ledger.api.chain;

import dev.ledger.core.chain.StoredEntry;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Reads entries back exactly as stored: the bytes the chain commits to, and the link beside them. */
public final class EntryReader {

    /**
     * The digest retained for a redacted payload (V20 entry_redaction), for a row of domain_event_entry: null for every
     * payload that is not erased, whose digest is computed from its bytes. Only an erased (empty) payload costs the
     * look-up, so a read of an unredacted chain joins nothing.
     */
    public static final String RETAINED_DIGEST = "case when octet_length(payload) = 0 then (select r.payload_sha256 from entry_redaction r"
            + " where r.tenant_id = aggregate_identifier and r.sequence = sequence_number + 1) end";

    /** The stored columns of an entry, in the order {@link #map} reads them. */
    public static final String COLUMNS = "aggregate_identifier, sequence_number, event_identifier, payload_type, payload_revision,"
            + " time_stamp, payload, meta_data, prev_hash, entry_hash, " + RETAINED_DIGEST + " as retained_digest";

    private EntryReader() {
    }

    /** One row of {@link #COLUMNS} as the stored entry: a redacted one with payload null and its retained digest. */
    public static StoredEntry map(ResultSet rs) throws SQLException {
        return entry(rs.getString(1), rs.getLong(2) + 1, rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getBytes(7), rs.getBytes(8), rs.getBytes(9), rs.getBytes(10), rs.getBytes(11));
    }

    /**
     * The stored entry of a row: an erased payload with its retained digest is a redacted entry (payload null). An
     * erased payload without one cannot be written (the V20 trigger), and stays the empty bytes it is, which no hash
     * commits to: it fails verification.
     */
    public static StoredEntry entry(String tenantId, long sequence, String eventId, String type, String revision, String recordedAt,
                                    byte[] payload, byte[] metadata, byte[] prevHash, byte[] hash, byte[] retainedDigest) {
        if (retainedDigest != null && payload != null && payload.length == 0) {
            return new StoredEntry(tenantId, sequence, eventId, type, revision, recordedAt, null, retainedDigest, metadata, prevHash, hash);
        }
        return StoredEntry.of(tenantId, sequence, eventId, type, revision, recordedAt, payload, metadata, prevHash, hash);
    }
}
