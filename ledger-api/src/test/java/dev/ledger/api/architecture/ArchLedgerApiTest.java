package dev.ledger.api.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.method.support.HandlerMethodArgumentResolver;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * ledger-api's structure: its feature packages ({@code dev.ledger.api.<feature>}) form no cycle, and Spring's HTTP types
 * ({@code org.springframework.http..}, {@code org.springframework.web..}) are used only at the HTTP edge: controllers
 * (and the records they answer), the {@code web} package, and the adapters Spring MVC calls (servlet filters, argument
 * resolvers, MVC configurers). The few classes still outside it are named in {@link #NOT_YET_AT_THE_EDGE}, each with
 * why; the list only shrinks.
 */
class ArchLedgerApiTest {

    private static final JavaClasses API = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.ledger.api");

    /**
     * Classes outside the HTTP edge that still use Spring HTTP types, pending their move: the write path picks HTTP
     * statuses for its refusals ({@code LedgerWriter}, {@code ChainedAppend}) and builds the receipt's answer
     * ({@code RequestDigest}) until rejections are mapped to HTTP in {@code web/Problems} alone; the read limits answer
     * 429 and read the current request; the one JSON configuration also configures the HTTP message converter, and the CORS configuration is MVC's (both belong in {@code web}).
     */
    private static final Set<String> NOT_YET_AT_THE_EDGE = Set.of(
            "dev.ledger.api.chain.LedgerWriter",
            "dev.ledger.api.chain.ChainedAppend",
            "dev.ledger.api.chain.RequestDigest",
            "dev.ledger.api.read.ReadLimits",
            "dev.ledger.api.config.JsonConfig",
            "dev.ledger.api.config.CorsConfig");

    @Test
    void theFeaturePackagesFormNoCycle() {
        slices().matching("dev.ledger.api.(*)..").should().beFreeOfCycles().check(API);
    }

    @Test
    void onlyTheHttpEdgeUsesSpringHttpTypes() {
        noClasses().that(DescribedPredicate.not(HTTP_EDGE))
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework.http..", "org.springframework.web..")
                .check(API);
    }

    private static final DescribedPredicate<JavaClass> HTTP_EDGE = new DescribedPredicate<>(
            "in the web package, a controller or one of its nested types, a servlet filter, an argument resolver or an MVC"
                    + " configurer") {
        @Override
        public boolean test(JavaClass c) {
            JavaClass top = c;
            while (top.getEnclosingClass().isPresent()) {
                top = top.getEnclosingClass().get();
            }
            return top.getPackageName().equals("dev.ledger.api.web") || top.getPackageName().startsWith("dev.ledger.api.web.")
                    || top.isAnnotatedWith(RestController.class) || top.isAnnotatedWith(Controller.class)
                    || top.isAssignableTo(jakarta.servlet.Filter.class) || top.isAssignableTo(HandlerMethodArgumentResolver.class)
                    || top.isAssignableTo(WebMvcConfigurer.class) || NOT_YET_AT_THE_EDGE.contains(top.getName());
        }
    };
}
