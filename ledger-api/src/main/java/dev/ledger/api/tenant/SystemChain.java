package dev.ledger.api.tenant;

import dev.ledger.api.chain.LedgerWriter;
import dev.ledger.core.tenant.RegisterTenant;
import dev.ledger.core.tenant.ChainIds;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * The ledger's own chain, for what belongs to no tenant (service keys issued and revoked, with their actor). Its id
 * fails the tenant-id pattern, so no tenant can ever be registered under it; it is registered at its first use.
 */
@Component
public class SystemChain {

    public static final String TENANT_ID = ChainIds.SYSTEM;

    private final LedgerWriter writer;
    private final JdbcTemplate jdbc;

    SystemChain(LedgerWriter writer, JdbcTemplate jdbc) {
        this.writer = writer;
        this.jdbc = jdbc;
    }

    public static boolean isSystem(String tenantId) {
        return TENANT_ID.equals(tenantId);
    }

    /** Registers the system chain unless it exists (two first uses racing: one registers, the other sees it). */
    void ensure(String actor) {
        if (exists()) {
            return;
        }
        try {
            writer.register(new RegisterTenant(TENANT_ID, "Ledger system chain", null, actor));
        } catch (RuntimeException e) {
            if (!exists()) {
                throw e;
            }
        }
    }

    private boolean exists() {
        return jdbc.queryForObject("select count(*) from tenant where tenant_id = ?", Long.class, TENANT_ID) > 0;
    }
}
