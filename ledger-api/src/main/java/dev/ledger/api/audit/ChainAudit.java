package dev.ledger.api.audit;

import dev.ledger.api.chain.EntryReader;
import dev.ledger.core.chain.StoredEntry;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.function.Consumer;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;

/** Streams a tenant's stored entries in sequence order straight from the database (a cursor, never the whole chain). */
@Component
public class ChainAudit {

    private final JdbcTemplate jdbc;

    public ChainAudit(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** Entries with from &lt;= sequence &lt;= to, in order, each handed to the consumer. */
    @Transactional(readOnly = true)
    public void stream(String tenantId, long from, long to, Consumer<StoredEntry> each) {
        jdbc.query(con -> {
            PreparedStatement ps = con.prepareStatement("select " + EntryReader.COLUMNS + " from domain_event_entry"
                    + " where aggregate_identifier = ? and sequence_number between ? and ? order by sequence_number");
            ps.setString(1, tenantId);
            ps.setLong(2, from - 1);
            ps.setLong(3, to - 1);
            ps.setFetchSize(5000);
            return ps;
        }, (ResultSet rs) -> {
            each.accept(EntryReader.map(rs));
        });
    }

    /** The latest sequence of the tenant's chain and its stored hash, or sequence 0 for none. */
    public Head head(String tenantId) {
        return jdbc.query("select sequence_number + 1, entry_hash from domain_event_entry where aggregate_identifier = ?"
                        + " order by sequence_number desc limit 1",
                rs -> rs.next() ? new Head(rs.getLong(1), rs.getBytes(2)) : new Head(0, null), tenantId);
    }

    /** The stored hash of one entry, or null. */
    public byte[] hashAt(String tenantId, long sequence) {
        return jdbc.query("select entry_hash from domain_event_entry where aggregate_identifier = ? and sequence_number = ?",
                rs -> rs.next() ? rs.getBytes(1) : null, tenantId, sequence - 1);
    }

    public record Head(long sequence, byte[] hash) {
    }
}
