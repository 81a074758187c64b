package dev.ledger.core.tenant;

/**
 * The one definition of chain ids, for the ledger and every worker: a tenant's id (1-63 characters of lowercase
 * letters, digits, '-' and '_', starting with a letter or digit) or the ledger's own system chain, whose id no
 * tenant can be registered under.
 */
public final class ChainIds {

    /** The ledger's own chain: what belongs to no tenant (service keys issued and revoked, with their actor). */
    public static final String SYSTEM = "_system";
    public static final int MAX_LENGTH = 63;

    private ChainIds() {
    }

    /** An id a tenant may be registered under. */
    public static boolean isTenantId(String s) {
        if (s == null || s.isEmpty() || s.length() > MAX_LENGTH || !letterOrDigit(s.charAt(0))) {
            return false;
        }
        for (int i = 1; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!letterOrDigit(c) && c != '-' && c != '_') {
                return false;
            }
        }
        return true;
    }

    /** The id of a chain the ledger writes: a tenant's or the system chain. */
    public static boolean isChainId(String s) {
        return SYSTEM.equals(s) || isTenantId(s);
    }

    private static boolean letterOrDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    }
}
