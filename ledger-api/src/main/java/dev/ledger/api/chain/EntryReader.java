package dev.ledger.api.chain;

import dev.ledger.core.chain.StoredEntry;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/** Reads entries back exactly as stored: the bytes the chain commits to, and the link beside them. */
@Component
public class EntryReader {

    /** The stored columns of an entry, in the order {@link #map} reads them. */
    public static final String COLUMNS = "aggregate_identifier, sequence_number, event_identifier, payload_type, payload_revision,"
            + " time_stamp, payload, meta_data, prev_hash, entry_hash";
    private final JdbcTemplate jdbc;

    public EntryReader(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    public List<StoredEntry> byEventIds(List<String> eventIds) {
        return jdbc.query(con -> {
            var ps = con.prepareStatement("select " + COLUMNS + " from domain_event_entry where event_identifier = any(?)"
                    + " order by global_index");
            ps.setArray(1, con.createArrayOf("varchar", eventIds.toArray()));
            return ps;
        }, (rs, i) -> map(rs));
    }

    /** One row of {@link #COLUMNS} as the stored entry. */
    public static StoredEntry map(ResultSet rs) throws SQLException {
        return StoredEntry.of(rs.getString(1), rs.getLong(2) + 1, rs.getString(3), rs.getString(4), rs.getString(5),
                rs.getString(6), rs.getBytes(7), rs.getBytes(8), rs.getBytes(9), rs.getBytes(10));
    }
}
