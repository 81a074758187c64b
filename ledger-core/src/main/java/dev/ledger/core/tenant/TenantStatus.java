package dev.ledger.core.tenant;

/** ACTIVE, PAST_DUE (payment failed, inside the grace period) or SUSPENDED (writes refused). */
public enum TenantStatus { ACTIVE, PAST_DUE, SUSPENDED }
