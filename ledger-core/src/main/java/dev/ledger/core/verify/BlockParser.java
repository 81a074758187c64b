package dev.ledger.core.verify;

import com.fasterxml.jackson.core.Base64Variant;
import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.JsonBytes;
import dev.ledger.core.chain.MerkleTree;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.chain.Hex;
import dev.ledger.core.chain.Sha256;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Parses a block of whole bundle lines on a worker thread and does the expensive part of verification there:
 * decoding base64 straight into SHA-256, recomputing each entry's hash and its Merkle leaf hash. What needs order
 * (links, the tree, checkpoints) is left to {@link BundleVerifier}.
 *
 * <p>Entry lines exactly as {@link BundleWriter} writes them (kind first, no whitespace, no escapes, ASCII text
 * fields, each member once) take a direct path over the bytes. Any other line, or anything that path does not
 * recognise, is parsed by Jackson, whose reading is the reference: the direct path only ever accepts lines Jackson
 * reads the same way, and hands everything else over.
 */
final class BlockParser {

    /**
     * Lines parsed, then the failure that stopped parsing (relative line), if any; {@code lineCount} lines consumed.
     * {@code subtrees}: when every line is an entry and their sequences run on by one, the aligned Merkle subtrees of
     * their leaves at index sequence − 1 ({@link MerkleTree#alignedSubtrees}), hashed on this worker; else null. They
     * hold only if the verifier finds those entries in that place, which it checks before it uses them.
     */
    record ParsedBlock(List<BundleLine> lines, int lineCount, BundleFormatException failure, List<MerkleTree.Subtree> subtrees) {

        ParsedBlock(List<BundleLine> lines, int lineCount, BundleFormatException failure) {
            this(lines, lineCount, failure, null);
        }
    }

    private static final ObjectMapper MAPPER = LedgerJson.mapper();
    // What java.util.Base64's basic encoder writes and its decoder reads: RFC 4648 alphabet, padding optional.
    private static final Base64Variant BASE64 = Base64Variants.MIME_NO_LINEFEEDS.withPaddingAllowed();
    private static final ThreadLocal<Worker> WORKER = ThreadLocal.withInitial(Worker::new);

    private BlockParser() {
    }

    static ParsedBlock parse(byte[] data, int length) {
        Worker w = WORKER.get();
        w.startBlock();
        List<BundleLine> lines = new ArrayList<>(Math.max(16, length / 512));
        int pos = 0;
        int line = 0;
        try {
            while (pos < length) {
                line++;
                BundleLine.EntryLine fast = w.canonicalEntry(data, pos, length);
                if (fast != null) {
                    lines.add(fast);
                    pos = w.next;
                    continue;
                }
                int end = indexOf(data, pos, length, (byte) '\n');
                if (end < 0) {
                    end = length;
                }
                BundleLine parsed = w.anyLine(data, pos, end, line);
                if (parsed != null) {
                    lines.add(parsed);
                }
                pos = end + 1;
            }
            return new ParsedBlock(lines, line, null, subtrees(w, lines));
        } catch (LineException | IllegalArgumentException e) {
            return new ParsedBlock(lines, 0, new BundleFormatException(line, e.getMessage()));
        }
    }

    private static List<MerkleTree.Subtree> subtrees(Worker w, List<BundleLine> lines) {
        if (lines.size() < 2 || !(lines.get(0) instanceof BundleLine.EntryLine first) || first.sequence() < 1) {
            return null;
        }
        List<byte[]> leaves = new ArrayList<>(lines.size());
        long expected = first.sequence();
        for (BundleLine l : lines) {
            if (!(l instanceof BundleLine.EntryLine e) || e.sequence() != expected) {
                return null;
            }
            leaves.add(e.leafHash());
            expected++;
        }
        return MerkleTree.alignedSubtrees(w.md, first.sequence() - 1, leaves);
    }

    static int indexOf(byte[] b, int from, int to, byte value) {
        for (int i = from; i < to; i++) {
            if (b[i] == value) {
                return i;
            }
        }
        return -1;
    }

    /** A malformed line; carries no stack trace because it is a verdict on input, not a fault. */
    static final class LineException extends IOException {

        LineException(String message) {
            super(message, null);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /** One parsing thread's reusable state. */
    private static final class Worker extends OutputStream {

        private static final byte[] ENTRY_PREFIX = "{\"kind\":\"entry\"".getBytes(StandardCharsets.US_ASCII);
        private static final byte[][] NAMES = {
            bytes("tenant_id"), bytes("sequence"), bytes("event_id"), bytes("type"), bytes("revision"), bytes("recorded_at"),
            bytes("payload_b64"), bytes("payload_sha256"), bytes("metadata_b64"), bytes("prev_hash"), bytes("hash")};
        private static final int TENANT = 0;
        private static final int SEQUENCE = 1;
        private static final int EVENT = 2;
        private static final int TYPE = 3;
        private static final int REVISION = 4;
        private static final int RECORDED_AT = 5;
        private static final int PAYLOAD = 6;
        private static final int PAYLOAD_SHA256 = 7;
        private static final int METADATA = 8;
        private static final int PREV_HASH = 9;
        private static final int HASH = 10;
        private static final int REQUIRED = 1 << TENANT | 1 << SEQUENCE | 1 << EVENT | 1 << TYPE | 1 << RECORDED_AT | 1 << METADATA
                | 1 << PREV_HASH | 1 << HASH;
        private final MessageDigest md = Sha256.newDigest();
        private final Base64.Decoder base64 = Base64.getDecoder();
        private final Object[] values = new Object[NAMES.length];
        private final byte[][] lastBytes = new byte[NAMES.length][];
        private final String[] lastStrings = new String[NAMES.length];
        private byte[] lastMetadata = new byte[0];
        private int lastMetadataLength = -1;
        private byte[] lastMetadataDigest;
        private final int[] spanStart = new int[NAMES.length];
        private final int[] spanEnd = new int[NAMES.length];
        private final EntryFraming.Frame frame = new EntryFraming.Frame();
        private static final byte[] NO_BYTES = new byte[0];
        /** Just past the line the last canonical entry ended on. */
        int next;
        /** The payload digest of the line being read: framed at once, so one array serves every line. */
        private final byte[] payloadDigest = new byte[EntryFraming.HASH_BYTES];
        /**
         * Where the previous canonical line of this block holds its hash's hex digits, and those 32 bytes: the next line's
         * prev_hash is most often the same 64 digits, read then without parsing them again (-1: no such line).
         */
        private int previousHashAt = -1;
        private byte[] previousHash;

        void startBlock() {
            previousHashAt = -1;
            previousHash = null;
        }


        /** The entry on the line at {@code p} when it is in BundleWriter's exact form, else null (Jackson decides). */
        BundleLine.EntryLine canonicalEntry(byte[] b, int p, int limit) {
            if (limit - p < ENTRY_PREFIX.length || !Arrays.equals(b, p, p + ENTRY_PREFIX.length, ENTRY_PREFIX, 0, ENTRY_PREFIX.length)) {
                return null;
            }
            p += ENTRY_PREFIX.length;
            int lineHashAt = -1;
            int sharedPrevious = previousHashAt;
            previousHashAt = -1;
            Object[] v = values;
            Arrays.fill(v, null);
            long sequence = 0;
            int seen = 0;
            int expected = 0;
            while (true) {
                if (p >= limit) {
                    return null;
                }
                if (b[p] == '}') {
                    p++;
                    break;
                }
                if (b[p] != ',' || p + 1 >= limit || b[p + 1] != '"') {
                    return null;
                }
                int nameStart = p + 2;
                int nameEnd = JsonBytes.indexOfQuote(b, nameStart, limit);
                int field = nameEnd < 0 ? -1 : field(b, nameStart, nameEnd, expected);
                expected = field + 1;
                if (field < 0 || (seen & 1 << field) != 0 || nameEnd + 2 >= limit || b[nameEnd + 1] != ':') {
                    return null;
                }
                seen |= 1 << field;
                p = nameEnd + 2;
                if (b[p] == 'n') {
                    // null: only where the writer may put it, and then it means absent
                    if (field != REVISION && field != PAYLOAD && field != PAYLOAD_SHA256 || limit - p < 4 || b[p + 1] != 'u'
                            || b[p + 2] != 'l' || b[p + 3] != 'l') {
                        return null;
                    }
                    p += 4;
                    continue;
                }
                if (field == SEQUENCE) {
                    // the one digit rule of the record readers (no leading zero, at most 18 digits); else Jackson's
                    int end;
                    try {
                        end = JsonBytes.digitsEnd(b, p);
                    } catch (IllegalArgumentException notCanonical) {
                        return null;
                    }
                    if (end > limit) {
                        return null;
                    }
                    sequence = JsonBytes.digits(b, p, end);
                    p = end;
                    continue;
                }
                if (b[p] != '"') {
                    return null;
                }
                int vs = p + 1;
                int ve = JsonBytes.indexOfQuote(b, vs, limit);
                if (ve < 0) {
                    return null;
                }
                p = ve + 1;
                // A value this path cannot read exactly (escapes, non-ASCII, bad base64 or hex) is Jackson's to judge.
                if (field == HASH) {
                    lineHashAt = vs;
                }
                Object value = switch (field) {
                    case PAYLOAD -> base64Digest(b, vs, ve, payloadDigest);
                    case METADATA -> metadataDigest(b, vs, ve);
                    case PREV_HASH -> sharedPrevious >= 0 && ve - vs == 2 * EntryFraming.HASH_BYTES
                            && Arrays.equals(b, vs, ve, b, sharedPrevious, sharedPrevious + 2 * EntryFraming.HASH_BYTES)
                            ? previousHash : hex32(b, vs, ve);
                    case PAYLOAD_SHA256, HASH -> hex32(b, vs, ve);
                    case TENANT, TYPE, REVISION -> repeated(field, b, vs, ve);
                    // event id and time are only hashed: their bytes are framed where they lie, no string is made
                    default -> span(field, b, vs, ve);
                };
                if (value == null) {
                    return null;
                }
                v[field] = value;
            }
            // The line must end here; anything else after the object is for Jackson to judge.
            if (p < limit && b[p] == '\r') {
                p++;
            }
            if (p < limit && b[p] != '\n' || (seen & REQUIRED) != REQUIRED || v[PAYLOAD] == null && v[PAYLOAD_SHA256] == null) {
                return null;
            }
            next = p + 1;
            previousHashAt = lineHashAt;
            previousHash = (byte[]) v[HASH];
            byte[] digest = (byte[]) (v[PAYLOAD] != null ? v[PAYLOAD] : v[PAYLOAD_SHA256]);
            String tenant = (String) v[TENANT];
            byte[] prevHash = (byte[]) v[PREV_HASH];
            byte[] hash = (byte[]) v[HASH];
            byte[] tenantBytes = lastBytes[TENANT];
            byte[] typeBytes = lastBytes[TYPE];
            byte[] revisionBytes = v[REVISION] == null ? NO_BYTES : lastBytes[REVISION];
            byte[] recomputed = frame.tenant(tenantBytes, 0, tenantBytes.length).sequence(sequence)
                    .eventId(b, spanStart[EVENT], spanEnd[EVENT] - spanStart[EVENT])
                    .type(typeBytes, 0, typeBytes.length).revision(revisionBytes, 0, revisionBytes.length)
                    .recordedAt(b, spanStart[RECORDED_AT], spanEnd[RECORDED_AT] - spanStart[RECORDED_AT])
                    .digests(digest, (byte[]) v[METADATA], prevHash).hash(md);
            return new BundleLine.EntryLine(sequence, tenant, prevHash, hash, recomputed, leafHash(hash));
        }

        /** Which member this name is; the writer's order is tried first, so a canonical line costs one comparison per name. */
        private static int field(byte[] b, int start, int end, int expected) {
            int length = end - start;
            if (expected < NAMES.length && NAMES[expected].length == length && Arrays.equals(b, start, end, NAMES[expected], 0, length)) {
                return expected;
            }
            for (int i = 0; i < NAMES.length; i++) {
                if (NAMES[i].length == length && Arrays.equals(b, start, end, NAMES[i], 0, length)) {
                    return i;
                }
            }
            return -1;
        }

        /** Tenant, type and revision repeat from line to line: the last value read is reused while the bytes match. */
        private String repeated(int field, byte[] b, int start, int end) {
            byte[] last = lastBytes[field];
            if (last != null && last.length == end - start && Arrays.equals(b, start, end, last, 0, last.length)) {
                return lastStrings[field];
            }
            String value = ascii(b, start, end);
            if (value != null) {
                lastBytes[field] = Arrays.copyOfRange(b, start, end);
                lastStrings[field] = value;
            }
            return value;
        }

        /** Where a printable-ASCII value lies in the line (its bytes are what the frame hashes), or null for Jackson. */
        private Object span(int field, byte[] b, int start, int end) {
            for (int i = start; i < end; i++) {
                if (b[i] < 0x20 || b[i] == '\\' || b[i] == 0x7f) {
                    return null;
                }
            }
            spanStart[field] = start;
            spanEnd[field] = end;
            return Boolean.TRUE;
        }

        /** Printable ASCII without escapes reads the same as bytes and as JSON; anything else goes to Jackson. */
        private static String ascii(byte[] b, int start, int end) {
            for (int i = start; i < end; i++) {
                if (b[i] < 0x20 || b[i] == '\\' || b[i] == 0x7f) {
                    return null;
                }
            }
            return new String(b, start, end - start, StandardCharsets.ISO_8859_1);
        }

        /** Most entries of a tenant carry the same metadata, so the last one's digest is kept. */
        private byte[] metadataDigest(byte[] b, int start, int end) {
            int length = end - start;
            if (length == lastMetadataLength && lastMetadataDigest != null && Arrays.equals(b, start, end, lastMetadata, 0, length)) {
                return lastMetadataDigest;
            }
            byte[] digest = base64Digest(b, start, end, null);
            if (digest != null && length <= 256) {
                lastMetadata = Arrays.copyOfRange(b, start, end);
                lastMetadataLength = length;
                lastMetadataDigest = digest;
            }
            return digest;
        }

        /** SHA-256 of the base64 in [start, end), into {@code out} (or a new array when null); null when not base64. */
        private byte[] base64Digest(byte[] b, int start, int end, byte[] out) {
            try {
                ByteBuffer decoded = base64.decode(ByteBuffer.wrap(b, start, end - start));
                md.reset();
                md.update(decoded.array(), decoded.arrayOffset(), decoded.limit());
                if (out == null) {
                    return md.digest();
                }
                md.digest(out, 0, out.length);
                return out;
            } catch (IllegalArgumentException | java.security.DigestException e) {
                return null;
            }
        }

        /** The 32 bytes of 64 lowercase hex digits in [start, end), or null (not canonical: Jackson's path decides). */
        private static byte[] hex32(byte[] b, int start, int end) {
            if (end - start != 2 * EntryFraming.HASH_BYTES) {
                return null;
            }
            try {
                return Hex.parse(b, start, end);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }

        private byte[] leafHash(byte[] entryHash) {
            return MerkleTree.leafHash(md, entryHash);
        }

        // --- any line, through Jackson ---

        /** The line in [start, end), or null when it is blank. */
        BundleLine anyLine(byte[] data, int start, int end, int line) throws LineException {
            try (JsonParser p = MAPPER.createParser(data, start, end - start)) {
                // Two members of one name would let two readers of the same line disagree about what it says.
                p.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
                JsonToken t = p.nextToken();
                if (t == null) {
                    return null;
                }
                if (t != JsonToken.START_OBJECT) {
                    throw new LineException("each line must be one JSON object");
                }
                BundleLine parsed = object(p, line);
                if (p.nextToken() != null) {
                    throw new LineException("each line must be one JSON object");
                }
                return parsed;
            } catch (JsonProcessingException e) {
                throw new LineException("not JSON: " + e.getOriginalMessage());
            } catch (LineException e) {
                throw e;
            } catch (IOException e) {
                throw new LineException("unreadable: " + e.getMessage());
            }
        }

        private BundleLine object(JsonParser p, int line) throws IOException {
            String first = p.nextFieldName();
            if (first == null) {
                throw new LineException("a line must have a kind");
            }
            if (first.equals("kind")) {
                if (p.nextToken() != JsonToken.VALUE_STRING) {
                    throw new LineException("kind must be a string");
                }
                String kind = p.getText();
                if (kind.equals(BundleLine.ENTRY)) {
                    return entry(p);
                }
                ObjectNode node = MAPPER.createObjectNode().put("kind", kind);
                return new BundleLine.RecordLine(line, kind, rest(p, node));
            }
            // A writer that does not put kind first: read the whole object, then decide.
            ObjectNode node = MAPPER.createObjectNode();
            p.nextToken();
            node.set(first, MAPPER.readTree(p));
            rest(p, node);
            JsonNode kind = node.get("kind");
            if (kind == null || !kind.isTextual()) {
                throw new LineException("a line must have a kind");
            }
            if (kind.asText().equals(BundleLine.ENTRY)) {
                StoredEntry e = EntryCodec.fromJson(node);
                return new BundleLine.EntryLine(e.sequence(), e.tenantId(), e.prevHash(), e.hash(), e.recomputeHash(), leafHash(e.hash()));
            }
            return new BundleLine.RecordLine(line, kind.asText(), node);
        }

        private static ObjectNode rest(JsonParser p, ObjectNode node) throws IOException {
            String name;
            while ((name = p.nextFieldName()) != null) {
                p.nextToken();
                node.set(name, MAPPER.readTree(p));
            }
            return node;
        }

        private BundleLine entry(JsonParser p) throws IOException {
            String tenant = null;
            String eventId = null;
            String type = null;
            String revision = null;
            String recordedAt = null;
            long sequence = 0;
            boolean hasSequence = false;
            byte[] payloadDigest = null;
            byte[] retainedDigest = null;
            byte[] metadataDigest = null;
            byte[] prevHash = null;
            byte[] hash = null;
            String name;
            while ((name = p.nextFieldName()) != null) {
                JsonToken v = p.nextToken();
                switch (name) {
                    case "tenant_id" -> tenant = string(p, v, name);
                    case "sequence" -> {
                        if (v != JsonToken.VALUE_NUMBER_INT) {
                            throw new LineException("entry sequence must be an integer");
                        }
                        sequence = p.getLongValue();
                        hasSequence = true;
                    }
                    case "event_id" -> eventId = string(p, v, name);
                    case "type" -> type = string(p, v, name);
                    case "revision" -> revision = v == JsonToken.VALUE_NULL ? null : string(p, v, name);
                    case "recorded_at" -> recordedAt = string(p, v, name);
                    case "payload_b64" -> payloadDigest = v == JsonToken.VALUE_NULL ? null : digestBase64(p, v, name);
                    case "payload_sha256" -> retainedDigest = v == JsonToken.VALUE_NULL ? null : hex32(p, v, name);
                    case "metadata_b64" -> metadataDigest = digestBase64(p, v, name);
                    case "prev_hash" -> prevHash = hex32(p, v, name);
                    case "hash" -> hash = hex32(p, v, name);
                    default -> p.skipChildren();
                }
            }
            if (tenant == null || !hasSequence || eventId == null || type == null || recordedAt == null || metadataDigest == null
                    || prevHash == null || hash == null) {
                throw new LineException("entry lacks one of tenant_id, sequence, event_id, type, recorded_at, metadata_b64, prev_hash, hash");
            }
            // As in StoredEntry: the payload, when present, is what the hash is checked against; else its retained digest.
            byte[] digest = payloadDigest != null ? payloadDigest : retainedDigest;
            if (digest == null) {
                throw new LineException("entry needs payload_b64 or, once redacted, payload_sha256");
            }
            byte[] recomputed = EntryFraming.hash(tenant, sequence, eventId, type, revision, recordedAt, digest, metadataDigest, prevHash);
            return new BundleLine.EntryLine(sequence, tenant, prevHash, hash, recomputed, leafHash(hash));
        }

        private static String string(JsonParser p, JsonToken v, String name) throws IOException {
            if (v != JsonToken.VALUE_STRING) {
                throw new LineException(name + " must be a string");
            }
            return p.getText();
        }

        private static byte[] hex32(JsonParser p, JsonToken v, String name) throws IOException {
            byte[] out = v == JsonToken.VALUE_STRING ? hex32(p.getText().getBytes(StandardCharsets.ISO_8859_1)) : null;
            if (out == null) {
                throw new LineException(name + " must be " + 2 * EntryFraming.HASH_BYTES + " hex digits");
            }
            return out;
        }

        private static byte[] hex32(byte[] text) {
            return hex32(text, 0, text.length);
        }

        /** Base64 decoded by the parser straight into SHA-256, so that a payload is never held whole. */
        private byte[] digestBase64(JsonParser p, JsonToken v, String name) throws IOException {
            if (v != JsonToken.VALUE_STRING) {
                throw new LineException(name + " must be a base64 string");
            }
            md.reset();
            try {
                p.readBinaryValue(BASE64, this);
            } catch (JsonProcessingException e) {
                throw new LineException(name + " is not base64");
            }
            return md.digest();
        }

        @Override
        public void write(int b) {
            md.update((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            md.update(b, off, len);
        }

        private static byte[] bytes(String s) {
            return s.getBytes(StandardCharsets.US_ASCII);
        }
    }
}
