package dev.ledger.core.trace;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Which caller ids are kept: exactly those of the documented form, checked against the pattern itself. */
class RequestIdTest {

    private static final Pattern DOCUMENTED = Pattern.compile("[A-Za-z0-9._:-]{1,64}");

    @Test
    void givenAnyStringThenItIsKeptExactlyWhenItHasTheDocumentedForm() {
        Random random = new Random(13);
        String alphabet = "aZ09._:-/ \n\"é\u0000@+";
        for (int i = 0; i < 200_000; i++) {
            int length = random.nextInt(70);
            StringBuilder b = new StringBuilder();
            for (int j = 0; j < length; j++) {
                // mostly allowed characters, so that long valid ids and single bad characters both occur
                b.append(random.nextInt(10) == 0 ? alphabet.charAt(random.nextInt(alphabet.length()))
                        : (char) ('0' + random.nextInt(75)));
            }
            String value = b.toString();
            assertThat(RequestId.valid(value)).as("%s", value).isEqualTo(DOCUMENTED.matcher(value).matches());
            assertThat(RequestId.acceptOrCreate(value).equals(value)).isEqualTo(DOCUMENTED.matcher(value).matches());
        }
        assertThat(RequestId.valid(null)).isFalse();
    }

    @Test
    void givenNewIdsThenEachIsValidAndDistinct() {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = RequestId.create();
            assertThat(id).matches("req_[0-9a-f]{32}");
            assertThat(RequestId.valid(id)).isTrue();
            assertThat(seen.add(id)).isTrue();
        }
    }
}
