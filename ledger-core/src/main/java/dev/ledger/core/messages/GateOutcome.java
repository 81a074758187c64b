package dev.ledger.core.messages;

public enum GateOutcome { PASS, FAIL, SKIP }
