package dev.ledger.core.evaluation;

/** The four, and only four, terminal states of a gate decision. */
public enum TerminalState { APPROVED, REJECTED, ESCALATED, ERRORED }
