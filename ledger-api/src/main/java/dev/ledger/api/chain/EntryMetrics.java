package dev.ledger.api.chain;

import dev.ledger.core.evaluation.GateOutcome;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.tenant.TenantCommand;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the appended entries say, for dashboards: evaluations by terminal state ({@code ledger_evaluations_total}) and
 * failed gates by gate ({@code ledger_gate_failures_total}). Gate names are the clients' own, so at most
 * {@link #MAX_GATES} of them get a series of their own; any later one is counted as {@code other}. Counted once an entry
 * is committed, never for a replay.
 */
final class EntryMetrics {

    static final int MAX_GATES = 200;
    static final String OTHER_GATE = "other";

    private final MeterRegistry metrics;
    private final Set<String> gates = ConcurrentHashMap.newKeySet();

    EntryMetrics(MeterRegistry metrics) {
        this.metrics = metrics;
        for (TerminalState state : TerminalState.values()) {
            evaluations(state);
        }
    }

    private Counter evaluations(TerminalState state) {
        return Counter.builder("ledger.evaluations").tag("terminal_state", state.name())
                .description("evaluations recorded, by their terminal state").register(metrics);
    }

    void appended(TenantCommand command) {
        if (command instanceof TenantCommand.RecordEvaluation e) {
            evaluations(e.terminalState()).increment();
            for (GateResult g : e.gates()) {
                if (g.outcome() == GateOutcome.FAIL) {
                    Counter.builder("ledger.gate.failures").tag("gate", bounded(g.gate()))
                            .description("gates that failed in recorded evaluations, by gate (at most " + MAX_GATES + " gates named)")
                            .register(metrics).increment();
                }
            }
        }
    }

    private String bounded(String gate) {
        if (gates.contains(gate)) {
            return gate;
        }
        if (gates.size() < MAX_GATES && gates.add(gate)) {
            return gate;
        }
        return gates.contains(gate) ? gate : OTHER_GATE;
    }
}
