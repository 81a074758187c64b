package dev.ledger.core.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ChainIdsTest {

    /** The tenant-id language as the API documents it. */
    private static final Pattern DOCUMENTED = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");

    @Test
    void tenantIdsAreExactlyTheDocumentedLanguage() {
        Random random = new Random(11);
        String alphabet = "az09_-A.:/ \u00e9";
        for (int i = 0; i < 200_000; i++) {
            StringBuilder b = new StringBuilder();
            int length = random.nextInt(70);
            for (int j = 0; j < length; j++) {
                b.append(alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String s = b.toString();
            assertThat(ChainIds.isTenantId(s)).as(s).isEqualTo(DOCUMENTED.matcher(s).matches());
        }
    }

    @Test
    void theSystemChainIsAChainNoTenantCanBeRegisteredUnder() {
        assertThat(ChainIds.isTenantId(ChainIds.SYSTEM)).isFalse();
        assertThat(ChainIds.isChainId(ChainIds.SYSTEM)).isTrue();
        assertThat(ChainIds.isChainId("acme")).isTrue();
        assertThat(ChainIds.isChainId("_other")).isFalse();
        assertThat(ChainIds.isChainId(null)).isFalse();
    }
}
