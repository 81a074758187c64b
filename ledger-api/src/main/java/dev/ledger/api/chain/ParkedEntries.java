package dev.ledger.api.chain;

import dev.ledger.core.chain.StoredEntry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Entries Kafka refused for a reason of their own, set aside so that publication goes on for every other entry
 * (table publication_parked). Counted by the gauge {@code ledger_publication_parked}: an alert on it above zero.
 */
@Component
public class ParkedEntries {

    /** One parked entry, as the admin endpoint lists it. */
    public record Parked(String tenantId, long sequence, String eventId, long recordBytes, String reason, String parkedAt) {
    }

    static final int LISTED = 1000;
    private final JdbcTemplate jdbc;
    private final AtomicLong count = new AtomicLong();

    public ParkedEntries(JdbcTemplate jdbc, MeterRegistry metrics) {
        this.jdbc = jdbc;
        Gauge.builder("ledger.publication.parked", count, AtomicLong::get)
                .description("entries Kafka refused and the publisher set aside (GET /v1/admin/publication/parked)").register(metrics);
    }

    /** Records the entries in the caller's transaction (the publisher's, with its tracking token). */
    void park(List<Map.Entry<StoredEntry, ParkReason>> entries) {
        jdbc.batchUpdate("insert into publication_parked (tenant_id, sequence, event_id, record_bytes, reason) values (?, ?, ?, ?, ?)"
                + " on conflict do nothing", entries, entries.size(), (ps, e) -> {
                    ps.setString(1, e.getKey().tenantId());
                    ps.setLong(2, e.getKey().sequence());
                    ps.setString(3, e.getKey().eventId());
                    ps.setLong(4, e.getValue().recordBytes());
                    ps.setString(5, e.getValue().reason());
                });
    }

    /** Why one entry was parked: Kafka's error class (never its message, which may quote the record) and the size. */
    record ParkReason(String reason, long recordBytes) {
        static ParkReason of(Throwable error, long recordBytes) {
            return new ParkReason(error.getClass().getSimpleName(), recordBytes);
        }
    }

    /** Reads the count again (after a park commits, and on every reconciliation). */
    public void refresh() {
        Long n = jdbc.queryForObject("select count(*) from publication_parked", Long.class);
        count.set(n == null ? 0 : n);
    }

    public long count() {
        return count.get();
    }

    /** The first parked entries, oldest first. */
    public List<Parked> list() {
        return jdbc.query("select tenant_id, sequence, event_id, record_bytes, reason, parked_at from publication_parked"
                        + " order by parked_at, tenant_id, sequence limit " + LISTED,
                (rs, i) -> new Parked(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getLong(4), rs.getString(5),
                        rs.getObject(6, java.time.OffsetDateTime.class).toInstant().toString()));
    }
}
