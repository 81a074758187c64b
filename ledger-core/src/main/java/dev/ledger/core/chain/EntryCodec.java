package dev.ledger.core.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.core.messages.LedgerJson;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Base64;

/**
 * An entry on the wire (Kafka record value, export line): the stored bytes travel base64-encoded so that a
 * reader re-verifies exactly what the database holds.
 */
public final class EntryCodec {

    private EntryCodec() {
    }

    public static ObjectNode toJson(StoredEntry e) {
        ObjectNode node = LedgerJson.mapper().createObjectNode();
        node.put("tenant_id", e.tenantId());
        node.put("sequence", e.sequence());
        node.put("event_id", e.eventId());
        node.put("type", e.type());
        node.put("revision", e.revision());
        node.put("recorded_at", e.recordedAt());
        if (e.payload() != null) {
            node.put("payload_b64", Base64.getEncoder().encodeToString(e.payload()));
        } else {
            node.put("payload_sha256", EntryFraming.hex(e.payloadDigest()));
        }
        node.put("metadata_b64", Base64.getEncoder().encodeToString(e.metadata()));
        node.put("prev_hash", EntryFraming.hex(e.prevHash()));
        node.put("hash", EntryFraming.hex(e.hash()));
        return node;
    }

    /** The same record as {@link #toJson}, written straight to bytes (the publisher's hot path: no tree, no strings). */
    public static byte[] encode(StoredEntry e) {
        int size = 256 + (e.payload() == null ? 64 : e.payload().length * 4 / 3) + e.metadata().length * 4 / 3;
        ByteArrayOutputStream out = new ByteArrayOutputStream(size);
        try (JsonGenerator g = LedgerJson.mapper().getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("tenant_id", e.tenantId());
            g.writeNumberField("sequence", e.sequence());
            g.writeStringField("event_id", e.eventId());
            g.writeStringField("type", e.type());
            g.writeStringField("revision", e.revision());
            g.writeStringField("recorded_at", e.recordedAt());
            if (e.payload() != null) {
                g.writeFieldName("payload_b64");
                g.writeBinary(e.payload());
            } else {
                g.writeStringField("payload_sha256", EntryFraming.hex(e.payloadDigest()));
            }
            g.writeFieldName("metadata_b64");
            g.writeBinary(e.metadata());
            g.writeStringField("prev_hash", EntryFraming.hex(e.prevHash()));
            g.writeStringField("hash", EntryFraming.hex(e.hash()));
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return out.toByteArray();
    }

    public static StoredEntry decode(byte[] json) {
        try {
            return fromJson(LedgerJson.mapper().readTree(json));
        } catch (IOException ex) {
            throw new IllegalArgumentException("not an entry record", ex);
        }
    }

    public static StoredEntry fromJson(JsonNode n) {
        Base64.Decoder b64 = Base64.getDecoder();
        byte[] payload = n.hasNonNull("payload_b64") ? b64.decode(n.get("payload_b64").asText()) : null;
        byte[] digest = n.hasNonNull("payload_sha256") ? EntryFraming.unhex(n.get("payload_sha256").asText()) : null;
        return new StoredEntry(text(n, "tenant_id"), n.path("sequence").asLong(), text(n, "event_id"), text(n, "type"),
                n.hasNonNull("revision") ? n.get("revision").asText() : null, text(n, "recorded_at"), payload, digest,
                b64.decode(text(n, "metadata_b64")), EntryFraming.unhex(text(n, "prev_hash")), EntryFraming.unhex(text(n, "hash")));
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new IllegalArgumentException("entry record lacks " + field);
        }
        return v.asText();
    }
}
