package dev.ledger.core.evaluation;

public enum GateOutcome { PASS, FAIL, SKIP }
