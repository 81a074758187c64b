package dev.ledger.core.chain;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.messages.LedgerJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * An entry on the wire (Kafka record value, export line): the stored bytes travel base64-encoded so that a
 * reader re-verifies exactly what the database holds.
 */
public final class EntryCodec {

    private EntryCodec() {
    }

    /** The record as a tree: exactly what {@link #encode} writes, read back (so there is one writer of the record). */
    public static ObjectNode toJson(StoredEntry e) {
        try {
            return (ObjectNode) LedgerJson.mapper().readTree(encode(e));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** The record's bytes: the Kafka record value, and (after {@code kind}) a bundle's entry line. */
    public static byte[] encode(StoredEntry e) {
        int size = 256 + (e.payload() == null ? 64 : e.payload().length * 4 / 3) + e.metadata().length * 4 / 3;
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        try (JsonGenerator g = LedgerJson.mapper().getFactory().createGenerator(out)) {
            g.writeStartObject();
            writeMembers(g, e);
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    /**
     * The one writer of the record's members, in their canonical order (the order the fast readers expect), into an
     * object the caller has opened: {@link #encode} for Kafka, BundleWriter after the line's {@code kind}. Straight to
     * the generator: no tree, no strings for the binary members.
     */
    public static void writeMembers(JsonGenerator g, StoredEntry e) throws IOException {
        g.writeStringField("tenant_id", e.tenantId());
        g.writeNumberField("sequence", e.sequence());
        g.writeStringField("event_id", e.eventId());
        g.writeStringField("type", e.type());
        g.writeStringField("revision", e.revision());
        g.writeStringField("recorded_at", e.recordedAt());
        if (e.payload() != null) {
            writeBase64(g, "payload_b64", e.payload());
        } else {
            g.writeStringField("payload_sha256", Hex.of(e.payloadDigest()));
        }
        writeBase64(g, "metadata_b64", e.metadata());
        g.writeStringField("prev_hash", Hex.of(e.prevHash()));
        g.writeStringField("hash", Hex.of(e.hash()));
    }

    /**
     * A binary member as the generator's {@code writeBinaryField} writes it (standard base64 with padding, no line
     * breaks: the same bytes), encoded by the JDK's intrinsic encoder instead of the generator's byte loop, which was
     * the publisher's hottest method. Base64 is ASCII and needs no escaping, so it is written as a raw string.
     */
    private static void writeBase64(JsonGenerator g, String name, byte[] bytes) throws IOException {
        g.writeFieldName(name);
        byte[] b64 = java.util.Base64.getEncoder().encode(bytes);
        g.writeRawUTF8String(b64, 0, b64.length);
    }

    /**
     * Reads a record as {@link #fromJson} would, but straight from the bytes (the workers' hot path): base64 members are
     * decoded by the parser without an intermediate string, and no tree is built.
     */
    public static StoredEntry decode(byte[] json) {
        StoredEntry canonical = Canonical.read(json);
        return canonical != null ? canonical : decodeAny(json);
    }

    /**
     * Any JSON spelling of a record (member order, whitespace, escapes, unknown members): Jackson's streaming parser,
     * the reference every fast path is tested against. Strict JSON: one value, no member twice, text members are
     * strings and {@code sequence} an integer (no {@code "3"}, {@code 3.0} or {@code 007}), and invalid UTF-8 refused.
     */
    static StoredEntry decodeAny(byte[] json) {
        String tenant = null, eventId = null, type = null, revision = null, recordedAt = null, prev = null, hash = null;
        String payloadDigest = null;
        byte[] payload = null, metadata = null;
        Long sequence = null;
        try (JsonParser p = LedgerJson.mapper().getFactory().createParser(json)) {
            p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not an entry record");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken value = p.nextToken();
                if (value == JsonToken.VALUE_NULL) {
                    continue;
                }
                switch (name) {
                    case "tenant_id" -> tenant = text(p, name);
                    case "sequence" -> sequence = integer(p, name);
                    case "event_id" -> eventId = text(p, name);
                    case "type" -> type = text(p, name);
                    case "revision" -> revision = text(p, name);
                    case "recorded_at" -> recordedAt = text(p, name);
                    case "payload_b64" -> payload = binary(p, name);
                    case "payload_sha256" -> payloadDigest = text(p, name);
                    case "metadata_b64" -> metadata = binary(p, name);
                    case "prev_hash" -> prev = text(p, name);
                    case "hash" -> hash = text(p, name);
                    default -> p.skipChildren();
                }
            }
            if (p.nextToken() != null) {
                throw new IllegalArgumentException("more than one JSON value");
            }
        } catch (IOException ex) {
            throw new IllegalArgumentException("not an entry record", ex);
        }
        return new StoredEntry(required(tenant, "tenant_id"), required(sequence, "sequence"), required(eventId, "event_id"),
                required(type, "type"), revision, required(recordedAt, "recorded_at"), payload,
                payloadDigest == null ? null : Hex.parse(payloadDigest), required(metadata, "metadata_b64"),
                Hex.parse(required(prev, "prev_hash")), Hex.parse(required(hash, "hash")));
    }

    private static String text(JsonParser p, String name) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw new IllegalArgumentException(name + " must be a string");
        }
        return p.getText();
    }

    private static long integer(JsonParser p, String name) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
            throw new IllegalArgumentException(name + " must be an integer");
        }
        return p.getLongValue();
    }

    private static byte[] binary(JsonParser p, String name) throws IOException {
        if (p.currentToken() != JsonToken.VALUE_STRING) {
            throw new IllegalArgumentException(name + " must be a base64 string");
        }
        return p.getBinaryValue();
    }

    private static <T> T required(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException("entry record lacks " + field);
        }
        return value;
    }

    public static StoredEntry fromJson(JsonNode n) {
        JsonNode sequence = n.get("sequence");
        if (sequence == null || !sequence.isIntegralNumber() || !sequence.canConvertToLong()) {
            throw new IllegalArgumentException("sequence must be an integer");
        }
        Base64.Decoder b64 = Base64.getDecoder();
        byte[] payload = n.hasNonNull("payload_b64") ? b64.decode(text(n, "payload_b64")) : null;
        byte[] digest = n.hasNonNull("payload_sha256") ? Hex.parse(text(n, "payload_sha256")) : null;
        return new StoredEntry(text(n, "tenant_id"), sequence.longValue(), text(n, "event_id"), text(n, "type"),
                n.hasNonNull("revision") ? text(n, "revision") : null, text(n, "recorded_at"), payload, digest,
                b64.decode(text(n, "metadata_b64")), Hex.parse(text(n, "prev_hash")), Hex.parse(text(n, "hash")));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("entry record lacks " + field);
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string");
        }
        return v.asText();
    }

    /**
     * The record exactly as {@link #encode} writes it (members in that order, no whitespace, no escapes), read by
     * scanning the bytes: the JDK's base64 decoder is several times faster than the parser's. Anything else answers
     * null and goes to {@link #decodeAny}, so this path only ever accepts what the parser would read the same way.
     */
    static final class Canonical {
        private final byte[] b;
        private int p;

        private Canonical(byte[] b) {
            this.b = b;
        }

        static StoredEntry read(byte[] json) {
            Canonical c = new Canonical(json);
            try {
                return c.entry();
            } catch (IllegalArgumentException | IndexOutOfBoundsException notCanonical) {
                return null;
            }
        }

        private StoredEntry entry() {
            expect("{\"tenant_id\":");
            String tenant = string();
            expect(",\"sequence\":");
            long sequence = number();
            expect(",\"event_id\":");
            String eventId = string();
            expect(",\"type\":");
            String type = string();
            expect(",\"revision\":");
            String revision = nullOrString();
            expect(",\"recorded_at\":");
            String recordedAt = string();
            byte[] payload = null;
            byte[] payloadDigest = null;
            if (next(",\"payload_b64\":")) {
                payload = base64();
            } else {
                expect(",\"payload_sha256\":");
                payloadDigest = hex();
            }
            expect(",\"metadata_b64\":");
            byte[] metadata = base64();
            expect(",\"prev_hash\":");
            byte[] prev = hex();
            expect(",\"hash\":");
            byte[] hash = hex();
            expect("}");
            if (p != b.length || tenant == null || eventId == null || type == null || recordedAt == null) {
                throw new IllegalArgumentException();
            }
            return new StoredEntry(tenant, sequence, eventId, type, revision, recordedAt, payload, payloadDigest, metadata, prev, hash);
        }

        private boolean next(String literal) {
            if (p + literal.length() > b.length) {
                return false;
            }
            for (int i = 0; i < literal.length(); i++) {
                if (b[p + i] != literal.charAt(i)) {
                    return false;
                }
            }
            p += literal.length();
            return true;
        }

        private void expect(String literal) {
            if (!next(literal)) {
                throw new IllegalArgumentException();
            }
        }

        /** Start and end of the next string's raw bytes; a backslash (an escape) is not canonical. */
        private int stringEnd() {
            if (b[p] != '"') {
                throw new IllegalArgumentException();
            }
            int end = JsonBytes.indexOfQuote(b, ++p, b.length);
            // printable ASCII only: any other byte (UTF-8 to validate, an escape, a control) is the reference parser's,
            // which refuses invalid UTF-8 instead of turning it into U+FFFD
            if (end < 0 || !JsonBytes.isPrintableAscii(b, p, end)) {
                throw new IllegalArgumentException();
            }
            return end;
        }

        private String string() {
            int end = stringEnd();
            String s = new String(b, p, end - p, StandardCharsets.ISO_8859_1); // printable ASCII: one byte, one char
            p = end + 1;
            return s;
        }

        private String nullOrString() {
            return next("null") ? null : string();
        }

        private long number() {
            int end = JsonBytes.digitsEnd(b, p);
            long v = JsonBytes.digits(b, p, end);
            p = end;
            return v;
        }

        private byte[] base64() {
            // no escape check needed: the decoder refuses every byte outside the base64 alphabet, backslash included
            if (b[p] != '"') {
                throw new IllegalArgumentException();
            }
            int end = JsonBytes.indexOfQuote(b, ++p, b.length);
            if (end < 0) {
                throw new IllegalArgumentException();
            }
            byte[] out = JsonBytes.base64(b, p, end);
            p = end + 1;
            return out;
        }

        private byte[] hex() {
            int end = stringEnd();
            byte[] out = Hex.parse(b, p, end);
            p = end + 1;
            return out;
        }
    }
}
