package dev.ledger.api.config;

import dev.ledger.schema.ServiceLogin;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/**
 * The service's database login must be its own role (a member of ledger_app), never a superuser or the tables' owner:
 * either could disable the append-only triggers. Refused in production, warned about otherwise (the local default
 * URL is the superuser). Runs once every singleton, Flyway's migration included, is ready: on an empty database a
 * login that is about to own the tables it creates is caught too.
 */
@Component
class DatabaseLoginCheck implements SmartInitializingSingleton {

    private static final Logger log = LoggerFactory.getLogger(DatabaseLoginCheck.class);
    private final DataSource dataSource;
    private final LedgerProperties props;

    DatabaseLoginCheck(DataSource dataSource, LedgerProperties props) {
        this.dataSource = dataSource;
        this.props = props;
    }

    @Override
    public void afterSingletonsInstantiated() {
        String refusal;
        try (Connection c = dataSource.getConnection()) {
            refusal = ServiceLogin.refusal(c, "ledger-api");
        } catch (SQLException e) {
            throw new IllegalStateException("ledger-api refuses to start: could not check its database login ("
                    + e.getSQLState() + ")");
        }
        if (refusal == null) {
            return;
        }
        if (props.production()) {
            throw new IllegalStateException("ledger-api refuses to start: " + refusal);
        }
        log.warn("{} (refused with LEDGER_PRODUCTION=true)", refusal);
    }
}
