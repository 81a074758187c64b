package dev.ledger.invoice;

import com.github.kagkarlsson.scheduler.SchedulerClient;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.RecurringTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.github.kagkarlsson.scheduler.task.schedule.FixedDelay;
import dev.ledger.invoice.DunningPolicy.Decision;
import dev.ledger.invoice.DunningPolicy.FailedInvoice;
import dev.ledger.invoice.DunningPolicy.Standing;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out dunning: takes the tenants {@link DunningView} marked, decides each with {@link DunningPolicy} at the
 * worker's clock, and asks the ledger for the step through {@link LedgerCalls}. The ledger's answer is not the
 * worker's state: the status entry comes back through the chain, marks the tenant again, and the next decision starts
 * from it. Each grace period's end is an execution of db-scheduler's one-time task in the worker's database (one per
 * tenant and past-due entry), so it survives restarts and runs on one worker of a group; the pass itself is its
 * recurring task. After a restart every PAST_DUE tenant is decided again, which schedules any deadline lost in a crash.
 */
final class DunningPass {

    private static final Logger log = LoggerFactory.getLogger(DunningPass.class);
    private static final int TENANTS_PER_PASS = 200;

    private final DataSource database;
    private final DunningPolicy policy;
    private final LedgerCalls ledger;
    private final Clock clock;
    private final MeterRegistry registry;
    private final OneTimeTask<Void> graceEnd;
    private final RecurringTask<Void> pass;

    DunningPass(DataSource database, DunningPolicy policy, LedgerCalls ledger, Clock clock, Duration interval,
                MeterRegistry registry) {
        this.database = database;
        this.policy = policy;
        this.ledger = ledger;
        this.clock = clock;
        this.registry = registry;
        this.graceEnd = Tasks.oneTime("invoice-worker-grace-end").execute((instance, context) -> {
            String tenant = instance.getId().substring(0, instance.getId().lastIndexOf('@'));
            try (Connection c = database.getConnection()) {
                DunningView.pending(c, tenant, clock.instant());
            } catch (SQLException e) {
                throw new IllegalStateException("grace end of " + tenant + " not noted (SQL state " + e.getSQLState() + ")", e);
            }
            run(context.getSchedulerClient()); // a failure above leaves the execution to db-scheduler's retry
        });
        this.pass = Tasks.recurring("invoice-worker-dunning-pass", FixedDelay.of(interval))
                .execute((instance, context) -> run(context.getSchedulerClient()));
        try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement("insert into "
                + "invoice_worker_dunning_pending (tenant_id, since, version) select tenant_id, ?, 1 from "
                + "invoice_worker_tenant_status where status = 'PAST_DUE' on conflict do nothing")) {
            ps.setTimestamp(1, Timestamp.from(clock.instant()));
            ps.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("could not read the tenants' status (SQL state " + e.getSQLState() + ")", e);
        }
    }

    /** The one-time task whose executions end grace periods. */
    OneTimeTask<Void> graceEndTask() {
        return graceEnd;
    }

    /** The recurring pass over the work list. */
    RecurringTask<Void> passTask() {
        return pass;
    }

    /**
     * Decides every marked tenant once; a tenant whose step could not be recorded stays marked. {@code scheduler}:
     * where a grace period's end is scheduled.
     */
    synchronized void run(SchedulerClient scheduler) {
        List<String[]> marked = new ArrayList<>();
        try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement("select tenant_id, version "
                + "from invoice_worker_dunning_pending order by since, tenant_id limit " + TENANTS_PER_PASS);
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                marked.add(new String[] {rs.getString(1), Long.toString(rs.getLong(2))});
            }
        } catch (SQLException e) {
            log.warn("dunning pass: could not read its work list (SQL state {})", e.getSQLState());
            return;
        }
        for (String[] m : marked) {
            try {
                if (decide(m[0], scheduler)) {
                    done(m[0], Long.parseLong(m[1]));
                }
            } catch (SQLException e) {
                log.warn("dunning pass: tenant {} not decided (SQL state {})", m[0], e.getSQLState());
            }
        }
    }

    /** One tenant's decision and its step; answers whether the tenant needs no further look until it is marked again. */
    private boolean decide(String tenant, SchedulerClient scheduler) throws SQLException {
        Standing standing;
        List<FailedInvoice> failed;
        try (Connection c = database.getConnection()) {
            standing = standing(c, tenant);
            failed = failed(c, tenant);
        }
        Decision decision = policy.decide(standing, failed, clock.instant());
        LedgerCalls.Answer answer;
        String step;
        switch (decision) {
            case Decision.Wait w -> {
                if (w.wakeAt() != null) {
                    scheduler.scheduleIfNotExists(graceEnd.instance(tenant + "@" + standing.statusSequence()), w.wakeAt());
                }
                return true;
            }
            case Decision.MarkPastDue d -> {
                step = "past_due";
                answer = ledger.markPastDue(tenant, d.cause(), d.graceUntil(), d.ifStatusSequence());
            }
            case Decision.Suspend d -> {
                step = "suspend";
                answer = ledger.suspend(tenant, d.cause(), d.graceUntil(), d.ifStatusSequence());
            }
            case Decision.Reactivate d -> {
                step = "reactivate";
                answer = ledger.reactivate(tenant, d.cause(), d.settledBy(), d.ifStatusSequence());
            }
        }
        Counter.builder("invoice_worker_dunning_steps_total").description("Dunning steps asked of the ledger, by step and outcome")
                .tag("step", step).tag("outcome", answer.outcome().name().toLowerCase(java.util.Locale.ROOT))
                .register(registry).increment();
        switch (answer.outcome()) {
            case DONE -> log.info("dunning: tenant {} {} ({})", tenant, step, decision);
            case STALE -> log.info("dunning: tenant {} {} refused as stale ({}); deciding again from its next status entry",
                    tenant, step, answer.code());
            case RETRY -> log.warn("dunning: tenant {} {} not answered ({} {}); trying again", tenant, step, answer.status(),
                    answer.code());
            case REFUSED -> log.error("dunning: tenant {} {} refused by the ledger ({} {}); check the worker's service key",
                    tenant, step, answer.status(), answer.code());
        }
        return answer.outcome() == LedgerCalls.Outcome.DONE || answer.outcome() == LedgerCalls.Outcome.STALE;
    }

    private static Standing standing(Connection c, String tenant) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("select status, status_sequence, cause_event_id, cause_invoice_id, "
                + "grace_until from invoice_worker_tenant_status where tenant_id = ?")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                Timestamp grace = rs.getTimestamp(5);
                return new Standing(rs.getString(1), rs.getLong(2), rs.getString(3), rs.getString(4),
                        grace == null ? null : grace.toInstant());
            }
        }
    }

    /** The tenant's invoices with a failed payment, each with its first failure. */
    private static List<FailedInvoice> failed(Connection c, String tenant) throws SQLException {
        List<FailedInvoice> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("select i.invoice_id, i.status, i.amount_due, i.amount_paid, i.currency, "
                + "f.event_id, f.created, i.shown_event_id, exists (select 1 from invoice_worker_dunned_invoice d "
                + "where d.tenant_id = i.tenant_id and d.invoice_id = i.invoice_id) "
                + "from invoice_worker_invoice i join lateral (select e.event_id, e.created from invoice_worker_invoice_event e "
                + "where e.invoice_id = i.invoice_id and e.event_type = 'invoice.payment_failed' "
                + "order by e.created, e.event_id limit 1) f on true where i.tenant_id = ?")) {
            ps.setString(1, tenant);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new FailedInvoice(rs.getString(1), rs.getString(2), rs.getLong(3), rs.getLong(4), rs.getString(5),
                            rs.getString(6), rs.getTimestamp(7).toInstant(), rs.getString(8), rs.getBoolean(9)));
                }
            }
        }
        return out;
    }

    private void done(String tenant, long version) throws SQLException {
        try (Connection c = database.getConnection(); PreparedStatement ps = c.prepareStatement(
                "delete from invoice_worker_dunning_pending where tenant_id = ? and version = ?")) {
            ps.setString(1, tenant);
            ps.setLong(2, version);
            ps.executeUpdate();
        }
    }
}
