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

    /** The general RFC 3339 parse and normalisation, as the timestamp check did it for every value before. */
    private static String reference(String v) {
        try {
            return java.time.format.DateTimeFormatter.ISO_INSTANT.format(java.time.OffsetDateTime.parse(v,
                    java.time.format.DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant());
        } catch (java.time.format.DateTimeParseException e) {
            return null;
        }
    }

    @Test
    void theTimestampFastPathAnswersWhatTheGeneralParseAnswers() {
        Random random = new Random(13);
        String[] shapes = {"2024-02-29T23:59:59Z", "2023-02-29T00:00:00Z", "2026-12-31T10:00:00.120Z", "2026-04-31T10:00:00Z",
                "2026-11-21T10:00:00.000Z", "0000-01-01T00:00:00Z", "2026-11-21T24:00:00Z", "2026-11-21T10:00:60Z",
                "2026-11-21t10:00:00z", "2026-11-21T10:00:00+02:00", "2026-11-21T10:00:00.1Z", "2026-11-21T10:00:00.123456Z",
                "2100-02-29T00:00:00Z", "2000-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z"};
        String mutations = "0123456789-:TZ.+ z";
        int fast = 0;
        for (int round = 0; round < 200_000; round++) {
            char[] v = shapes[random.nextInt(shapes.length)].toCharArray();
            for (int k = random.nextInt(3); k > 0; k--) {
                int at = random.nextInt(v.length);
                v[at] = random.nextBoolean() ? (char) ('0' + random.nextInt(10)) : mutations.charAt(random.nextInt(mutations.length()));
            }
            String value = new String(v);
            String expected = reference(value);
            if (Validation.isCanonicalUtc(value)) {
                fast++;
                assertThat(expected).as("fast path took %s", value).isEqualTo(value);
            }
            Validation validation = new Validation();
            assertThat(validation.timestamp("at", value, true)).as("timestamp %s", value).isEqualTo(expected);
            assertThat(validation.ok()).isEqualTo(expected != null);
        }
        assertThat(fast).isGreaterThan(20_000);
    }

    @Test
    void theDigestCheckAgreesWithItsPattern() {
        java.util.regex.Pattern digest = java.util.regex.Pattern.compile("sha256:[0-9a-f]{64}");
        Random random = new Random(17);
        String alphabet = "0123456789abcdefgABCDEF:s ";
        for (int round = 0; round < 50_000; round++) {
            StringBuilder value = new StringBuilder(random.nextInt(10) == 0 ? "sha265:" : "sha256:");
            int length = 60 + random.nextInt(8);
            for (int i = 0; i < length; i++) {
                value.append(random.nextInt(20) == 0 ? alphabet.charAt(random.nextInt(alphabet.length())) : "0123456789abcdef".charAt(random.nextInt(16)));
            }
            String v = random.nextInt(30) == 0 ? value.substring(1) : value.toString();
            assertThat(Validation.isSha256Digest(v)).as("digest %s", v).isEqualTo(digest.matcher(v).matches());
            assertThat(new Validation().sha256Digest("d", v).ok()).isEqualTo(digest.matcher(v).matches());
        }
    }
}
