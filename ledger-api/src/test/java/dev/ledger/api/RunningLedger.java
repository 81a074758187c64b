package dev.ledger.api;

import dev.ledger.api.chain.EntryPublisher;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/** A real ledger-api (random port) against the shared infrastructure; close() stops it like a process stop. */
public final class RunningLedger implements AutoCloseable {

    public static final String ADMIN_KEY = "lk_admin_" + "0123456789abcdef".repeat(4);
    private final ConfigurableApplicationContext context;

    private RunningLedger(ConfigurableApplicationContext context) {
        this.context = context;
    }

    public static RunningLedger start(SharedInfrastructure infra, Map<String, Object> extra) {
        return start(infra, extra, null);
    }

    /** As {@link #start(SharedInfrastructure, Map)}, with {@code clock} as the service's one clock (null: the system's). */
    public static RunningLedger start(SharedInfrastructure infra, Map<String, Object> extra, Clock clock) {
        Map<String, Object> props = new HashMap<>();
        props.put("server.port", 0);
        // as deployed: the service logs in as its own role, only the migrations run as the owner
        props.put("DATABASE_URL", infra.ledgerApiLogin.databaseUrl());
        props.put("LEDGER_MIGRATION_DATABASE_URL", infra.postgres.databaseUrl());
        props.put("ledger.admin-key", ADMIN_KEY);
        props.put("ledger.key-pepper", "test-pepper-0123456789");
        props.put("ledger.kafka-bootstrap-servers", infra.kafka.bootstrapServers());
        props.putAll(extra);
        String[] args = props.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);
        SpringApplicationBuilder app = new SpringApplicationBuilder(LedgerApiApplication.class);
        if (clock != null) {
            app.initializers(context -> context.getBeanFactory().registerSingleton("testClock", clock));
        }
        return new RunningLedger(app.run(args));
    }

    public static RunningLedger start(SharedInfrastructure infra) {
        return start(infra, Map.of());
    }

    public String url() {
        return "http://127.0.0.1:" + ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    public ConfigurableApplicationContext context() {
        return context;
    }

    /**
     * Stops like a process stop, after the publisher has passed every entry committed before (at most 20 s): the
     * tests share one database and so one publisher position, and entries left behind would otherwise be published by
     * the next test's ledger, to that test's topic, without their chains' beginnings.
     */
    @Override
    public void close() {
        try {
            Long last = context.getBean(JdbcTemplate.class).queryForObject("select max(global_index) from domain_event_entry", Long.class);
            EntryPublisher publisher = context.getBean(EntryPublisher.class);
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (last != null && System.nanoTime() < deadline && publisher.position() < last
                    && !Thread.currentThread().isInterrupted()) {
                LockSupport.parkNanos(50_000_000L);
            }
        } catch (RuntimeException e) {
            // a ledger whose database is gone stops all the same
        }
        context.close();
    }
}
