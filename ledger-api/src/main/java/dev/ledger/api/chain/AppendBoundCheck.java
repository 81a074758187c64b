package dev.ledger.api.chain;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Appends are bounded by PostgreSQL's {@code transaction_timeout} (17 and newer); without it a stalled append could
 * hold a global index open past the publisher's gap timeout. Refuses to start on a server that lacks it.
 */
@Component
class AppendBoundCheck implements InitializingBean {

    private final JdbcTemplate jdbc;

    AppendBoundCheck(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public void afterPropertiesSet() {
        String setting = jdbc.queryForObject("select current_setting('transaction_timeout', true)", String.class);
        if (setting == null) {
            throw new IllegalStateException("ledger-api refuses to start: PostgreSQL 17 or newer is required (transaction_timeout"
                    + " bounds every append transaction, so the Kafka publisher never skips a committed entry)");
        }
    }
}
