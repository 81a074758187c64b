package dev.ledger.core.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.core.domain.JavaClasses;
import org.junit.jupiter.api.Test;

/** The domain stays plain: no Spring, Kafka, Stripe or JDBC types in ledger-core. */
class DomainIsolationTest {

    private final JavaClasses core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.ledger.core");

    @Test
    void theDomainDependsOnNoFrameworkOfTheEdges() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("org.springframework..", "org.apache.kafka..",
                "com.stripe..", "java.sql..", "jakarta.servlet..").check(core);
    }
}
