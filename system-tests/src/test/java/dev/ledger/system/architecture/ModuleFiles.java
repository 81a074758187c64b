package dev.ledger.system.architecture;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The built files of the modules on this test's class path (their classes directory or their jar), read as bytes. */
final class ModuleFiles {

    /**
     * The modules outside the ledger: each must keep out of its event store (the witness too, which has a database of
     * its own and learns checkpoints only from what the ledger sends it).
     */
    static final List<String> WORKER_MODULES = List.of("meter-reader-worker", "invoice-worker", "chain-follower", "witness");

    private ModuleFiles() {
    }

    /** Class path entries of {@code module} (its {@code target/classes} or its main jar; never its tests). */
    static List<Path> locations(String module) {
        List<Path> found = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            String s = p.toString().replace('\\', '/');
            boolean classes = s.endsWith("/" + module + "/target/classes");
            boolean jar = p.getFileName() != null && p.getFileName().toString().matches(Pattern.quote(module) + "-[0-9][^/]*(?<!-tests)\\.jar");
            if (classes || jar) {
                found.add(p);
            }
        }
        return found;
    }

    /** Every file under the location (a directory or a jar): its path inside, and its bytes. */
    static Map<String, byte[]> files(Path location) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try {
            if (Files.isDirectory(location)) {
                try (Stream<Path> walk = Files.walk(location)) {
                    for (Path f : (Iterable<Path>) walk.filter(Files::isRegularFile)::iterator) {
                        files.put(location.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
                    }
                }
            } else {
                try (JarFile jar = new JarFile(location.toFile())) {
                    for (var e : (Iterable<java.util.jar.JarEntry>) jar.stream()::iterator) {
                        if (!e.isDirectory()) {
                            files.put(e.getName(), jar.getInputStream(e).readAllBytes());
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** The tables the ledger's own migrations ({@code db/migration} of the schema module) create. */
    static List<String> ledgerTables() {
        Pattern create = Pattern.compile("(?i)create\\s+table\\s+(?:if\\s+not\\s+exists\\s+)?\"?([a-z_][a-z0-9_]*)");
        List<String> tables = new ArrayList<>();
        for (Path schema : locations("schema")) {
            for (Map.Entry<String, byte[]> f : files(schema).entrySet()) {
                if (f.getKey().startsWith("db/migration/") && f.getKey().endsWith(".sql")) {
                    Matcher m = create.matcher(new String(f.getValue(), java.nio.charset.StandardCharsets.UTF_8));
                    while (m.find()) {
                        if (!tables.contains(m.group(1).toLowerCase(java.util.Locale.ROOT))) {
                            tables.add(m.group(1).toLowerCase(java.util.Locale.ROOT));
                        }
                    }
                }
            }
        }
        return tables;
    }
}
