package dev.ledger.core.tenant;

import java.util.Set;

/**
 * Which entries' payloads may be redacted: those of stored types whose payload carries no decision state of the
 * aggregate (its replay never reads them) and that may hold personal data. Tenant lifecycle, API keys, billing
 * witness, hold and reconciliation, verification records and redactions themselves stay whole. The aggregate decides
 * with it; EntryTypes answers it for the registry's readers. Names are the stored logical names (docs/chain.md
 * section 0), which never change.
 */
public final class RedactionPolicy {

    private static final Set<String> REDACTABLE = Set.of("EvaluationRecorded", "UsageRecorded", "AdminActionRecorded",
            "StripeEventRecorded");

    private RedactionPolicy() {
    }

    /** Whether the payload of an entry of this stored type may be redacted. */
    public static boolean redactable(String storedType) {
        return storedType != null && REDACTABLE.contains(storedType);
    }
}
