package dev.ledger.system.architecture;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * No package cycles in any module: every module's packages ({@code dev.ledger.<module>.<package>}, sub-packages folded
 * into theirs) depend on each other in one direction only. Main classes of every module on this class path (ledger-core,
 * schema, ops, ledger-api, the workers and the chain follower); tests and the ledger-api test fixtures are left out.
 */
class ArchModulesTest {

    private static final ImportOption NO_TEST_JARS = location -> !location.matches(java.util.regex.Pattern.compile(".*-tests\\.jar.*"));

    private static final JavaClasses ALL = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).withImportOption(NO_TEST_JARS)
            .importPackages("dev.ledger");

    @Test
    void noModuleHasAPackageCycle() {
        slices().matching("dev.ledger.(*).(*)..").should().beFreeOfCycles().check(ALL);
    }
}
