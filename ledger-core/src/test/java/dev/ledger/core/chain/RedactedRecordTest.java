package dev.ledger.core.chain;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A worker re-verifying a chain from its records (EntryReader, ChainVerifier, as the chain-follower runs them) accepts
 * an entry whose payload was redacted after it was first published: the record the publisher sends for it carries
 * {@code payload_sha256} instead of {@code payload_b64}, and its hash recomputes from that digest. Bytes other than
 * the erased payload's digest do not.
 */
class RedactedRecordTest {

    private static StoredEntry entry(long sequence, byte[] prev, String payload) {
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        byte[] metadata = "{\"actor\":\"key:k1\",\"meter\":\"tokens\",\"quantity\":\"5\"}".getBytes(StandardCharsets.UTF_8);
        StoredEntry unhashed = StoredEntry.of("acme", sequence, "ev-" + sequence, "UsageRecorded", "1", "2026-12-07T00:00:0" + sequence + "Z",
                bytes, metadata, prev, new byte[32]);
        return StoredEntry.of("acme", sequence, unhashed.eventId(), unhashed.type(), unhashed.revision(), unhashed.recordedAt(), bytes,
                metadata, prev, unhashed.recomputeHash());
    }

    private static StoredEntry redacted(StoredEntry e, byte[] digest) {
        return new StoredEntry(e.tenantId(), e.sequence(), e.eventId(), e.type(), e.revision(), e.recordedAt(), null, digest,
                e.metadata(), e.prevHash(), e.hash());
    }

    @Test
    void aRedactedEntrysRecordVerifiesThroughItsDigestAndAWrongDigestBreaksTheChain() {
        StoredEntry first = entry(1, EntryFraming.genesis(), "{\"usage_id\":\"u-1\",\"subject\":\"alice@example.com\"}");
        StoredEntry second = entry(2, first.hash(), "{\"usage_id\":\"u-2\"}");
        byte[] record = EntryCodec.encode(redacted(first, Sha256.of(first.payload())));
        assertThat(new String(record, StandardCharsets.UTF_8)).contains("\"payload_sha256\":\"" + Hex.of(Sha256.of(first.payload())) + "\"")
                .doesNotContain("payload_b64").doesNotContain("alice");

        EntryReader reader = new EntryReader();
        ChainVerifier chain = new ChainVerifier();
        EntryReader.Link link = reader.read(record);
        assertThat(link.payload()).isNull();
        assertThat(link.metadata()).isEqualTo(first.metadata()); // what it bills is still there
        assertThat(chain.accept(link.sequence(), link.prevHash(), link.hash(), link.recomputed())).isNull();
        EntryReader.Link next = reader.read(EntryCodec.encode(second));
        assertThat(chain.accept(next.sequence(), next.prevHash(), next.hash(), next.recomputed())).isNull();
        assertThat(EntryReader.reference(record).recomputed()).isEqualTo(link.recomputed());

        byte[] wrong = Sha256.of("{}".getBytes(StandardCharsets.UTF_8));
        EntryReader.Link forged = new EntryReader().read(EntryCodec.encode(redacted(first, wrong)));
        assertThat(new ChainVerifier().accept(forged.sequence(), forged.prevHash(), forged.hash(), forged.recomputed())).isNotNull();
    }
}
