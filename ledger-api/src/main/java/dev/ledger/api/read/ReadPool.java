package dev.ledger.api.read;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.jdbc.DataSourceProperties;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.util.StringUtils;

/**
 * Two connection pools: the primary one (appends, keys, idempotency, Flyway's default, Axon, the JdbcTemplate), exactly
 * what Spring Boot would build from {@code spring.datasource.*} and {@code spring.datasource.hikari.*}; and a read
 * pool for long scans, built from the same settings (URL, login, init SQL, driver properties) with its own size, so
 * that however many verifications and exports run, appends still find a connection.
 */
@Configuration(proxyBeanMethods = false)
public class ReadPool {

    /** Qualifier of the read pool; it is no default candidate, so nothing gets it without asking by name. */
    public static final String NAME = "readDataSource";
    /** Read connections beyond the long reads' share: pages of entries, proofs, checkpoints. */
    public static final int CHEAP_READ_CONNECTIONS = 4;

    /** Declaring a DataSource makes Boot's own back off: this one is built as Boot builds it. */
    @Bean
    @Primary
    @ConfigurationProperties("spring.datasource.hikari")
    HikariDataSource dataSource(DataSourceProperties properties) {
        HikariDataSource ds = properties.initializeDataSourceBuilder().type(HikariDataSource.class).build();
        if (StringUtils.hasText(properties.getName())) {
            ds.setPoolName(properties.getName());
        }
        return ds;
    }

    @Bean(name = NAME, defaultCandidate = false)
    @Qualifier(NAME)
    HikariDataSource readDataSource(HikariDataSource dataSource, ReadProperties props) {
        HikariConfig config = new HikariConfig();
        dataSource.copyStateTo(config);
        config.setPoolName("ledger-read");
        // one connection per long read admitted (ReadLimits), and a few more so that cheap reads never queue behind them
        config.setMaximumPoolSize(props.poolSize() + CHEAP_READ_CONNECTIONS);
        config.setMinimumIdle(Math.min(2, props.poolSize()));
        config.setReadOnly(true);
        config.setAutoCommit(false); // cursors stream only inside a transaction
        config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ"); // one snapshot per read: head, checkpoints, entries
        return new HikariDataSource(config);
    }
}
