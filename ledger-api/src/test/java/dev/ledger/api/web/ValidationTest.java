package dev.ledger.api.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The table check of identifiers accepts exactly what the documented pattern accepts. */
class ValidationTest {

    @Test
    void identifierCheckAgreesWithThePattern() {
        String alphabet = "aZ09._:@/-" + " #\u00e9\u0000\u007f\\\"+,;[]~\u2028\ud83d\ude00";
        Random random = new Random(11);
        for (int round = 0; round < 50_000; round++) {
            StringBuilder value = new StringBuilder();
            int length = random.nextInt(6);
            for (int i = 0; i < length; i++) {
                value.append(random.nextInt(3) == 0 ? alphabet.charAt(random.nextInt(alphabet.length()))
                        : (char) random.nextInt(130));
            }
            String v = value.toString();
            assertThat(Validation.isIdentifier(v)).as("identifier %s", v).isEqualTo(Validation.IDENTIFIER.matcher(v).matches());
        }
    }
}
