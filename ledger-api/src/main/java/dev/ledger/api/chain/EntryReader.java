package dev.ledger.api.chain;

import dev.ledger.core.chain.StoredEntry;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Reads entries back exactly as stored: the bytes the chain commits to, and the link beside them. */
public final class EntryReader {

    /** The stored columns of an entry, in the order {@link #map} reads them. */
    public static final String COLUMNS = "aggregate_identifier, sequence_number, event_identifier, payload_type, payload_revision,"
            + " time_stamp, payload, meta_data, prev_hash, entry_hash";

    private EntryReader() {
    }

    /** One row of {@link #COLUMNS} as the stored entry. */
    public static StoredEntry map(ResultSet rs) throws SQLException {
        return StoredEntry.of(rs.getString(1), rs.getLong(2) + 1, rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getBytes(7), rs.getBytes(8), rs.getBytes(9), rs.getBytes(10));
    }
}
