package dev.ledger.meter;

import dev.ledger.core.chain.Sha256;
import dev.ledger.core.chain.Hex;
import com.fasterxml.jackson.core.JsonProcessingException;
import dev.ledger.core.chain.EntryCodec;
import dev.ledger.core.chain.EntryFraming;
import dev.ledger.core.chain.StoredEntry;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.evaluation.GateOutcome;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.messages.LedgerEvent;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.tenant.TenantRegistered;
import dev.ledger.core.evaluation.TerminalState;
import dev.ledger.core.usage.UsageRecorded;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.UUID;

/**
 * Test fixture: one tenant's hash chain built the way the ledger stores it (payload = the shared mapper's bytes,
 * metadata: a billable entry's meter and quantity, with or without the rest of the write path's, type = the logical
 * entry type, revision "1"), so a reader re-verifies it exactly as it
 * would the real one.
 */
public final class TenantChain {

    private static final byte[] METADATA = "{}".getBytes(StandardCharsets.UTF_8);

    private final String tenantId;
    /** Whether entries carry the metadata a write through the API stores (else "{}"). */
    private final boolean requestMetadata;
    private long sequence;

    /** The sequence of the last entry appended (0 before the first). */
    public synchronized long lastSequence() {
        return sequence;
    }
    private byte[] lastHash = EntryFraming.genesis();

    public TenantChain(String tenantId) {
        this(tenantId, false);
    }

    /**
     * {@code requestMetadata}: each entry carries what the ledger's write path puts in an entry's metadata (actor,
     * idempotency key, request digest, entity key), a new idempotency key and digest per entry, as real entries do.
     */
    public TenantChain(String tenantId, boolean requestMetadata) {
        this.tenantId = tenantId;
        this.requestMetadata = requestMetadata;
    }

    public String tenantId() {
        return tenantId;
    }

    /** Appends the event as the next entry, recorded at {@code recordedAt} (kept to milliseconds, ISO-8601). */
    public synchronized StoredEntry append(LedgerEvent event, Instant recordedAt) {
        long next = sequence + 1;
        StoredEntry entry = entry(tenantId, next, event, recordedAt, lastHash, metadata(event));
        sequence = next;
        lastHash = entry.hash();
        return entry;
    }

    /**
     * Appends an entry of a type this code base may not know (a newer ledger's), with these payload bytes, as a
     * correctly hashed next entry.
     */
    public synchronized StoredEntry appendOfType(String type, byte[] payload, Instant recordedAt) {
        return appendOfType(type, payload, METADATA, recordedAt);
    }

    /** {@link #appendOfType(String, byte[], Instant)} with these metadata bytes. */
    public synchronized StoredEntry appendOfType(String type, byte[] payload, byte[] metadata, Instant recordedAt) {
        long next = sequence + 1;
        String at = recordedAt.truncatedTo(ChronoUnit.MILLIS).toString();
        String eventId = UUID.randomUUID().toString();
        byte[] hash = EntryFraming.hash(tenantId, next, eventId, type, "1", at, Sha256.of(payload),
                Sha256.of(metadata), lastHash);
        StoredEntry entry = StoredEntry.of(tenantId, next, eventId, type, "1", at, payload, metadata, lastHash, hash);
        sequence = next;
        lastHash = hash;
        return entry;
    }

    public StoredEntry registered(String name, String stripeCustomerId, Instant at) {
        return append(new TenantRegistered(tenantId, name, stripeCustomerId, "test"), at);
    }

    /** One unit of meter {@code evaluations}. */
    public StoredEntry evaluation(Instant at) {
        return append(new EvaluationRecorded(tenantId, "ev-" + UUID.randomUUID(), "policy-1", "1", "subject-1",
                "sha256:" + "0".repeat(64), TerminalState.APPROVED, List.of(new GateResult("g1", GateOutcome.PASS, "ok")),
                at.toString()), at);
    }

    /** {@code quantity} units of {@code meter}. */
    public StoredEntry usage(String meter, long quantity, Instant at) {
        return append(new UsageRecorded(tenantId, "us-" + UUID.randomUUID(), meter, quantity, at.toString()), at);
    }

    private byte[] metadata(LedgerEvent event) {
        if (!requestMetadata) {
            return billableMetadata(event);
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put("actor", "key:k" + Integer.toHexString(tenantId.hashCode()));
        m.put("idempotency_key", UUID.randomUUID().toString());
        m.put("request_digest", Hex.of(Sha256.of(UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8))));
        if (event instanceof EvaluationRecorded e) {
            m.put("entity_key", "evaluation_id:" + e.evaluationId());
        } else if (event instanceof UsageRecorded u) {
            m.put("entity_key", "usage_id:" + u.usageId());
        }
        event.billable().ifPresent(b -> {
            m.put("meter", b.meter());
            m.put("quantity", Long.toString(b.quantity()));
        });
        try {
            return LedgerJson.mapper().writeValueAsBytes(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The metadata the ledger writes for an entry of its own: a billable entry's meter and quantity, else nothing. */
    static byte[] billableMetadata(LedgerEvent event) {
        return event.billable().map(b -> ("{\"meter\":\"" + b.meter() + "\",\"quantity\":\"" + b.quantity() + "\"}")
                .getBytes(StandardCharsets.UTF_8)).orElse(METADATA);
    }

    /** A correctly hashed entry after {@code prevHash}. */
    public static StoredEntry entry(String tenantId, long sequence, LedgerEvent event, Instant recordedAt, byte[] prevHash) {
        return entry(tenantId, sequence, event, recordedAt, prevHash, billableMetadata(event));
    }

    private static StoredEntry entry(String tenantId, long sequence, LedgerEvent event, Instant recordedAt, byte[] prevHash,
                                     byte[] metadata) {
        byte[] payload;
        try {
            payload = LedgerJson.mapper().writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        String type = dev.ledger.core.entry.EntryTypes.nameOf(event.getClass());
        String at = recordedAt.truncatedTo(ChronoUnit.MILLIS).toString();
        String eventId = UUID.randomUUID().toString();
        byte[] hash = EntryFraming.hash(tenantId, sequence, eventId, type, "1", at, Sha256.of(payload),
                Sha256.of(metadata), prevHash);
        return StoredEntry.of(tenantId, sequence, eventId, type, "1", at, payload, metadata, prevHash, hash);
    }

    /** The same entry with other payload bytes but the original hash: what tampering in the store looks like. */
    public static StoredEntry tampered(StoredEntry e, LedgerEvent replacement) {
        try {
            byte[] payload = LedgerJson.mapper().writeValueAsBytes(replacement);
            return StoredEntry.of(e.tenantId(), e.sequence(), e.eventId(), e.type(), e.revision(), e.recordedAt(), payload,
                    e.metadata(), e.prevHash(), e.hash());
        } catch (JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** The Kafka record value. */
    public static byte[] encode(StoredEntry e) {
        return EntryCodec.encode(e);
    }
}
