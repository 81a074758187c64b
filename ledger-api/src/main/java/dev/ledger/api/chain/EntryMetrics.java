package dev.ledger.api.chain;

import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.evaluation.GateOutcome;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.stripe.StripeInvoice;
import dev.ledger.core.tenant.TenantCommand;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the appended entries say, for dashboards: evaluations by terminal state ({@code ledger_evaluations_total}),
 * failed gates by gate ({@code ledger_gate_failures_total}), billable units by meter ({@code ledger_billable_units_total})
 * and paid invoices' amounts by currency ({@code ledger_invoices_paid_minor_units_total}). Gate names are the clients'
 * own, so at most {@link #MAX_GATES} of them get a series of their own (meters: {@link #MAX_METERS}); any later one is
 * counted as {@code other}. Counted once an entry is committed, never for a replay.
 */
final class EntryMetrics {

    static final int MAX_GATES = 200;
    static final int MAX_METERS = 100;
    static final String OTHER = "other";

    private final MeterRegistry metrics;
    private final Set<String> gates = ConcurrentHashMap.newKeySet();
    private final Set<String> meters = ConcurrentHashMap.newKeySet();
    /** The counters once registered: a registry lookup (a new id, its tags sorted, a map probe) per entry cost more. */
    private final java.util.EnumMap<TerminalState, Counter> evaluations = new java.util.EnumMap<>(TerminalState.class);
    private final ConcurrentHashMap<String, Counter> gateFailures = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Counter> billableUnits = new ConcurrentHashMap<>();

    EntryMetrics(MeterRegistry metrics) {
        this.metrics = metrics;
        for (TerminalState state : TerminalState.values()) {
            evaluations.put(state, Counter.builder("ledger.evaluations").tag("terminal_state", state.name())
                    .description("evaluations recorded, by their terminal state").register(metrics));
        }
    }

    private Counter evaluations(TerminalState state) {
        return evaluations.get(state);
    }

    void appended(TenantCommand command) {
        // the two billable facts: an evaluation bills one unit of its meter, a usage record its quantity of its meter
        if (command instanceof TenantCommand.RecordEvaluation) {
            billable(EvaluationRecorded.METER, 1);
        } else if (command instanceof TenantCommand.RecordUsage u) {
            billable(u.meter(), u.quantity());
        }
        if (command instanceof TenantCommand.RecordStripeEvent e && "invoice.paid".equals(e.eventType()) && e.data() != null) {
            StripeInvoice invoice = StripeInvoice.read(LedgerJson.mapper().valueToTree(e.data()).path("object"));
            if (invoice != null) {
                Counter.builder("ledger.invoices.paid.minor.units").tag("currency", invoice.currency())
                        .description("amounts of paid invoices recorded from Stripe, in the currency's minor units (cents)")
                        .register(metrics).increment(invoice.amountPaid());
            }
        }
        if (command instanceof TenantCommand.RecordEvaluation e) {
            evaluations(e.terminalState()).increment();
            for (GateResult g : e.gates()) {
                if (g.outcome() == GateOutcome.FAIL) {
                    gateFailures.computeIfAbsent(bounded(gates, g.gate(), MAX_GATES), gate -> Counter.builder("ledger.gate.failures")
                            .tag("gate", gate)
                            .description("gates that failed in recorded evaluations, by gate (at most " + MAX_GATES + " gates named)")
                            .register(metrics)).increment();
                }
            }
        }
    }

    private void billable(String meter, long quantity) {
        billableUnits.computeIfAbsent(bounded(meters, meter, MAX_METERS), m -> Counter.builder("ledger.billable.units")
                .tag("meter", m).description("billable units recorded (what the entries' hashed metadata bills), by meter")
                .register(metrics)).increment(quantity);
    }

    /** The name itself while fewer than {@code max} names were seen, or any seen before; {@code other} beyond. */
    private static String bounded(Set<String> seen, String name, int max) {
        if (seen.contains(name) || (seen.size() < max && seen.add(name))) {
            return name;
        }
        return seen.contains(name) ? name : OTHER;
    }
}
