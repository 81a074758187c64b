package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The workers' record reader: its byte-scanning path answers what decoding and re-hashing the entry answers. */
class EntryReaderTest {

    private final EntryReader reader = new EntryReader();

    @Test
    void aCanonicalRecordIsReadOnTheFastPathWithTheHashItsBytesCommitTo() {
        for (StoredEntry e : records()) {
            EntryReader.Link link = reader.readCanonical(EntryCodec.encode(e));
            assertThat(link).as("fast path for %s", e).isNotNull();
            assertThat(link.recomputed()).isEqualTo(e.hash());
            assertSame(link, EntryReader.reference(EntryCodec.encode(e)));
            assertThat(link.tenantId()).isEqualTo(e.tenantId());
            assertThat(link.sequence()).isEqualTo(e.sequence());
            assertThat(link.type()).isEqualTo(e.type());
            assertThat(link.recordedAt()).isEqualTo(e.recordedAt());
            assertThat(link.payload()).isEqualTo(e.payload());
        }
    }

    @Test
    void anyOtherSpellingIsReadByTheReferencePathWithTheSameAnswer() throws Exception {
        StoredEntry e = ChainFixture.chain("t-reader", 1).get(0);
        StoredEntry escaped = new StoredEntry(e.tenantId(), e.sequence(), "id\"with\\escapesé", e.type(), null, e.recordedAt(),
                e.payload(), null, e.metadata(), e.prevHash(), e.hash());
        byte[] record = EntryCodec.encode(escaped);
        assertThat(reader.readCanonical(record)).isNull();
        assertSame(reader.read(record), EntryReader.reference(record));
        byte[] pretty = dev.ledger.core.messages.LedgerJson.mapper().writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(EntryCodec.toJson(e));
        assertThat(reader.readCanonical(pretty)).isNull();
        assertThat(reader.read(pretty).recomputed()).isEqualTo(e.hash());
        assertThatThrownBy(() -> reader.read("[1]".getBytes(StandardCharsets.UTF_8))).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Property: whatever one byte of a record is changed to, the reader answers exactly what the reference path answers
     * (the same fields and recomputed hash, or the same refusal), and a changed byte that the entry's hash covers
     * never recomputes to the stored hash.
     */
    @Test
    void everySingleByteChangeGetsTheReferenceAnswer() {
        byte[] alphabet = "\"\\{}:,0123456789abcdefABCDEF+/=nul -_.TZ".getBytes(StandardCharsets.US_ASCII);
        Random random = new Random(11);
        List<StoredEntry> entries = records();
        int fast = 0;
        for (int round = 0; round < 30_000; round++) {
            byte[] record = EntryCodec.encode(entries.get(random.nextInt(entries.size())));
            int at = random.nextInt(record.length);
            byte value = switch (random.nextInt(4)) {
                case 0 -> (byte) random.nextInt(256);
                default -> alphabet[random.nextInt(alphabet.length)];
            };
            record[at] = value;
            EntryReader.Link expected;
            try {
                expected = EntryReader.reference(record);
            } catch (IllegalArgumentException refused) {
                byte[] r = record;
                assertThatThrownBy(() -> reader.read(r)).as("record %s", new String(r, StandardCharsets.ISO_8859_1))
                        .isInstanceOf(IllegalArgumentException.class);
                continue;
            }
            if (reader.readCanonical(record) != null) {
                fast++;
            }
            assertSame(reader.read(record), expected);
        }
        // most changes hit a base64 or hex member and still leave a record the fast path reads
        assertThat(fast).isGreaterThan(5_000);
    }

    /**
     * Property: a record read in place, inside larger bytes (a Kafka value in its fetch buffer), gets exactly the
     * answer it gets alone, whatever bytes stand before and after it: quotes, digits and a record's own closing
     * bytes included, which a scan running past either end would take for the record's.
     */
    @Test
    void aRecordReadInPlaceGetsTheAnswerItGetsAloneWhateverSurroundsIt() {
        byte[] alphabet = "\"\\{}:,0123456789abcdef+/=\"}".getBytes(StandardCharsets.US_ASCII);
        Random random = new Random(13);
        List<StoredEntry> entries = records();
        for (int round = 0; round < 20_000; round++) {
            byte[] record = EntryCodec.encode(entries.get(random.nextInt(entries.size())));
            if (random.nextBoolean()) {
                record[random.nextInt(record.length)] = alphabet[random.nextInt(alphabet.length)];
            }
            int before = random.nextInt(40);
            byte[] around = new byte[before + record.length + random.nextInt(40)];
            for (int i = 0; i < around.length; i++) {
                around[i] = alphabet[random.nextInt(alphabet.length)];
            }
            System.arraycopy(record, 0, around, before, record.length);
            EntryReader.Link alone;
            try {
                alone = new EntryReader().read(record);
            } catch (IllegalArgumentException refused) {
                assertThatThrownBy(() -> reader.read(around, before, before + record.length))
                        .isInstanceOf(IllegalArgumentException.class);
                continue;
            }
            assertSame(reader.read(around, before, before + record.length), alone);
        }
    }

    private static void assertSame(EntryReader.Link actual, EntryReader.Link expected) {
        assertThat(actual.tenantId()).isEqualTo(expected.tenantId());
        assertThat(actual.sequence()).isEqualTo(expected.sequence());
        assertThat(actual.type()).isEqualTo(expected.type());
        assertThat(actual.recordedAt()).isEqualTo(expected.recordedAt());
        assertThat(actual.payload()).isEqualTo(expected.payload());
        assertThat(actual.prevHash()).isEqualTo(expected.prevHash());
        assertThat(actual.hash()).isEqualTo(expected.hash());
        assertThat(actual.recomputed()).isEqualTo(expected.recomputed());
    }

    /** Entries of two tenants (alternating, as a poll holds them), with and without revision, one redacted. */
    private static List<StoredEntry> records() {
        List<StoredEntry> out = new ArrayList<>();
        List<StoredEntry> a = ChainFixture.chain("t-reader-a", 6);
        List<StoredEntry> b = ChainFixture.chain("t-reader-b", 6);
        for (int i = 0; i < a.size(); i++) {
            out.add(a.get(i));
            out.add(b.get(i));
        }
        StoredEntry e = a.get(2);
        out.add(new StoredEntry(e.tenantId(), e.sequence(), e.eventId(), e.type(), null, e.recordedAt(), e.payload(), null,
                "{\"actor\":\"key:k1\"}".getBytes(StandardCharsets.UTF_8), e.prevHash(), rehash(e, null, "{\"actor\":\"key:k1\"}")));
        out.add(new StoredEntry(e.tenantId(), e.sequence(), e.eventId(), e.type(), e.revision(), e.recordedAt(), null,
                Sha256.of(e.payload()), e.metadata(), e.prevHash(), e.hash()));
        return out;
    }

    private static byte[] rehash(StoredEntry e, String revision, String metadata) {
        return EntryFraming.hash(e.tenantId(), e.sequence(), e.eventId(), e.type(), revision, e.recordedAt(),
                Sha256.of(e.payload()), Sha256.of(metadata.getBytes(StandardCharsets.UTF_8)), e.prevHash());
    }
}
