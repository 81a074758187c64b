package dev.ledger.api.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * Every receipt must be for a committed, fsynced entry: the service refuses to start on a PostgreSQL that runs
 * with fsync or synchronous_commit off (embedded PostgreSQL's defaults, for instance).
 */
@Component
class DurabilityCheck implements InitializingBean {

    private static final Logger log = LoggerFactory.getLogger(DurabilityCheck.class);
    private final JdbcTemplate jdbc;

    DurabilityCheck(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public void afterPropertiesSet() {
        String fsync = jdbc.queryForObject("show fsync", String.class);
        String syncCommit = jdbc.queryForObject("show synchronous_commit", String.class);
        if (!"on".equals(fsync) || "off".equals(syncCommit)) {
            throw new IllegalStateException("ledger-api refuses to start: PostgreSQL runs with fsync=" + fsync
                    + " synchronous_commit=" + syncCommit + "; a ledger needs both on");
        }
        log.info("PostgreSQL durability: fsync={} synchronous_commit={}", fsync, syncCommit);
    }
}
