package dev.ledger.api.finance;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.ledger.api.auth.Caller;
import dev.ledger.api.checkpoint.CheckpointService;
import dev.ledger.api.read.ChainAudit;
import dev.ledger.api.read.ReadLimits;
import dev.ledger.api.web.ApiProblem;
import dev.ledger.api.web.ProblemCodes;
import dev.ledger.api.web.QueryParams;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.usage.BillableMetadata;
import dev.ledger.core.usage.UsageRecorded;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Finance's read side, from the finance projection (never a scan of the chains at request time, but for an invoice's
 * drill-down, which reads the entries it lists): usage buckets, invoices with the ledger's witness, an invoice's
 * usage entries with their inclusion proofs, and the three-way reconciliation of a month. Each answers JSON, or
 * {@code text/csv} when asked with {@code Accept: text/csv}.
 */
@RestController
@Tag(name = "Finance")
public class FinanceController {

    private static final Set<String> INVOICE_STATUSES = Set.of("draft", "open", "paid", "uncollectible", "void");
    private static final String JSON = "application/json";

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @Schema(description = "Units of one meter of one tenant recorded in [start, end) of ledger time (`ledger_quantity`), "
            + "reported to Stripe in usage windows starting then (`reported_quantity`), and recorded into a window after it "
            + "was reported (`late_quantity`, also in `ledger_quantity`)")
    public record Bucket(String tenantId, String meter, String start, String end, long ledgerQuantity, long reportedQuantity,
                         long lateQuantity) {
    }

    @Schema(description = "Usage buckets, only those with any units, by tenant, meter and start", example = """
            {"granularity":"day","from":"2026-11-01T00:00:00Z","to":"2026-12-01T00:00:00Z","buckets":[{"tenant_id":"acme",
             "meter":"tokens","start":"2026-11-03T00:00:00Z","end":"2026-11-04T00:00:00Z","ledger_quantity":1200,
             "reported_quantity":1200,"late_quantity":0}]}""")
    public record Usage(String granularity, String from, String to, List<Bucket> buckets) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @Schema(description = "An invoice as Stripe last showed it (by status rank, then event time), with the ledger's word on "
            + "it: `ledger_checkpoint` when witnessed (the signed checkpoint written into its metadata), or `held` with the "
            + "reason. `period_start`/`period_end`: the billed period (the witness's, else Stripe's)")
    public record Invoice(String invoiceId, String tenantId, String customerId, String status, Long amountDue, Long amountPaid,
                          Long amountRemaining, String currency, String periodStart, String periodEnd, String ledgerCheckpoint,
                          Long checkpointSize, Long witnessedSequence, boolean held, String heldReason, String heldDetail,
                          Long heldSequence) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "A page of invoices by invoice id; `next_after` is the `after` of the next page, absent on the last",
            example = """
            {"invoices":[{"invoice_id":"in_1QxY2a","tenant_id":"acme","customer_id":"cus_Qx1","status":"paid","amount_due":1200,
             "amount_paid":1200,"amount_remaining":0,"currency":"usd","period_start":"2026-11-01T00:00:00Z",
             "period_end":"2026-12-01T00:00:00Z","ledger_checkpoint":"ledger-checkpoint/v1 tenant=acme size=812 root=… issued_at=… key_id=… sig=…",
             "checkpoint_size":812,"witnessed_sequence":813,"held":false}],"next_after":"in_1QxY2a"}""")
    public record Invoices(List<Invoice> invoices, String nextAfter) {
    }

    @Schema(description = "An RFC 6962 inclusion proof of the entry in the tree of the invoice's checkpoint")
    public record EntryProof(long treeSize, long leafIndex, List<String> auditPath, String rootHash) {
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    @Schema(description = "A usage entry the invoice was computed from: what it bills (its hashed meter/quantity metadata)")
    public record InvoiceEntry(long sequence, String type, String recordedAt, String meter, long quantity, String hash,
                               EntryProof proof) {
    }

    @Schema(description = "The checkpoint an invoice was witnessed with")
    public record InvoiceCheckpoint(long size, String rootHash, String ledgerCheckpoint) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(description = "The entries an invoice was computed from (billable entries recorded in its period, within its "
            + "checkpoint), each with its inclusion proof against the checkpoint; without a checkpoint (held, or not yet "
            + "witnessed) the entries through the hold or the head, without proofs", example = """
            {"invoice_id":"in_1QxY2a","tenant_id":"acme","period_start":"2026-11-01T00:00:00Z","period_end":"2026-12-01T00:00:00Z",
             "checkpoint":{"size":812,"root_hash":"e0fc6de0cb69c1b85dc204c7f10d29f98bb909e6275bbf46695bc3c6775990e6",
             "ledger_checkpoint":"ledger-checkpoint/v1 tenant=acme size=812 root=… issued_at=… key_id=… sig=…"},
             "entries":[{"sequence":3,"type":"UsageRecorded","recorded_at":"2026-11-03T10:00:00.123Z","meter":"tokens",
             "quantity":1200,"hash":"7eb764d539cb0cb333331a9ebbd63b9c87670655acbbaec48add28d7f5e361b7","proof":{"tree_size":812,
             "leaf_index":2,"audit_path":["44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"],
             "root_hash":"e0fc6de0cb69c1b85dc204c7f10d29f98bb909e6275bbf46695bc3c6775990e6"}}],"next_after":3}""")
    public record InvoiceEntries(String invoiceId, String tenantId, String periodStart, String periodEnd,
                                 InvoiceCheckpoint checkpoint, List<InvoiceEntry> entries, Long nextAfter) {
    }

    private final JdbcTemplate jdbc;
    private final ChainAudit audit;
    private final CheckpointService checkpoints;
    private final ReadLimits limits;
    private final Reconciliations reconciliations;
    private final Clock clock;

    public FinanceController(JdbcTemplate jdbc, ChainAudit audit, CheckpointService checkpoints, ReadLimits limits,
                             Reconciliations reconciliations, Clock clock) {
        this.jdbc = jdbc;
        this.audit = audit;
        this.checkpoints = checkpoints;
        this.limits = limits;
        this.reconciliations = reconciliations;
        this.clock = clock;
    }

    // ---- usage

    private record UsageQuery(String tenant, String meter, String granularity, Instant from, Instant to) {
    }

    private UsageQuery usageQuery(Caller caller, String tenantId, String meter, String from, String to, String granularity) {
        String tenant = FinanceAccess.tenant(caller, tenantId, jdbc);
        String g = granularity == null || granularity.isBlank() ? "day" : granularity;
        if (!g.equals("hour") && !g.equals("day")) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", "granularity is hour or day.");
        }
        ChronoUnit unit = g.equals("hour") ? ChronoUnit.HOURS : ChronoUnit.DAYS;
        Instant end = QueryParams.instant("to", to);
        Instant start = QueryParams.instant("from", from);
        if (end == null) {
            end = clock.instant().truncatedTo(unit).plus(1, unit);
        } else if (!end.truncatedTo(unit).equals(end)) {
            end = end.truncatedTo(unit).plus(1, unit);
        }
        start = start == null ? end.minus(g.equals("hour") ? Duration.ofHours(48) : Duration.ofDays(31)) : start.truncatedTo(unit);
        if (!start.isBefore(end)) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", "from must be before to.");
        }
        Duration most = g.equals("hour") ? Duration.ofDays(31) : Duration.ofDays(366);
        if (Duration.between(start, end).compareTo(most) > 0) {
            throw new ApiProblem(HttpStatus.UNPROCESSABLE_ENTITY, "invalid_range", "At most " + most.toDays()
                    + " days of " + g + " buckets at once.");
        }
        if (meter != null && !meter.isBlank() && !meter.matches("[A-Za-z0-9._:@/-]{1,100}")) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", "meter is a meter name of 1-100 characters.");
        }
        if (tenant != null) {
            limits.cheap(tenant);
        }
        return new UsageQuery(tenant, meter == null || meter.isBlank() ? null : meter, g, start, end);
    }

    private void buckets(UsageQuery q, RowSink<Bucket> each) {
        ChronoUnit unit = q.granularity().equals("hour") ? ChronoUnit.HOURS : ChronoUnit.DAYS;
        jdbc.query("select tenant_id, meter, date_trunc(?, hour, 'UTC') as bucket, sum(ledger_quantity)::bigint, "
                + "sum(reported_quantity)::bigint, sum(late_quantity)::bigint from finance_usage_hour "
                + "where hour >= ? and hour < ? and (?::varchar is null or tenant_id = ?) and (?::varchar is null or meter = ?) "
                + "group by tenant_id, meter, bucket order by tenant_id, meter, bucket", rs -> {
                    Instant start = rs.getTimestamp(3).toInstant();
                    each.accept(new Bucket(rs.getString(1), rs.getString(2), start.toString(), start.plus(1, unit).toString(),
                            rs.getLong(4), rs.getLong(5), rs.getLong(6)));
                }, q.granularity(), Timestamp.from(q.from()), Timestamp.from(q.to()), q.tenant(), q.tenant(), q.meter(), q.meter());
    }

    @Operation(summary = "Usage buckets", operationId = "getFinanceUsage",
            description = "Scope finance:read (own tenant) or the admin key (one tenant with `tenant_id`, else all). Units by "
                    + "`granularity` hour or day (UTC, default day) of ledger time in [`from`, `to`) (ISO-8601 instants, "
                    + "widened to whole buckets; default the last 31 days, or 48 hours of hours; at most 366 days of days or "
                    + "31 of hours), per tenant and meter, with the quantity reported to Stripe. From the finance projection, "
                    + "which follows the chains within about a second. `Accept: text/csv` answers the same rows as CSV.")
    @ApiResponse(responseCode = "200", description = "The buckets", content = {
            @Content(mediaType = JSON, schema = @Schema(implementation = Usage.class)),
            @Content(mediaType = Csv.MEDIA_TYPE, schema = @Schema(type = "string",
                    example = "tenant_id,meter,start,end,ledger_quantity,reported_quantity,late_quantity\r\n"))})
    @ProblemCodes({"insufficient_scope", "not_found", "invalid_parameter", "invalid_range", "read_rate_limited"})
    @GetMapping(value = "/v1/finance/usage", produces = JSON)
    public Usage usage(Caller caller, @RequestParam(name = "tenant_id", required = false) String tenantId,
                       @RequestParam(required = false) String meter, @RequestParam(required = false) String from,
                       @RequestParam(required = false) String to, @RequestParam(required = false) String granularity) {
        UsageQuery q = usageQuery(caller, tenantId, meter, from, to, granularity);
        List<Bucket> out = new ArrayList<>();
        buckets(q, out::add);
        return new Usage(q.granularity(), q.from().toString(), q.to().toString(), out);
    }

    @Operation(hidden = true)
    @GetMapping(value = "/v1/finance/usage", produces = Csv.MEDIA_TYPE)
    public void usageCsv(Caller caller, @RequestParam(name = "tenant_id", required = false) String tenantId,
                         @RequestParam(required = false) String meter, @RequestParam(required = false) String from,
                         @RequestParam(required = false) String to, @RequestParam(required = false) String granularity,
                         HttpServletResponse response) throws IOException {
        UsageQuery q = usageQuery(caller, tenantId, meter, from, to, granularity);
        String name = "usage-" + (q.tenant() == null ? "all" : q.tenant()) + "-" + q.granularity() + "-" + day(q.from()) + "-"
                + day(q.to()) + ".csv";
        try (Csv csv = Csv.start(response, name, List.of("tenant_id", "meter", "start", "end", "ledger_quantity",
                "reported_quantity", "late_quantity"))) {
            buckets(q, b -> csv.row(b.tenantId(), b.meter(), b.start(), b.end(), b.ledgerQuantity(), b.reportedQuantity(),
                    b.lateQuantity()));
        }
    }

    // ---- invoices

    private record InvoiceQuery(String tenant, String status, Boolean held, String after, int limit) {
    }

    private InvoiceQuery invoiceQuery(Caller caller, String tenantId, String status, String held, String after, int limit) {
        String tenant = FinanceAccess.tenant(caller, tenantId, jdbc);
        if (status != null && !status.isBlank() && !INVOICE_STATUSES.contains(status)) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", "status is one of draft, open, paid, uncollectible, void.");
        }
        if (held != null && !held.isBlank() && !held.equals("true") && !held.equals("false")) {
            throw new ApiProblem(HttpStatus.BAD_REQUEST, "invalid_parameter", "held is true or false.");
        }
        QueryParams.pageLimit(limit);
        if (tenant != null) {
            limits.cheap(tenant);
        }
        return new InvoiceQuery(tenant, status == null || status.isBlank() ? null : status,
                held == null || held.isBlank() ? null : Boolean.valueOf(held), after == null ? "" : after, limit);
    }

    private static final String INVOICE_COLUMNS = "invoice_id, tenant_id, customer_id, status, amount_due, amount_paid, "
            + "amount_remaining, currency, coalesce(witness_period_start, period_start), coalesce(witness_period_end, period_end), "
            + "ledger_checkpoint, checkpoint_size, witness_sequence, held_reason, held_detail, held_sequence";

    private static Invoice invoice(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Invoice(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), (Long) rs.getObject(5, Long.class),
                rs.getObject(6, Long.class), rs.getObject(7, Long.class), rs.getString(8), text(rs.getTimestamp(9)),
                text(rs.getTimestamp(10)), rs.getString(11), rs.getObject(12, Long.class), rs.getObject(13, Long.class),
                rs.getString(14) != null, rs.getString(14), rs.getString(15), rs.getObject(16, Long.class));
    }

    private void invoices(InvoiceQuery q, int limit, RowSink<Invoice> each) {
        jdbc.query("select " + INVOICE_COLUMNS + " from finance_invoice where invoice_id > ? "
                + "and (?::varchar is null or tenant_id = ?) and (?::varchar is null or status = ?) "
                + "and (?::boolean is null or (held_reason is not null) = ?) order by invoice_id limit ?",
                rs -> {
                    each.accept(invoice(rs));
                }, q.after(), q.tenant(), q.tenant(), q.status(), q.status(), q.held(), q.held(), limit);
    }

    @Operation(summary = "Invoices", operationId = "listFinanceInvoices",
            description = "Scope finance:read (own tenant) or the admin key (one tenant with `tenant_id`, else all). The invoice "
                    + "projection, by invoice id after `after`, at most `limit` (1-1000, default 100); optionally only of Stripe "
                    + "`status` or `held` (true/false). `Accept: text/csv` answers every matching invoice as CSV.")
    @ApiResponse(responseCode = "200", description = "A page of invoices", content = {
            @Content(mediaType = JSON, schema = @Schema(implementation = Invoices.class)),
            @Content(mediaType = Csv.MEDIA_TYPE, schema = @Schema(type = "string", example = "invoice_id,tenant_id,customer_id,"
                    + "status,amount_due,amount_paid,amount_remaining,currency,period_start,period_end,ledger_checkpoint,"
                    + "checkpoint_size,witnessed_sequence,held,held_reason,held_detail\r\nin_1QxY2a,acme,cus_Qx1,paid,1200,1200,0,usd,"
                    + "2026-11-01T00:00:00Z,2026-12-01T00:00:00Z,ledger-checkpoint/v1 …,812,813,false,,\r\n"))})
    @ProblemCodes({"insufficient_scope", "not_found", "invalid_parameter", "read_rate_limited"})
    @GetMapping(value = "/v1/finance/invoices", produces = JSON)
    public Invoices invoices(Caller caller, @RequestParam(name = "tenant_id", required = false) String tenantId,
                             @RequestParam(required = false) String status, @RequestParam(required = false) String held,
                             @RequestParam(required = false) String after, @RequestParam(defaultValue = "100") int limit) {
        InvoiceQuery q = invoiceQuery(caller, tenantId, status, held, after, limit);
        List<Invoice> out = new ArrayList<>();
        invoices(q, q.limit(), out::add);
        return new Invoices(out, out.size() == q.limit() ? out.get(out.size() - 1).invoiceId() : null);
    }

    @Operation(hidden = true)
    @GetMapping(value = "/v1/finance/invoices", produces = Csv.MEDIA_TYPE)
    public void invoicesCsv(Caller caller, @RequestParam(name = "tenant_id", required = false) String tenantId,
                            @RequestParam(required = false) String status, @RequestParam(required = false) String held,
                            @RequestParam(required = false) String after, HttpServletResponse response) throws IOException {
        InvoiceQuery q = invoiceQuery(caller, tenantId, status, held, after, 1000);
        try (Csv csv = Csv.start(response, "invoices-" + (q.tenant() == null ? "all" : q.tenant()) + ".csv", List.of("invoice_id",
                "tenant_id", "customer_id", "status", "amount_due", "amount_paid", "amount_remaining", "currency", "period_start",
                "period_end", "ledger_checkpoint", "checkpoint_size", "witnessed_sequence", "held", "held_reason", "held_detail"))) {
            invoices(q, Integer.MAX_VALUE, i -> csv.row(i.invoiceId(), i.tenantId(), i.customerId(), i.status(), i.amountDue(),
                    i.amountPaid(), i.amountRemaining(), i.currency(), i.periodStart(), i.periodEnd(), i.ledgerCheckpoint(),
                    i.checkpointSize(), i.witnessedSequence(), i.held(), i.heldReason(), i.heldDetail()));
        }
    }

    // ---- an invoice's entries

    /** How many entries one drill-down page looks at, at most. */
    static final long DRILL_SCAN = 100_000;

    private record Drill(Invoice invoice, Instant start, Instant end, byte[] root, long bound) {
    }

    private Drill drill(Caller caller, String invoiceId, int limit, long after) {
        String tenant = FinanceAccess.tenant(caller, null, jdbc);
        QueryParams.pageLimit(limit);
        QueryParams.after(after);
        List<Object[]> found = new ArrayList<>();
        jdbc.query("select " + INVOICE_COLUMNS + ", checkpoint_root from finance_invoice where invoice_id = ? "
                + "and (?::varchar is null or tenant_id = ?)", rs -> {
                    found.add(new Object[] {invoice(rs), rs.getBytes(17)});
                }, invoiceId, tenant, tenant);
        if (found.isEmpty()) {
            throw ApiProblem.notFound("Invoice " + invoiceId);
        }
        Invoice inv = (Invoice) found.get(0)[0];
        limits.cheap(inv.tenantId());
        long bound;
        if (inv.checkpointSize() != null) {
            bound = inv.checkpointSize();
        } else if (inv.heldSequence() != null) {
            bound = inv.heldSequence() - 1;
        } else {
            bound = checkpoints.head(inv.tenantId());
        }
        return new Drill(inv, inv.periodStart() == null ? null : Instant.parse(inv.periodStart()),
                inv.periodEnd() == null ? null : Instant.parse(inv.periodEnd()), (byte[]) found.get(0)[1], bound);
    }

    private Long drillEntries(Drill d, long after, int limit, RowSink<InvoiceEntry> each) {
        if (d.start() == null || d.end() == null) {
            return null;
        }
        String tenant = d.invoice().tenantId();
        long[] range = jdbc.query("select min(first_sequence), max(last_sequence) from finance_usage_hour where tenant_id = ? "
                + "and hour >= ? and hour < ?", rs -> {
                    rs.next();
                    return rs.getObject(1) == null ? null : new long[] {rs.getLong(1), rs.getLong(2)};
                }, tenant, Timestamp.from(d.start().truncatedTo(ChronoUnit.HOURS)), Timestamp.from(d.end()));
        if (range == null) {
            return null;
        }
        long from = Math.max(after + 1, range[0]);
        long to = Math.min(range[1], d.bound());
        long scanTo = Math.min(to, from > Long.MAX_VALUE - DRILL_SCAN ? Long.MAX_VALUE : from + DRILL_SCAN - 1);
        List<InvoiceEntry> page = new ArrayList<>(limit);
        try (ChainAudit.Session session = audit.open()) {
            for (long next = from; page.size() < limit && next <= scanTo; ) {
                long chunkTo = Math.min(scanTo, next + Math.max(limit, 1000) - 1);
                session.filtered(tenant, next, chunkTo, List.of(), d.start(), d.end(), Integer.MAX_VALUE, e -> {
                    BillableMetadata b = BillableMetadata.read(e.metadata(), UsageRecorded.MAX_QUANTITY);
                    if (page.size() < limit && b.bills()) {
                        page.add(new InvoiceEntry(e.sequence(), LedgerJson.shortType(e.type()), e.recordedAt(), b.meter(),
                                b.quantity(), Hex.of(e.hash()), null));
                    }
                });
                next = chunkTo + 1;
            }
        }
        Long nextAfter;
        if (page.size() == limit) {
            long lastListed = page.get(page.size() - 1).sequence();
            nextAfter = lastListed < to ? lastListed : null;
        } else {
            nextAfter = scanTo < to ? scanTo : null;
        }
        for (InvoiceEntry e : page) {
            EntryProof proof = null;
            if (d.root() != null) {
                CheckpointService.Proof p = checkpoints.inclusion(tenant, e.sequence(), d.bound());
                proof = new EntryProof(d.bound(), e.sequence() - 1, p.path().stream().map(Hex::of).toList(), Hex.of(p.root()));
            }
            each.accept(new InvoiceEntry(e.sequence(), e.type(), e.recordedAt(), e.meter(), e.quantity(), e.hash(), proof));
        }
        return nextAfter;
    }

    @Operation(summary = "The entries an invoice was computed from", operationId = "listFinanceInvoiceEntries",
            description = "Scope finance:read (own tenant) or the admin key. The billable entries recorded in the invoice's "
                    + "period and within its checkpoint, after sequence `after`, at most `limit` (1-1000, default 100), each "
                    + "with its inclusion proof against the checkpoint the invoice carries; a page looks at " + DRILL_SCAN
                    + " entries at most and may be short with `next_after`. `Accept: text/csv` answers the page as CSV.")
    @ApiResponse(responseCode = "200", description = "A page of the invoice's entries", content = {
            @Content(mediaType = JSON, schema = @Schema(implementation = InvoiceEntries.class)),
            @Content(mediaType = Csv.MEDIA_TYPE, schema = @Schema(type = "string", example = "sequence,type,recorded_at,meter,"
                    + "quantity,hash,tree_size,audit_path,root_hash\r\n3,UsageRecorded,2026-11-03T10:00:00.123Z,tokens,1200,7eb7…,812,"
                    + "4413… 9a0b…,e0fc…\r\n"))})
    @ProblemCodes({"insufficient_scope", "not_found", "invalid_parameter", "read_rate_limited"})
    @GetMapping(value = "/v1/finance/invoices/{invoiceId}/entries", produces = JSON)
    public InvoiceEntries invoiceEntries(Caller caller, @PathVariable String invoiceId,
                                         @RequestParam(defaultValue = "0") long after, @RequestParam(defaultValue = "100") int limit)
            throws IOException {
        Drill d = drill(caller, invoiceId, limit, after);
        List<InvoiceEntry> out = new ArrayList<>();
        Long next = drillEntries(d, after, limit, out::add);
        InvoiceCheckpoint cp = d.root() == null ? null
                : new InvoiceCheckpoint(d.bound(), Hex.of(d.root()), d.invoice().ledgerCheckpoint());
        return new InvoiceEntries(invoiceId, d.invoice().tenantId(), d.invoice().periodStart(), d.invoice().periodEnd(), cp, out,
                next);
    }

    @Operation(hidden = true)
    @GetMapping(value = "/v1/finance/invoices/{invoiceId}/entries", produces = Csv.MEDIA_TYPE)
    public void invoiceEntriesCsv(Caller caller, @PathVariable String invoiceId, @RequestParam(defaultValue = "0") long after,
                                  @RequestParam(defaultValue = "1000") int limit, HttpServletResponse response) throws IOException {
        Drill d = drill(caller, invoiceId, limit, after);
        try (Csv csv = Csv.start(response, "invoice-" + invoiceId + "-entries.csv", List.of("sequence", "type", "recorded_at",
                "meter", "quantity", "hash", "tree_size", "audit_path", "root_hash"))) {
            drillEntries(d, after, limit, e -> csv.row(e.sequence(), e.type(), e.recordedAt(), e.meter(), e.quantity(), e.hash(),
                    e.proof() == null ? null : e.proof().treeSize(), e.proof() == null ? null : String.join(" ", e.proof().auditPath()),
                    e.proof() == null ? null : e.proof().rootHash()));
        }
    }

    // ---- reconciliation

    @Operation(summary = "Reconciliation of a month", operationId = "getFinanceReconciliation",
            description = "Scope finance:read (own tenant) or the admin key (one tenant with `tenant_id`, else all). Per tenant "
                    + "and meter of the UTC month `period` (YYYY-MM): the ledger's quantity, the quantity reported to Stripe, "
                    + "Stripe's (as last recorded in the chain by a reconciliation run or the invoice witness) and the status: "
                    + "PENDING until the month is over and Stripe's quantity is known, MATCH when all three agree, else "
                    + "MISMATCH with its kinds (late_usage, not_reported, stripe_missing, stripe_extra) and the windows "
                    + "involved. Mismatches first. `Accept: text/csv` answers the same rows as CSV.")
    @ApiResponse(responseCode = "200", description = "The month's reconciliation", content = {
            @Content(mediaType = JSON, schema = @Schema(implementation = Reconciliations.Reconciliation.class)),
            @Content(mediaType = Csv.MEDIA_TYPE, schema = @Schema(type = "string", example = "tenant_id,meter,ledger_quantity,"
                    + "reported_quantity,stripe_quantity,status,kinds,windows\r\nacme,tokens,1500,1200,1200,MISMATCH,late_usage,"
                    + "late_usage:2026-11-30T23:55:00Z/2026-12-01T00:00:00Z\r\n"))})
    @ProblemCodes({"insufficient_scope", "not_found", "invalid_parameter", "read_rate_limited"})
    @GetMapping(value = "/v1/finance/reconciliation", produces = JSON)
    public Reconciliations.Reconciliation reconciliation(Caller caller, @RequestParam(required = false) String period,
                                                         @RequestParam(name = "tenant_id", required = false) String tenantId) {
        String tenant = FinanceAccess.tenant(caller, tenantId, jdbc);
        java.time.YearMonth month = Reconciliations.period(period);
        if (tenant != null) {
            limits.cheap(tenant);
        }
        return reconciliations.compute(month, tenant, java.util.Map.of());
    }

    @Operation(hidden = true)
    @GetMapping(value = "/v1/finance/reconciliation", produces = Csv.MEDIA_TYPE)
    public void reconciliationCsv(Caller caller, @RequestParam(required = false) String period,
                                  @RequestParam(name = "tenant_id", required = false) String tenantId,
                                  HttpServletResponse response) throws IOException {
        Reconciliations.Reconciliation r = reconciliation(caller, period, tenantId);
        try (Csv csv = Csv.start(response, "reconciliation-" + r.period() + (tenantId == null || tenantId.isBlank() ? "" : "-" + tenantId)
                + ".csv", List.of("tenant_id", "meter", "ledger_quantity", "reported_quantity", "stripe_quantity", "status",
                "kinds", "windows"))) {
            for (Reconciliations.Row row : r.rows()) {
                csv.row(row.tenantId(), row.meter(), row.ledgerQuantity(), row.reportedQuantity(), row.stripeQuantity(), row.status(),
                        String.join(" ", row.mismatches().stream().map(Reconciliations.Mismatch::kind).toList()),
                        String.join(" ", row.mismatches().stream().flatMap(m -> m.windows().stream()
                                .map(w -> m.kind() + ":" + w.start() + "/" + w.end())).toList()));
            }
        }
    }

    // ----

    /** Where a query hands its rows: a list, or a CSV answer. */
    @FunctionalInterface
    interface RowSink<T> extends java.util.function.Consumer<T> {
    }

    private static String text(Timestamp t) {
        return t == null ? null : t.toInstant().toString();
    }

    private static String day(Instant t) {
        return t.toString().substring(0, 10);
    }
}
