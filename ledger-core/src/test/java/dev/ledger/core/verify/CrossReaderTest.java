package dev.ledger.core.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.ledger.core.chain.ChainFixture;
import dev.ledger.core.chain.ChainVerifier;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.EntryReader;
import dev.ledger.core.chain.StoredEntry;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * One corpus of entry records, good and bad, read by every reader of the record format: the workers' decoder
 * ({@code EntryCodec.decode}), the workers' hot path ({@code EntryReader}), an independent strict Jackson reading (the
 * reference) and the offline verifier (the same bytes as bundle lines). Each record gets one reading from all of them,
 * and each chain one verdict with one first broken sequence. (The API's verification reads the store, not records:
 * {@code TamperDetectionTest} holds it to the offline verifier's verdict on the same tampered rows.)
 */
class CrossReaderTest {

    private static final String TENANT = "acme";
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    /** What a reader makes of one record: unreadable, or its place in the chain and whether its hash holds. */
    record Reading(boolean readable, long sequence, String tenant, String prevHash, String hash, boolean holds) {
        static final Reading UNREADABLE = new Reading(false, 0, null, null, null, false);
    }

    private static Reading of(StoredEntry e) {
        return new Reading(true, e.sequence(), e.tenantId(), hex(e.prevHash()), hex(e.hash()), holds(e));
    }

    private static boolean holds(StoredEntry e) {
        try {
            return Arrays.equals(e.recomputeHash(), e.hash());
        } catch (IllegalArgumentException unframeable) {
            return false;
        }
    }

    private static String hex(byte[] b) {
        return b == null ? null : HexFormat.of().formatHex(b);
    }

    private static Reading guarded(Function<byte[], Reading> reader, byte[] record) {
        try {
            return reader.apply(record);
        } catch (IllegalArgumentException | IndexOutOfBoundsException unreadable) {
            return Reading.UNREADABLE;
        }
    }

    private static Reading codec(byte[] record) {
        return guarded(r -> of(EntryCodec.decode(r)), record);
    }

    private static Reading hotPath(byte[] record) {
        return guarded(r -> {
            EntryReader.Link l = new EntryReader().read(r);
            return new Reading(true, l.sequence(), l.tenantId(), hex(l.prevHash()), hex(l.hash()), Arrays.equals(l.recomputed(), l.hash()));
        }, record);
    }

    /** Strict JSON read by Jackson's tree model, written here without any of the ledger's scanners. */
    private static Reading reference(byte[] record) {
        try {
            JsonNode n = STRICT.readTree(record);
            if (n == null || !n.isObject() || !n.path("sequence").isIntegralNumber() || !n.path("sequence").canConvertToLong()) {
                return Reading.UNREADABLE;
            }
            for (String text : List.of("tenant_id", "event_id", "type", "recorded_at", "metadata_b64", "prev_hash", "hash")) {
                if (!n.path(text).isTextual()) {
                    return Reading.UNREADABLE;
                }
            }
            for (String optional : List.of("revision", "payload_b64", "payload_sha256")) {
                if (n.hasNonNull(optional) && !n.get(optional).isTextual()) {
                    return Reading.UNREADABLE;
                }
            }
            byte[] payload = n.hasNonNull("payload_b64") ? Base64.getDecoder().decode(n.get("payload_b64").asText()) : null;
            byte[] digest = n.hasNonNull("payload_sha256") ? lowercaseHex(n.get("payload_sha256").asText()) : null;
            StoredEntry e = new StoredEntry(n.get("tenant_id").asText(), n.get("sequence").longValue(), n.get("event_id").asText(),
                    n.get("type").asText(), n.hasNonNull("revision") ? n.get("revision").asText() : null, n.get("recorded_at").asText(),
                    payload, digest, Base64.getDecoder().decode(n.get("metadata_b64").asText()), lowercaseHex(n.get("prev_hash").asText()),
                    lowercaseHex(n.get("hash").asText()));
            return of(e);
        } catch (Exception unreadable) {
            return Reading.UNREADABLE;
        }
    }

    /** docs/chain.md: hex is lowercase (one spelling per hash), so upper case is refused like any other non-digit. */
    private static byte[] lowercaseHex(String text) {
        if (!text.equals(text.toLowerCase(java.util.Locale.ROOT))) {
            throw new IllegalArgumentException("upper-case hex");
        }
        return HexFormat.of().parseHex(text);
    }

    /** The verdict of a worker: every record read, then the chain checked in order; unreadable stops it. */
    private static String workerVerdict(List<byte[]> records) {
        ChainVerifier chain = new ChainVerifier();
        EntryReader reader = new EntryReader();
        for (byte[] r : records) {
            EntryReader.Link l;
            try {
                l = reader.read(r);
            } catch (IllegalArgumentException | IndexOutOfBoundsException unreadable) {
                return "UNREADABLE";
            }
            ChainVerifier.Break b = chain.accept(l.sequence(), l.prevHash(), l.hash(), l.recomputed());
            if (b != null) {
                return "BROKEN " + b.sequence() + " " + b.reason();
            }
        }
        return "VALID";
    }

    /** The verdict of the offline verifier on a bundle whose entry lines are these records. */
    private static String offlineVerdict(List<byte[]> records, int entries) throws Exception {
        ByteArrayOutputStream bundle = new ByteArrayOutputStream();
        String written = BundleFixture.write(new BundleHeader(TENANT, 1, entries, "2026-11-21T18:30:00.000Z"), null, null, List.of(),
                ChainFixture.chain(TENANT, entries));
        List<String> lines = List.of(written.split("\n"));
        int next = 0;
        for (String line : lines) {
            if (line.startsWith("{\"kind\":\"entry\"")) {
                if (next < records.size()) {
                    byte[] r = records.get(next++);
                    bundle.write("{\"kind\":\"entry\",".getBytes(StandardCharsets.US_ASCII));
                    bundle.write(r, 1, r.length - 1);
                    bundle.write('\n');
                }
                continue;
            }
            bundle.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        }
        try {
            BundleVerification v = new BundleVerifier().verify(new ByteArrayInputStream(bundle.toByteArray()));
            return switch (v.status()) {
                case VALID -> "VALID";
                case BROKEN -> "BROKEN " + v.firstBrokenSequence() + " " + v.reason();
                case TRUNCATED -> "TRUNCATED";
            };
        } catch (BundleFormatException unreadable) {
            return "UNREADABLE";
        }
    }

    private static List<byte[]> records(List<StoredEntry> entries) {
        return new ArrayList<>(entries.stream().map(EntryCodec::encode).toList());
    }

    private static byte[] replace(byte[] record, String from, String to) {
        String s = new String(record, StandardCharsets.ISO_8859_1);
        assertThat(s).contains(from);
        return s.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to))
                .getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Byte-level mutations of one record: number spellings, invalid UTF-8, escapes, duplicates, whitespace. */
    private static List<byte[]> mutations(byte[] record, long sequence, Random random) {
        String seq = "\"sequence\":" + sequence;
        List<byte[]> out = new ArrayList<>();
        out.add(record);
        out.add(replace(record, seq + ",", "\"sequence\":0" + sequence + ","));          // a leading zero, e.g. 007
        out.add(replace(record, seq + ",", "\"sequence\":00" + sequence + ","));
        out.add(replace(record, seq + ",", "\"sequence\":\"" + sequence + "\","));       // a string
        out.add(replace(record, seq + ",", "\"sequence\":" + sequence + ".0,"));         // a fraction
        out.add(replace(record, seq + ",", "\"sequence\":" + sequence + "e0,"));         // an exponent
        out.add(replace(record, seq + ",", "\"sequence\":-" + sequence + ","));          // negative
        out.add(replace(record, seq + ",", "\"sequence\": " + sequence + ","));          // whitespace
        out.add(replace(record, seq + ",", "\"sequence\":" + sequence + "0000000000000000000000,")); // beyond a long
        out.add(replace(record, "\"tenant_id\":\"acme\"", "\"tenant_id\":\"ac\u00ffme\""));          // byte 0xFF: invalid UTF-8
        out.add(replace(record, "\"tenant_id\":\"acme\"", "\"tenant_id\":\"ac\u00c3\u00a9me\""));    // é in UTF-8
        out.add(replace(record, "\"tenant_id\":\"acme\"", "\"tenant_id\":\"ac\u00c3me\""));          // a cut UTF-8 sequence
        out.add(replace(record, "\"tenant_id\":\"acme\"", "\"tenant_id\":\"ac\\u006de\""));          // an escape of m
        out.add(replace(record, "\"tenant_id\":\"acme\"", "\"tenant_id\":\"ac\\ud800me\""));         // a lone surrogate
        out.add(replace(record, "\"tenant_id\":\"acme\"", "\"tenant_id\":\"acme\",\"tenant_id\":\"acme\"")); // a duplicate
        out.add(replace(record, "\"type\":\"", "\"type\":\"\u00ff"));
        out.add(replace(record, "\"recorded_at\":\"", "\"recorded_at\":\"\u0080"));
        byte[] trailing = Arrays.copyOf(record, record.length + 2);
        trailing[record.length] = ' ';
        trailing[record.length + 1] = '1';
        out.add(trailing);
        byte[] flipped = record.clone();                                                  // one random byte changed
        int at = random.nextInt(flipped.length);
        flipped[at] = (byte) (flipped[at] ^ (1 << random.nextInt(8)));
        out.add(flipped);
        return out;
    }

    @Test
    void everyReaderReadsEachRecordOfTheCorpusTheSameWay() {
        Random random = new Random(20261203);
        List<StoredEntry> chain = ChainFixture.chain(TENANT, 120);
        int cases = 0;
        for (StoredEntry e : chain) {
            List<byte[]> mutated = mutations(EntryCodec.encode(e), e.sequence(), random);
            for (int m = 0; m < mutated.size(); m++) {
                byte[] record = mutated.get(m);
                Reading reference = reference(record);
                String shown = "mutation " + m + ": " + new String(record, StandardCharsets.ISO_8859_1);
                assertThat(codec(record)).as("EntryCodec.decode of %s", shown).isEqualTo(reference);
                assertThat(hotPath(record)).as("EntryReader of %s", shown).isEqualTo(reference);
                cases++;
            }
        }
        assertThat(cases).isEqualTo(120 * 19);
    }

    @Test
    void theDriftCasesAreRefusedByEveryReader() {
        byte[] record = EntryCodec.encode(ChainFixture.chain(TENANT, 7).get(6));
        byte[] leadingZeros = replace(record, "\"sequence\":7,", "\"sequence\":007,");
        byte[] invalidUtf8 = replace(record, "\"tenant_id\":\"acme\"", "\"tenant_id\":\"ac\u00ffme\"");
        for (byte[] bad : List.of(leadingZeros, invalidUtf8)) {
            assertThat(reference(bad)).isEqualTo(Reading.UNREADABLE);
            assertThat(codec(bad)).isEqualTo(Reading.UNREADABLE);
            assertThat(hotPath(bad)).isEqualTo(Reading.UNREADABLE);
        }
    }

    @Test
    void eachChainOfTheCorpusGetsOneVerdictAndOneFirstBrokenSequenceFromTheWorkerAndTheOfflineVerifier() throws Exception {
        int n = 12;
        List<StoredEntry> chain = ChainFixture.chain(TENANT, n);
        List<List<byte[]>> corpus = new ArrayList<>();
        corpus.add(records(chain));
        List<StoredEntry> tampered = new ArrayList<>(chain);
        StoredEntry e5 = chain.get(4);
        byte[] payload = e5.payload().clone();
        payload[payload.length / 2] ^= 1;
        tampered.set(4, StoredEntry.of(e5.tenantId(), e5.sequence(), e5.eventId(), e5.type(), e5.revision(), e5.recordedAt(), payload,
                ChainFixture.NO_METADATA, e5.prevHash(), e5.hash()));
        corpus.add(records(tampered));                                               // hash_mismatch at 5
        List<StoredEntry> relinked = new ArrayList<>(chain);
        StoredEntry e8 = chain.get(7);
        relinked.set(7, ChainFixture.entry(TENANT, 8, e8.payload(), EntryFraming.genesis()));
        corpus.add(records(relinked));                                               // broken_link at 8
        List<StoredEntry> gap = new ArrayList<>(chain);
        gap.remove(9);
        corpus.add(records(gap));                                                    // sequence_gap at 10
        List<byte[]> leadingZeros = records(chain);
        leadingZeros.set(6, replace(leadingZeros.get(6), "\"sequence\":7,", "\"sequence\":007,"));
        corpus.add(leadingZeros);                                                    // unreadable record 7
        List<byte[]> invalidUtf8 = records(chain);
        invalidUtf8.set(2, replace(invalidUtf8.get(2), "\"tenant_id\":\"acme\"", "\"tenant_id\":\"ac\u00ffme\""));
        corpus.add(invalidUtf8);                                                     // unreadable record 3
        List<byte[]> escaped = records(chain);
        escaped.set(3, replace(escaped.get(3), "\"tenant_id\":\"acme\"", "\"tenant_id\":\"\\u0061cme\""));
        corpus.add(escaped);                                                         // the same text: still VALID

        List<String> expected = List.of("VALID", "BROKEN 5 hash_mismatch", "BROKEN 8 broken_link", "BROKEN 10 sequence_gap",
                "UNREADABLE", "UNREADABLE", "VALID");
        for (int i = 0; i < corpus.size(); i++) {
            String worker = workerVerdict(corpus.get(i));
            assertThat(worker).as("worker, case %d", i).isEqualTo(expected.get(i));
            assertThat(offlineVerdict(corpus.get(i), n)).as("offline verifier, case %d", i).isEqualTo(worker);
        }
    }
}
