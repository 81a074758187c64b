package dev.ledger.core.chain;

import dev.ledger.core.entry.EntryTypes;
import dev.ledger.core.evaluation.EvaluationRecorded;
import dev.ledger.core.evaluation.GateOutcome;
import dev.ledger.core.evaluation.GateResult;
import dev.ledger.core.messages.LedgerJson;
import dev.ledger.core.evaluation.TerminalState;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Valid chains built the way the ledger builds them: EntryFraming over the stored payload and metadata bytes. */
public final class ChainFixture {

    public static final String TYPE = EntryTypes.nameOf(EvaluationRecorded.class);
    public static final String REVISION = "1";
    public static final byte[] NO_METADATA = "{}".getBytes(StandardCharsets.UTF_8);
    private static final Instant START = Instant.parse("2026-11-21T10:00:00Z");

    private ChainFixture() {
    }

    /** Entries 1..n of one tenant, each an EvaluationRecorded payload, linked from the genesis hash. */
    public static List<StoredEntry> chain(String tenantId, int n) {
        List<StoredEntry> entries = new ArrayList<>(n);
        byte[] prev = EntryFraming.genesis();
        for (int i = 1; i <= n; i++) {
            StoredEntry e = entry(tenantId, i, payload(tenantId, i), prev);
            entries.add(e);
            prev = e.hash();
        }
        return entries;
    }

    public static byte[] payload(String tenantId, long i) {
        try {
            return LedgerJson.mapper().writeValueAsBytes(new EvaluationRecorded(tenantId, "ev-" + i, "pol-gates", "3", "agent:" + (i % 17),
                    "sha256:" + Hex.of(Sha256.of(("input " + i).getBytes(StandardCharsets.UTF_8))),
                    i % 5 == 0 ? TerminalState.REJECTED : TerminalState.APPROVED,
                    List.of(new GateResult("pii", GateOutcome.PASS, null), new GateResult("policy", GateOutcome.PASS, null)),
                    START.plusSeconds(i).toString()));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** A correctly hashed entry at {@code sequence} linking to {@code prevHash}. */
    public static StoredEntry entry(String tenantId, long sequence, byte[] payload, byte[] prevHash) {
        String eventId = UUID.nameUUIDFromBytes((tenantId + "/" + sequence + "/" + new String(payload, StandardCharsets.UTF_8))
                .getBytes(StandardCharsets.UTF_8)).toString();
        String recordedAt = START.plusMillis(1500 * sequence).toString();
        byte[] hash = EntryFraming.hash(tenantId, sequence, eventId, TYPE, REVISION, recordedAt, Sha256.of(payload),
                Sha256.of(NO_METADATA), prevHash);
        return StoredEntry.of(tenantId, sequence, eventId, TYPE, REVISION, recordedAt, payload, NO_METADATA, prevHash, hash);
    }

    /** The same entries renumbered from 1 and re-hashed: what a forger with database access would write. */
    public static List<StoredEntry> rechain(List<StoredEntry> entries) {
        List<StoredEntry> out = new ArrayList<>(entries.size());
        byte[] prev = EntryFraming.genesis();
        long sequence = 1;
        for (StoredEntry e : entries) {
            byte[] hash = EntryFraming.hash(e.tenantId(), sequence, e.eventId(), e.type(), e.revision(), e.recordedAt(),
                    e.effectivePayloadDigest(), Sha256.of(e.metadata()), prev);
            out.add(new StoredEntry(e.tenantId(), sequence, e.eventId(), e.type(), e.revision(), e.recordedAt(), e.payload(),
                    e.payloadDigest(), e.metadata(), prev, hash));
            prev = hash;
            sequence++;
        }
        return out;
    }

    public static List<byte[]> hashes(List<StoredEntry> entries) {
        return entries.stream().map(StoredEntry::hash).toList();
    }
}
