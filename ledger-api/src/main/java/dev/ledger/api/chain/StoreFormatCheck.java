package dev.ledger.api.chain;

import dev.ledger.core.entry.ChainFormat;
import dev.ledger.core.entry.EntryTypes;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

/**
 * ledger-api reads and writes chain format {@value ChainFormat#VERSION} only (docs/chain.md): it refuses to start on an
 * event store whose entries are stored under a type that is not a registered logical name, such as the Java class
 * names of chain format 1, rather than append entries of another format behind them or misread them. A store is
 * written in one format from its first entry on, and an older ledger-api started on it would append at its end, so
 * the first and the last stored entries are checked (two index reads, whatever the store's size). Runs once every
 * singleton, Flyway's migration included, is ready, before the event processors start.
 */
@Component
class StoreFormatCheck implements SmartInitializingSingleton {

    private static final Logger log = LoggerFactory.getLogger(StoreFormatCheck.class);
    private static final String ENTRY = "select aggregate_identifier, sequence_number, payload_type from domain_event_entry"
            + " where global_index = (select %s(global_index) from domain_event_entry)";
    private final JdbcTemplate jdbc;

    StoreFormatCheck(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    @Override
    public void afterSingletonsInstantiated() {
        for (String end : new String[] {"min", "max"}) {
            List<Map<String, Object>> rows = jdbc.queryForList(ENTRY.formatted(end));
            for (Map<String, Object> row : rows) {
                String type = (String) row.get("payload_type");
                if (!EntryTypes.isKnown(type)) {
                    throw new IllegalStateException(refusal((String) row.get("aggregate_identifier"),
                            ((Number) row.get("sequence_number")).longValue() + 1, type));
                }
            }
        }
        log.info("event store: chain format {}", ChainFormat.VERSION);
    }

    static String refusal(String tenant, long sequence, String type) {
        String entry = "entry " + sequence + " of chain " + tenant + " is stored with type \"" + type + "\"";
        if (type != null && type.contains(".")) {
            return "ledger-api refuses to start: the event store is in chain format 1, not chain format " + ChainFormat.VERSION
                    + " (docs/chain.md): " + entry + ", a Java class name, as chain format 1 stored it. This ledger stores"
                    + " logical entry types (e.g. \"EvaluationRecorded\") and cannot read or extend that chain. Chain format 1"
                    + " was never used in production: start this ledger on a new, empty database (drop and recreate the ledger"
                    + " database, or point DATABASE_URL and LEDGER_MIGRATION_DATABASE_URL at a new one).";
        }
        return "ledger-api refuses to start: " + entry + ", an entry type this ledger does not know (written by a newer"
                + " ledger-api?), so it cannot replay that chain correctly: run a ledger-api that knows the type.";
    }
}
