package dev.ledger.core.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BillableMetadataTest {

    private static final long MAX = 1_000_000_000_000_000L;

    @Test
    void givenTheLedgersKeys_thenTheEntryBillsThem() {
        assertThat(read("{\"actor\":\"key:k1\",\"meter\":\"tokens\",\"quantity\":\"42\",\"entity_key\":\"usage_id:u\"}"))
                .isEqualTo(new BillableMetadata("tokens", 42, null));
        assertThat(read("{\"quantity\":\"1000000000000000\",\"meter\":\"a.b:c@d/e-f_g\"}").quantity()).isEqualTo(MAX);
    }

    @Test
    void givenNoKeysOrNoObject_thenTheEntryBillsNothing() {
        for (String m : new String[] {"{}", "{\"meter\":\"tokens\"}", "{\"quantity\":\"5\"}", "{\"meter\":\"tokens\",\"quantity\":\"0\"}",
                "[]", "not json", "", "{\"meter\":\"tokens\",\"quantity\":\"5\""}) {
            assertThat(read(m)).as(m).isEqualTo(BillableMetadata.NONE);
        }
    }

    @Test
    void givenKeysTheLedgerNeverWrites_thenTheyAreRefusedWithAStableReason() {
        for (String q : new String[] {"007", "-3", "1000000000000001", "99999999999999999999", "1.5", "5", "x"}) {
            String m = "{\"meter\":\"tokens\",\"quantity\":" + (q.equals("5") ? "5" : "\"" + q + "\"") + "}";
            assertThat(read(m).refusal()).as(m).isEqualTo(BillableMetadata.QUANTITY_OUT_OF_RANGE);
        }
        assertThat(read("{\"meter\":\"bad meter\",\"quantity\":\"1\"}").refusal()).isEqualTo(BillableMetadata.INVALID_METER);
        assertThat(read("{\"meter\":\"\",\"quantity\":\"1\"}").refusal()).isEqualTo(BillableMetadata.INVALID_METER);
    }

    /**
     * The fast path reads the ledger's own form straight from the bytes; Jackson is the reference for every input. A
     * seeded corpus of flat objects (the meter and quantity values the ledger writes and those it never does, keys in
     * any order, repeated, missing) and of mutations of them (whitespace, escapes, numbers, nested values, non-ASCII
     * and invalid UTF-8, control bytes, truncation, trailing bytes, random byte flips) must get the same answer from
     * both, and the corpus must exercise both the fast path and the fallback.
     */
    @Test
    void givenAnyMetadataBytes_thenTheFastPathAnswersAsJacksonDoes() {
        Random random = new Random(20261204L);
        int flat = 0;
        int fellBack = 0;
        int billed = 0;
        int refused = 0;
        for (int i = 0; i < 20_000; i++) {
            byte[] original = object(random);
            byte[] m = i % 4 == 0 ? original : mutate(original, random);
            BillableMetadata reference = BillableMetadata.readWithJackson(m, MAX);
            BillableMetadata fast = BillableMetadata.readFlat(m, MAX);
            String shown = new String(m, StandardCharsets.ISO_8859_1);
            if (fast != null) {
                flat++;
                assertThat(fast).as(shown).isEqualTo(reference);
            } else {
                fellBack++;
            }
            assertThat(BillableMetadata.read(m, MAX)).as(shown).isEqualTo(reference);
            billed += reference.bills() ? 1 : 0;
            refused += reference.refusal() != null ? 1 : 0;
        }
        assertThat(flat).as("inputs the fast path read").isGreaterThan(4_000);
        assertThat(fellBack).as("inputs left to Jackson").isGreaterThan(4_000);
        assertThat(billed).as("inputs that bill").isGreaterThan(1_000);
        assertThat(refused).as("inputs refused").isGreaterThan(1_000);
    }

    @Test
    void givenWhatOnlyJacksonReads_thenTheFastPathLeavesItToJackson() {
        for (String m : new String[] {"{ \"meter\":\"tokens\",\"quantity\":\"5\"}", "{\"meter\":\"tok\\u0065ns\",\"quantity\":\"5\"}",
                "{\"meter\":\"tokens\",\"quantity\":5}", "{\"meter\":\"tokens\",\"quantity\":\"5\"}x",
                "{\"meter\":\"tokens\",\"quantity\":\"5\",}", "{\"m\":{\"a\":\"b\"},\"meter\":\"t\",\"quantity\":\"5\"}"}) {
            assertThat(BillableMetadata.readFlat(m.getBytes(StandardCharsets.UTF_8), MAX)).as(m).isNull();
        }
        // the escaped meter is still the same meter to Jackson, and so to the worker
        assertThat(read("{\"meter\":\"tok\\u0065ns\",\"quantity\":\"5\"}")).isEqualTo(new BillableMetadata("tokens", 5, null));
        assertThat(BillableMetadata.readFlat("{\"meter\":\"tokens\",\"quantity\":\"5\"}".getBytes(StandardCharsets.UTF_8), MAX))
                .isEqualTo(new BillableMetadata("tokens", 5, null));
    }

    private static final String[] NAMES = {"meter", "quantity", "actor", "idempotency_key", "request_digest", "entity_key",
        "", "Meter", "quantity ", "meters"};
    private static final String[] METERS = {"tokens", "evaluations", "a.b:c@d/e-f_g", "", "bad meter", "x".repeat(100),
        "x".repeat(101), "tok~ens", "TOKENS", "0"};
    private static final String[] QUANTITIES = {"1", "42", "0", "007", "-3", "1000000000000000", "1000000000000001",
        "99999999999999999999", "1.5", "x", "", " 5", "9223372036854775807"};

    /** A flat object of string members as the ledger writes it (no whitespace, no escapes). */
    private static byte[] object(Random random) {
        StringBuilder s = new StringBuilder("{");
        int members = random.nextInt(7);
        for (int k = 0; k < members; k++) {
            String name = random.nextInt(3) == 0 ? NAMES[random.nextInt(NAMES.length)] : NAMES[random.nextInt(2)];
            String value = switch (name) {
                case "meter" -> METERS[random.nextInt(random.nextBoolean() ? 3 : METERS.length)];
                case "quantity" -> QUANTITIES[random.nextInt(random.nextBoolean() ? 2 : QUANTITIES.length)];
                default -> "key:k" + Integer.toHexString(random.nextInt());
            };
            s.append(k == 0 ? "" : ",").append('"').append(name).append("\":\"").append(value).append('"');
        }
        return s.append('}').toString().getBytes(StandardCharsets.UTF_8);
    }

    private static final byte[][] INSERTS = {bytes(" "), bytes("\n"), bytes("\\"), bytes("\\u0041"), bytes("\\\""), bytes("\""),
        bytes("é"), {(byte) 0xff}, {(byte) 0xc3}, {(byte) 0xed, (byte) 0xa0, (byte) 0x80}, {0x01}, {0x7f}, bytes(","), bytes(":"),
        bytes("{"), bytes("}"), bytes("["), bytes("1"), bytes("null"), bytes("\":1,\""), bytes("\":{\"a\":\"b\"},\""),
        bytes("\":[\"x\"],\""), bytes("\ufeff")};

    private static byte[] mutate(byte[] m, Random random) {
        return switch (random.nextInt(6)) {
            case 0, 1 -> { // insert something at a random place
                int at = random.nextInt(m.length + 1);
                byte[] insert = INSERTS[random.nextInt(INSERTS.length)];
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                out.write(m, 0, at);
                out.writeBytes(insert);
                out.write(m, at, m.length - at);
                yield out.toByteArray();
            }
            case 2 -> { // one byte replaced by any byte
                byte[] copy = m.clone();
                copy[random.nextInt(copy.length)] = (byte) random.nextInt(256);
                yield copy;
            }
            case 3 -> java.util.Arrays.copyOf(m, random.nextInt(m.length)); // cut short
            case 4 -> { // a repeated member, or a whole second object after the first
                String s = new String(m, StandardCharsets.UTF_8);
                yield (random.nextBoolean() && s.length() > 2
                        ? s.substring(0, s.length() - 1) + (s.length() > 2 ? "," : "") + "\"meter\":\"tokens\"}"
                        : s + s).getBytes(StandardCharsets.UTF_8);
            }
            default -> { // a value with a byte outside printable ASCII, valid UTF-8 or not
                List<Integer> quotes = new ArrayList<>();
                for (int i = 0; i < m.length; i++) {
                    if (m[i] == '"') {
                        quotes.add(i);
                    }
                }
                if (quotes.isEmpty()) {
                    yield m;
                }
                int at = quotes.get(random.nextInt(quotes.size()));
                byte[] copy = new byte[m.length + 1];
                System.arraycopy(m, 0, copy, 0, at);
                copy[at] = (byte) (random.nextBoolean() ? 0x80 + random.nextInt(128) : random.nextInt(32));
                System.arraycopy(m, at, copy, at + 1, m.length - at);
                yield copy;
            }
        };
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static BillableMetadata read(String metadata) {
        return BillableMetadata.read(metadata.getBytes(StandardCharsets.UTF_8), MAX);
    }
}
