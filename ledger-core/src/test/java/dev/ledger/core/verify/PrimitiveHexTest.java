package dev.ledger.core.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ledger.core.chain.ChainFixture;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.EntryReader;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.Sha256;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** One hex codec (lowercase, as docs/chain.md says) and one SHA-256, and every reader holding to them. */
class PrimitiveHexTest {

    @Test
    void givenAnyBytesWhenWrittenAndReadThenLowercaseHexRoundTrips() {
        Random random = new Random(12);
        for (int n = 0; n < 70; n++) {
            byte[] b = new byte[n];
            random.nextBytes(b);
            String hex = Hex.of(b);
            assertThat(hex).isEqualTo(HexFormat.of().formatHex(b));
            assertThat(Hex.parse(hex)).isEqualTo(b);
            byte[] ascii = ("x" + hex + "y").getBytes(StandardCharsets.US_ASCII);
            assertThat(Hex.parse(ascii, 1, ascii.length - 1)).isEqualTo(b);
        }
    }

    @Test
    void givenUpperCaseOddLengthOrANonDigitWhenReadThenRefusedSayingWhy() {
        assertThatThrownBy(() -> Hex.parse("AB")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lowercase");
        assertThatThrownBy(() -> Hex.parse("abc")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("even number");
        assertThatThrownBy(() -> Hex.parse("zz")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a hex digit");
        assertThatThrownBy(() -> Hex.parse("ab", 32, "hash")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("hash must be 64 lowercase hex digits");
        byte[] upper = "AB".getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> Hex.parse(upper, 0, 2)).isInstanceOf(IllegalArgumentException.class);
    }

    /** Before the one codec, HexFormat and the scanners' tables read upper case: one hash had two spellings. */
    @Test
    void givenARecordWhoseHashIsUpperCaseWhenReadThenEveryReaderRefusesIt() throws Exception {
        List<StoredEntry> chain = ChainFixture.chain(BundleFixture.TENANT, 3);
        StoredEntry last = chain.get(2);
        String hash = Hex.of(last.hash());
        byte[] upper = new String(EntryCodec.encode(last), StandardCharsets.US_ASCII)
                .replace(hash, hash.toUpperCase(Locale.ROOT)).getBytes(StandardCharsets.US_ASCII);
        assertThatThrownBy(() -> EntryCodec.decode(upper)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new EntryReader().read(upper)).isInstanceOf(IllegalArgumentException.class);
        String bundle = BundleFixture.bundle(chain, null).replace(hash, hash.toUpperCase(Locale.ROOT));
        assertThatThrownBy(() -> new BundleVerifier().verify(new ByteArrayInputStream(bundle.getBytes(StandardCharsets.UTF_8))))
                .isInstanceOf(BundleFormatException.class).hasMessageContaining("hex");
    }

    @Test
    void givenPartsWhenHashedThenSha256OfTheirConcatenation() throws Exception {
        byte[] a = "ledger".getBytes(StandardCharsets.UTF_8);
        byte[] b = "-entry".getBytes(StandardCharsets.UTF_8);
        byte[] expected = MessageDigest.getInstance("SHA-256").digest("ledger-entry".getBytes(StandardCharsets.UTF_8));
        assertThat(Sha256.of(a, b)).isEqualTo(expected);
        assertThat(Sha256.of("xledger-entryx".getBytes(StandardCharsets.UTF_8), 1, 12)).isEqualTo(expected);
        assertThat(Sha256.of()).isEqualTo(MessageDigest.getInstance("SHA-256").digest());
    }

    /** The Kafka record value and the bundle's entry line are the same record bytes, from one writer. */
    @Test
    void givenAnEntryWhenWrittenToKafkaAndToABundleThenTheLineIsTheRecordAfterItsKind() {
        List<StoredEntry> chain = ChainFixture.chain(BundleFixture.TENANT, 4);
        String bundle = BundleFixture.bundle(chain, null);
        List<String> entryLines = bundle.lines().filter(l -> l.startsWith("{\"kind\":\"entry\"")).toList();
        for (int i = 0; i < chain.size(); i++) {
            String record = new String(EntryCodec.encode(chain.get(i)), StandardCharsets.UTF_8);
            assertThat(entryLines.get(i)).isEqualTo("{\"kind\":\"entry\"," + record.substring(1));
        }
    }
}
