package dev.ledger.core.chain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads entry records (Kafka values) for a reader that re-verifies every entry: the record is scanned once, its hash
 * is recomputed from the record's own bytes on the way, and only what a follower of the chain needs is kept. No
 * string is made for the event id, and tenant, type and revision strings are reused while they repeat.
 *
 * <p>Records exactly as {@link EntryCodec#encode} writes them, with printable-ASCII text fields, take that path. Any
 * other record goes through {@link EntryCodec#decode} and {@link StoredEntry#recomputeHash}, which are the reference:
 * both paths give the same answer for every record the fast one accepts (tested).
 *
 * <p>Not thread-safe: one instance per thread.
 */
public final class EntryReader {

    /**
     * One record: where it sits in its chain ({@code tenantId}, {@code sequence}), the link stored with it
     * ({@code prevHash}, {@code hash}), the hash its bytes recompute to ({@code recomputed}; empty when the stored
     * fields cannot be framed, which no stored hash equals), and what it is: its type, ledger time and payload
     * ({@code payload} null when redacted), and its hashed metadata bytes (what a worker bills: keys meter and quantity).
     */
    public record Link(String tenantId, long sequence, String type, String recordedAt, byte[] payload, byte[] prevHash,
                       byte[] hash, byte[] recomputed, byte[] metadata) {

        /**
         * This link without its body (payload, metadata, recomputed hash): what a follower keeps of an entry between
         * reading it and applying it, once a worker took what it needs of the body. Thousands wait in a pipeline.
         */
        public Link chainOnly() {
            return new Link(tenantId, sequence, type, recordedAt, null, prevHash, hash, null, null);
        }
    }

    private static final byte[] NO_BYTES = new byte[0];
    private static final byte[] TENANT = ascii("{\"tenant_id\":\"");
    private static final byte[] SEQUENCE = ascii("\",\"sequence\":");
    private static final byte[] EVENT = ascii(",\"event_id\":\"");
    private static final byte[] TYPE = ascii("\",\"type\":\"");
    private static final byte[] REVISION = ascii("\",\"revision\":");
    private static final byte[] RECORDED_AT = ascii(",\"recorded_at\":\"");
    private static final byte[] PAYLOAD = ascii("\",\"payload_b64\":\"");
    private static final byte[] PAYLOAD_SHA256 = ascii("\",\"payload_sha256\":\"");
    private static final byte[] METADATA = ascii("\",\"metadata_b64\":\"");
    private static final byte[] PREV_HASH = ascii("\",\"prev_hash\":\"");
    private static final byte[] HASH = ascii("\",\"hash\":\"");
    private static final byte[] END = ascii("\"}");
    private static final byte[] NULL = ascii("null");
    private static final int HEX_LENGTH = 2 * EntryFraming.HASH_BYTES;

    private final MessageDigest md = Sha256.newDigest();
    private final EntryFraming.Frame frame = new EntryFraming.Frame();
    private final AsciiStrings tenants = new AsciiStrings();
    private final AsciiStrings types = new AsciiStrings();
    private byte[] b;
    /** Where the record being read ends in {@link #b} (exclusive). */
    private int end;
    private int p;

    public EntryReader() {
    }

    /** The record read and its hash recomputed; IllegalArgumentException when it is not an entry record. */
    public Link read(byte[] record) {
        return read(record, 0, record.length);
    }

    /**
     * The record in {@code [from, to)} of {@code bytes} (a Kafka value read in place, say), read as
     * {@link #read(byte[])} reads it alone: nothing outside the range is looked at.
     */
    public Link read(byte[] bytes, int from, int to) {
        Objects.checkFromToIndex(from, to, bytes.length);
        Link fast = readCanonical(bytes, from, to);
        return fast != null ? fast : reference(Arrays.copyOfRange(bytes, from, to));
    }

    /** The fast path alone: null when the record is not in the canonical form it reads. */
    Link readCanonical(byte[] record) {
        return readCanonical(record, 0, record.length);
    }

    private Link readCanonical(byte[] bytes, int from, int to) {
        try {
            return canonical(bytes, from, to);
        } catch (IllegalArgumentException | IndexOutOfBoundsException notCanonical) {
            return null; // the reference path decides
        } finally {
            b = null;
        }
    }

    /** What {@link EntryCodec#decode} and {@link StoredEntry#recomputeHash} make of any record. */
    static Link reference(byte[] record) {
        StoredEntry e = EntryCodec.decode(record);
        byte[] recomputed;
        try {
            recomputed = e.recomputeHash();
        } catch (IllegalArgumentException unframeable) {
            recomputed = NO_BYTES; // e.g. a prev_hash that is not 32 bytes: no stored hash can match
        }
        return new Link(e.tenantId(), e.sequence(), e.type(), e.recordedAt(), e.payload(), e.prevHash(), e.hash(), recomputed,
                e.metadata());
    }

    /** The canonical record, or null (or an exception) for anything else. */
    private Link canonical(byte[] bytes, int from, int to) {
        b = bytes;
        end = to;
        p = from;
        expect(TENANT);
        int tenantFrom = p;
        int tenantTo = quote();
        String tenant = tenants.of(b, tenantFrom, tenantTo);
        expect(SEQUENCE);
        long sequence = number();
        expect(EVENT);
        int eventFrom = p;
        int eventTo = textEnd();
        expect(TYPE);
        int typeFrom = p;
        int typeTo = quote();
        String type = types.of(b, typeFrom, typeTo);
        expect(REVISION);
        int revisionFrom = 0;
        int revisionTo = 0;
        boolean revised = !next(NULL);
        if (revised) {
            if (b[p++] != '"') {
                return null;
            }
            revisionFrom = p;
            revisionTo = textEnd();
            p++; // past its closing quote
        }
        expect(RECORDED_AT);
        int atFrom = p;
        int atTo = textEnd();
        // The rest is found from the end, where everything has a fixed length but the metadata: the payload, most of
        // a record's bytes, is then never scanned for its closing quote. Its span is exact because the base64
        // decoder refuses a quote (or anything else outside its alphabet) inside it.
        int hashFrom = end - END.length - HEX_LENGTH;
        int prevFrom = hashFrom - HASH.length - HEX_LENGTH;
        int metadataTo = prevFrom - PREV_HASH.length;
        int metadataFrom = JsonBytes.lastIndexOfQuote(b, p, metadataTo) + 1;
        int payloadTo = metadataFrom - METADATA.length;
        if (!at(END, hashFrom + HEX_LENGTH) || !at(HASH, hashFrom - HASH.length) || !at(PREV_HASH, metadataTo)
                || metadataFrom <= p || !at(METADATA, payloadTo)) {
            return null;
        }
        byte[] payload = null;
        byte[] payloadDigest;
        if (next(PAYLOAD)) {
            payload = base64(p, payloadTo);
            payloadDigest = sha256(payload, payload.length);
        } else {
            expect(PAYLOAD_SHA256);
            payloadDigest = hex32(p, payloadTo);
        }
        byte[] metadata = base64(metadataFrom, metadataTo);
        byte[] metadataDigest = sha256(metadata, metadata.length);
        byte[] prev = hex32(prevFrom, prevFrom + HEX_LENGTH);
        byte[] hash = hex32(hashFrom, hashFrom + HEX_LENGTH);
        byte[] recomputed = frame.tenant(b, tenantFrom, tenantTo - tenantFrom).sequence(sequence)
                .eventId(b, eventFrom, eventTo - eventFrom).type(b, typeFrom, typeTo - typeFrom)
                .revision(revised ? b : NO_BYTES, revisionFrom, revisionTo - revisionFrom)
                .recordedAt(b, atFrom, atTo - atFrom).digests(payloadDigest, metadataDigest, prev).hash(md);
        return new Link(tenant, sequence, type, new String(b, atFrom, atTo - atFrom, StandardCharsets.ISO_8859_1), payload, prev, hash, recomputed,
                metadata);
    }

    /**
     * The end of the text value starting at {@code p} (moved to its closing quote). Only printable ASCII: those bytes
     * are the same as JSON text, as a Java string and as UTF-8, so framing them directly equals framing the decoded
     * field. Anything else (an escape, a control character, non-ASCII) is the reference path's.
     */
    private int textEnd() {
        int from = p;
        int quote = quote();
        if (!JsonBytes.isPrintableAscii(b, from, quote)) {
            throw new IllegalArgumentException();
        }
        return quote;
    }

    /** The next quote from {@code p}, where {@code p} is moved. */
    private int quote() {
        int quote = JsonBytes.indexOfQuote(b, p, end);
        if (quote < 0) {
            throw new IllegalArgumentException();
        }
        p = quote;
        return quote;
    }

    private long number() {
        int digitsEnd = JsonBytes.digitsEnd(b, p, end);
        long v = JsonBytes.digits(b, p, digitsEnd);
        p = digitsEnd;
        return v;
    }

    /** The decoded bytes of the base64 text in [from, to). */
    private byte[] base64(int from, int to) {
        return JsonBytes.base64(b, from, to);
    }

    /** The 32 bytes of the 64 hex digits in [from, to). */
    private byte[] hex32(int from, int to) {
        if (to - from != HEX_LENGTH) {
            throw new IllegalArgumentException();
        }
        return Hex.parse(b, from, to);
    }

    private byte[] sha256(byte[] bytes, int length) {
        md.reset();
        md.update(bytes, 0, length);
        return md.digest();
    }

    /** Whether {@code literal} is next; moves past it if so. */
    private boolean next(byte[] literal) {
        int n = literal.length;
        if (p + n > end || !Arrays.equals(b, p, p + n, literal, 0, n)) {
            return false;
        }
        p += n;
        return true;
    }

    /** Whether {@code literal} stands at {@code from}. */
    private boolean at(byte[] literal, int from) {
        return from >= p && from + literal.length <= end
                && Arrays.equals(b, from, from + literal.length, literal, 0, literal.length);
    }

    private void expect(byte[] literal) {
        if (!next(literal)) {
            throw new IllegalArgumentException();
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

}
