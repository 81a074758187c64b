package dev.ledger.core.entry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The registry is the only place a ledger event class is tied to a name: no main or test code of any module derives a
 * stored or compared type from a class ({@code EvaluationRecorded.class.getName()}, the permitted subclasses'
 * names), where moving the class would silently change what is stored, hashed or matched.
 */
class EntryTypeNamesOnlyInRegistryTest {

    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();
    private static final Path REGISTRY = Path.of("dev", "ledger", "core", "entry");

    @Test
    void noCodeOutsideTheRegistryNamesAnEntryTypeAfterItsClass() throws IOException {
        String events = String.join("|", EntryTypes.all().stream().map(t -> t.eventClass().getSimpleName()).toList());
        Pattern classDerived = Pattern.compile("\\b(" + events + ")\\.class\\s*\\.\\s*get(Name|SimpleName|TypeName|CanonicalName)\\(\\)"
                + "|getPermittedSubclasses\\(\\)");
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(REPOSITORY)) {
            files.filter(p -> p.toString().endsWith(".java") && p.toString().contains("/src/"))
                    .filter(p -> !p.toString().contains("/target/") && !p.toString().contains("/node_modules/"))
                    .filter(p -> !p.getParent().endsWith(REGISTRY))
                    .forEach(p -> {
                        Matcher m = classDerived.matcher(read(p));
                        while (m.find()) {
                            found.add(REPOSITORY.relativize(p) + ": " + m.group());
                        }
                    });
        }
        assertThat(found).as("entry type names derived from classes; use EntryTypes instead").isEmpty();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
