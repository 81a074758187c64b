package dev.ledger.api.finance;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.ledger.api.web.QueryParams;
import io.swagger.v3.oas.annotations.media.Schema;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The three-way reconciliation of a UTC calendar month, per tenant and meter, from the finance projection: the
 * ledger's quantity (billable units recorded in the month), the quantity reported to Stripe (usage windows starting in
 * the month) and Stripe's (the latest recorded in the chain, or the one a run is handed).
 *
 * <p>Status: {@code PENDING} while the month is not over or Stripe's quantity is unknown; {@code MATCH} when the three
 * agree; else {@code MISMATCH}, with its kinds: {@code late_usage} (units recorded into windows after they were
 * reported, the windows listed) as far as late units account for a difference of ledger and reported, and
 * {@code not_reported} for the rest of it (the hours whose units and reports differ); {@code stripe_missing} / {@code stripe_extra} when Stripe holds fewer /
 * more units than were reported (the month is the window). Windows are listed up to {@link #WINDOWS} per kind.
 */
@Component
public class Reconciliations {

    static final int WINDOWS = 50;

    @Schema(description = "A window of ledger time and the units concerned")
    public record Window(String start, String end, long quantity) {
    }

    @Schema(description = "One kind of mismatch: `late_usage`, `not_reported`, `stripe_missing` or `stripe_extra`, the units "
            + "it accounts for and the windows involved")
    public record Mismatch(String kind, long quantity, List<Window> windows) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @Schema(description = "One tenant's meter in the month; `stripe_quantity` null while unknown, `stripe_source` where the "
            + "chain recorded it (`reconciliation`, `invoice_witness`, `invoice_hold`, or `run` for the figure just handed in)")
    public record Row(String tenantId, String meter, long ledgerQuantity, long reportedQuantity, Long stripeQuantity,
                      String stripeSource, Long stripeSequence, String status, List<Mismatch> mismatches) {
    }

    @Schema(description = "A month's reconciliation, mismatches first, then pending, then matches", example = """
            {"period":"2026-11","period_start":"2026-11-01T00:00:00Z","period_end":"2026-12-01T00:00:00Z","closed":true,
             "rows":[{"tenant_id":"acme","meter":"tokens","ledger_quantity":1500,"reported_quantity":1200,
             "stripe_quantity":1200,"stripe_source":"invoice_witness","stripe_sequence":812,"status":"MISMATCH",
             "mismatches":[{"kind":"late_usage","quantity":300,"windows":[{"start":"2026-11-30T23:55:00Z",
             "end":"2026-12-01T00:00:00Z","quantity":300}]}]}]}""")
    public record Reconciliation(String period, String periodStart, String periodEnd, boolean closed, List<Row> rows) {
    }

    private final JdbcTemplate jdbc;
    private final Clock clock;

    public Reconciliations(JdbcTemplate jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** {@code YYYY-MM}, or 400 invalid_parameter. */
    static YearMonth period(String period) {
        return QueryParams.month("period", period);
    }

    /**
     * The month's rows for one tenant or (tenant null) all; {@code stripe}: Stripe's quantity per meter handed in by a
     * run of that one tenant, which stands in for the recorded one.
     */
    public Reconciliation compute(YearMonth month, String tenant, Map<String, Long> stripe) {
        Instant start = month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant end = month.plusMonths(1).atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        boolean closed = !clock.instant().isBefore(end);
        record Figures(String tenant, String meter, long ledger, long reported, long late, Long stripe, String source, Long sequence) {
        }
        List<Figures> figures = new ArrayList<>();
        jdbc.query("with u as (select tenant_id, meter, sum(ledger_quantity)::bigint l, sum(reported_quantity)::bigint r, "
                + "sum(late_quantity)::bigint late from finance_usage_hour where hour >= ? and hour < ? "
                + "and (?::varchar is null or tenant_id = ?) group by tenant_id, meter), "
                + "s as (select tenant_id, meter, quantity, source, sequence from finance_stripe_quantity where period = ? "
                + "and (?::varchar is null or tenant_id = ?)) "
                + "select coalesce(u.tenant_id, s.tenant_id), coalesce(u.meter, s.meter), coalesce(u.l, 0), coalesce(u.r, 0), "
                + "coalesce(u.late, 0), s.quantity, s.source, s.sequence from u full join s "
                + "on u.tenant_id = s.tenant_id and u.meter = s.meter", rs -> {
                    figures.add(new Figures(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getLong(5),
                            rs.getObject(6, Long.class), rs.getString(7), rs.getObject(8, Long.class)));
                }, Timestamp.from(start), Timestamp.from(end), tenant, tenant, Date.valueOf(month.atDay(1)), tenant, tenant);
        if (tenant != null) {
            for (String meter : stripe.keySet()) {
                if (figures.stream().noneMatch(f -> f.meter().equals(meter))) {
                    figures.add(new Figures(tenant, meter, 0, 0, 0, null, null, null));
                }
            }
        }
        List<Row> rows = new ArrayList<>();
        for (Figures f : figures) {
            Long stripeQuantity = f.stripe();
            String source = f.source();
            Long sequence = f.sequence();
            if (tenant != null && stripe.containsKey(f.meter())) {
                stripeQuantity = stripe.get(f.meter());
                source = "run";
                sequence = null;
            }
            String status;
            List<Mismatch> mismatches = new ArrayList<>();
            if (!closed || stripeQuantity == null) {
                status = "PENDING";
            } else if (f.ledger() == f.reported() && f.reported() == stripeQuantity) {
                status = "MATCH";
            } else {
                status = "MISMATCH";
                long unreported = Math.subtractExact(f.ledger(), f.reported());
                long late = 0;
                if (unreported != 0 && f.late() > 0) {
                    late = Math.min(f.late(), Math.abs(unreported));
                    mismatches.add(new Mismatch("late_usage", late, lateWindows(f.tenant(), f.meter(), start, end)));
                }
                long left = Math.abs(unreported) - late;
                if (left > 0) {
                    mismatches.add(new Mismatch("not_reported", left, unreportedHours(f.tenant(), f.meter(), start, end)));
                }
                long stripeDifference = Math.subtractExact(stripeQuantity, f.reported());
                Window month1 = new Window(start.toString(), end.toString(), Math.abs(stripeDifference));
                if (stripeDifference < 0) {
                    mismatches.add(new Mismatch("stripe_missing", -stripeDifference, List.of(month1)));
                } else if (stripeDifference > 0) {
                    mismatches.add(new Mismatch("stripe_extra", stripeDifference, List.of(month1)));
                }
            }
            rows.add(new Row(f.tenant(), f.meter(), f.ledger(), f.reported(), stripeQuantity, source, sequence, status, mismatches));
        }
        rows.sort(Comparator.comparingInt((Row r) -> switch (r.status()) {
            case "MISMATCH" -> 0;
            case "PENDING" -> 1;
            default -> 2;
        }).thenComparing(Row::tenantId).thenComparing(Row::meter));
        return new Reconciliation(month.toString(), start.toString(), end.toString(), closed, rows);
    }

    private List<Window> lateWindows(String tenant, String meter, Instant start, Instant end) {
        return jdbc.query("select window_start, window_end, quantity from finance_late_usage where tenant_id = ? and meter = ? "
                + "and window_start >= ? and window_start < ? order by window_start limit " + WINDOWS,
                (rs, i) -> new Window(rs.getTimestamp(1).toInstant().toString(), rs.getTimestamp(2).toInstant().toString(),
                        rs.getLong(3)), tenant, meter, Timestamp.from(start), Timestamp.from(end));
    }

    private List<Window> unreportedHours(String tenant, String meter, Instant start, Instant end) {
        return jdbc.query("select hour, ledger_quantity - reported_quantity from finance_usage_hour where tenant_id = ? "
                + "and meter = ? and hour >= ? and hour < ? and ledger_quantity <> reported_quantity order by hour limit " + WINDOWS,
                (rs, i) -> {
                    Instant h = rs.getTimestamp(1).toInstant();
                    return new Window(h.toString(), h.plusSeconds(3600).toString(), Math.abs(rs.getLong(2)));
                }, tenant, meter, Timestamp.from(start), Timestamp.from(end));
    }
}
