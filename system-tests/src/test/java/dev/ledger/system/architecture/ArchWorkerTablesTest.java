package dev.ledger.system.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * No worker (meter-reader, invoice-worker, the chain follower), nor the witness, references the ledger's tables (the event store
 * {@code domain_event_entry}, keys, checkpoints, Merkle tree, publication state: every table of {@code db/migration}):
 * the workers learn the chain from Kafka and the ledger's HTTP API only. Every class file (its constant strings: SQL
 * included) and resource of each worker module is scanned for SQL naming one of those tables.
 */
class ArchWorkerTablesTest {

    @Test
    void noWorkerNamesAnEventStoreTableInSql() {
        List<String> tables = ModuleFiles.ledgerTables();
        assertThat(tables).as("the ledger's tables, read from db/migration").contains("domain_event_entry", "snapshot_event_entry",
                "token_entry", "api_key", "checkpoint", "merkle_node", "publication_head", "publication_position");
        Pattern sql = sqlNaming(tables);
        List<String> scanned = new ArrayList<>();
        List<String> violations = new ArrayList<>();
        for (String module : ModuleFiles.WORKER_MODULES) {
            for (Path location : ModuleFiles.locations(module)) {
                scanned.add(module);
                for (Map.Entry<String, byte[]> f : ModuleFiles.files(location).entrySet()) {
                    if (f.getKey().startsWith("META-INF/")) {
                        continue; // the jar's build metadata (manifest, the module's pom and its prose), not the worker's files
                    }
                    // class files keep their string constants as (modified) UTF-8: table names are ASCII either way
                    String text = new String(f.getValue(), StandardCharsets.ISO_8859_1);
                    var m = sql.matcher(text);
                    while (m.find()) {
                        violations.add(module + ": " + f.getKey() + " names table " + m.group(1) + " (\"" + m.group() + "\")");
                    }
                }
            }
        }
        assertThat(scanned).as("the workers' classes are on this test's class path").contains("meter-reader-worker", "invoice-worker");
        assertThat(violations).as("worker files naming the ledger's tables").isEmpty();
    }

    @Test
    void theScanFindsATableNamedInSql() {
        Pattern sql = sqlNaming(List.of("domain_event_entry", "token_entry"));
        assertThat(sql.matcher("select payload from domain_event_entry where").find()).isTrue();
        assertThat(sql.matcher("insert into \"domain_event_entry\" (x)").find()).isTrue();
        assertThat(sql.matcher("update token_entry set").find()).isTrue();
        assertThat(sql.matcher("select * from domain_event_entry_copy").find()).isFalse();
        assertThat(sql.matcher("entries of domain_event_entry are").find()).isFalse();
    }

    /** SQL naming one of the tables: after FROM, JOIN, INTO, UPDATE, TABLE or TRUNCATE, quoted or not. */
    static Pattern sqlNaming(List<String> tables) {
        return Pattern.compile("(?i)\\b(?:from|join|into|update|table|truncate)\\s+(?:only\\s+)?\"?(" + String.join("|", tables)
                + ")\"?(?![A-Za-z0-9_])");
    }
}
